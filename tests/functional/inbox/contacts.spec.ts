import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { Message } from '#modules/channels/index'
import { Contact, Conversation } from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { WebSession } from '#tests/helpers/web_session'
import { signIn } from '#tests/functional/workspace/member_browser'
import { defineContactFields } from '#tests/helpers/contact_fields'

type Cleanup = (fn: () => void | Promise<void>) => void

async function workspace(cleanup: Cleanup, prefix = 'contacts') {
  const made = await makeWorkspace(cleanup, prefix)
  return { ...made, contacts: `${made.base}/contacts` }
}

function contactForm(overrides: Record<string, string> = {}) {
  return {
    phone: '+971 (50) 123-4567',
    name: 'Layla Haddad',
    email: 'Layla@Example.test',
    opt_in: 'opted_in',
    tags: 'vip, renewal',
    notes: 'Prefers Arabic.',
    ...overrides,
  }
}

function contactsIn(context: TenantContext) {
  return context.transaction((trx) => Contact.query({ client: trx }).orderBy('created_at'))
}

function seed(context: TenantContext, rows: Array<Partial<Contact>>) {
  return context.transaction(async (trx) => {
    const made: Contact[] = []
    for (const row of rows) made.push(await Contact.create(row, { client: trx }))
    return made
  })
}

/** A GET as htmx sends it when the search box changes. */
async function htmxGet(web: WebSession, path: string) {
  const cookie = [...web.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const response = await fetch(`${WebSession.baseUrl()}${path}`, {
    headers: { cookie, 'HX-Request': 'true', 'HX-Target': 'contact-results' },
    redirect: 'manual',
  })
  return { status: response.status, body: await response.text() }
}

function rowIds(body: string) {
  return [...body.matchAll(/data-contact="([0-9a-f-]{36})"/g)].map((match) => match[1])
}

test.group('Contacts: creating', () => {
  test('a contact is created with its phone normalised to E.164 and every field kept', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    await defineContactFields(w.context, [{ key: 'policy_number' }, { key: 'broker' }])
    const web = await signIn(await w.member('agent'))
    const created = await web.submit(
      `${w.contacts}/new`,
      w.contacts,
      contactForm({ cf_policy_number: 'PN-1042', cf_broker: ' Sami ' })
    )
    assert.equal(created.status, 302)

    const [contact] = await contactsIn(w.context)
    assert.equal(created.location, `${w.contacts}/${contact.id}`)
    assert.equal(contact.phone, '+971501234567')
    assert.equal(contact.waId, '971501234567')
    assert.equal(contact.name, 'Layla Haddad')
    assert.equal(contact.email, 'layla@example.test')
    assert.deepEqual(contact.tags, ['vip', 'renewal'])
    assert.deepEqual(contact.attributes, { policy_number: 'PN-1042', broker: 'Sami' })
    assert.equal(contact.optIn, 'opted_in')
    assert.equal(contact.source, 'manual')

    const page = await web.get(created.location!)
    assert.equal(page.status, 200)
    assert.include(page.body, 'Layla Haddad is added.')
    assert.include(page.body, '+971501234567')
    assert.include(page.body, '<dt>policy_number</dt>')
    assert.match(page.body, /data-attribute="policy_number"[^>]*>PN-1042</)
    assert.include(page.body, 'Prefers Arabic.')
    assert.include(page.body, 'data-opt-in="opted_in"')
    assert.include(page.body, 'Added by hand')
    assert.match(page.body, /data-conversations>0</)
  })

  test('numbers in other shapes are normalised: 00 prefix, dots, spaces', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    const cases: Array<[string, string]> = [
      ['00 44 20.7946.0018', '+442079460018'],
      ['+1 555 000 1234', '+15550001234'],
      ['+2010 1234 5678', '+201012345678'],
    ]
    for (const [typed] of cases) {
      const result = await web.submit(
        `${w.contacts}/new`,
        w.contacts,
        contactForm({ phone: typed })
      )
      assert.match(result.location ?? '', /\/contacts\/[0-9a-f-]{36}$/, typed)
    }
    const phones = (await contactsIn(w.context)).map((contact) => contact.phone)
    assert.deepEqual(
      phones,
      cases.map(([, stored]) => stored)
    )
  })

  test('an invalid phone is a field error; the other fields are kept', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    for (const phone of ['', '5550001234', '+12 34', '+1234567890123456', '+1 555 abc 1234']) {
      const refused = await web.submit(
        `${w.contacts}/new`,
        w.contacts,
        contactForm({ phone, email: 'not-an-email' })
      )
      assert.equal(refused.location, `${w.contacts}/new`, phone)
      const page = await web.get(`${w.contacts}/new`)
      assert.match(
        page.body,
        /Fill in this field\.|Enter the number with its country code, starting with \+/,
        phone
      )
      assert.include(page.body, 'Enter an e-mail address such as name@example.com.', phone)
      assert.include(page.body, 'value="Layla Haddad"', phone)
      assert.include(page.body, 'Prefers Arabic.', phone)
    }
    assert.lengthOf(await contactsIn(w.context), 0)
  })

  test('a phone already in the workspace, however it is typed, is a field error', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    await seed(w.context, [{ phone: '+971501234567', name: 'First' }])
    const web = await signIn(await w.member('owner'))
    const refused = await web.submit(
      `${w.contacts}/new`,
      w.contacts,
      contactForm({ phone: '00971 50 123 4567', name: 'Second' })
    )
    assert.equal(refused.location, `${w.contacts}/new`)
    const page = await web.get(`${w.contacts}/new`)
    assert.include(page.body, 'A contact with +971501234567 already exists.')
    assert.include(page.body, 'value="Second"')
    assert.lengthOf(await contactsIn(w.context), 1)
  })

  test('bad tags are refused, then custom field values are checked against their definitions', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    await defineContactFields(w.context, [
      { key: 'policy_number' },
      { key: 'broker' },
      { key: 'premium', type: 'number', label: 'Premium' },
      { key: 'renewal', type: 'date', label: 'Renewal', required: true },
    ])
    const web = await signIn(await w.member('owner'))
    await web.submit(`${w.contacts}/new`, w.contacts, contactForm({ tags: 'x'.repeat(51) }))
    let page = await web.get(`${w.contacts}/new`)
    assert.include(page.body, 'Keep each tag to 50 characters.')

    await web.submit(
      `${w.contacts}/new`,
      w.contacts,
      contactForm({ cf_premium: 'a lot', cf_renewal: '', cf_invented: 'x', cf_broker: 'Sami' })
    )
    page = await web.get(`${w.contacts}/new`)
    assert.include(page.body, 'Some custom fields need attention.')
    assert.include(page.body, 'Enter a number.')
    assert.include(page.body, 'This field is required.')
    assert.include(page.body, 'value="a lot"')
    assert.lengthOf(await contactsIn(w.context), 0)
  })
})

test.group('Contacts: editing and deleting', () => {
  test('editing changes the fields, parses tags and attributes, and dates an opt-out', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    await defineContactFields(w.context, [
      { key: 'city', label: 'City' },
      { key: 'plan', type: 'choice', label: 'Plan', choices: ['Single', 'Family'] },
    ])
    const [contact] = await seed(w.context, [
      { phone: '+15550001234', name: 'Omar', profileName: 'Omar WA', optIn: 'opted_in' },
    ])
    const page = `${w.contacts}/${contact.id}`
    const web = await signIn(await w.member('agent'))

    const bad = await web.submit(page, page, {
      name: 'Omar K',
      opt_in: 'maybe',
      time_zone: 'Mars/Olympus',
    })
    assert.equal(bad.location, `${page}#edit`)
    const badPage = await web.get(page)
    assert.include(badPage.body, 'Choose one of the options.')
    assert.include(badPage.body, 'Enter a time zone as Continent/City')
    assert.include(badPage.body, 'value="Omar K"')

    const saved = await web.submit(page, page, {
      name: 'Omar K',
      email: '',
      tags: ' Gold , gold, renewal-2025 ,, ',
      notes: 'Call after 5pm.',
      cf_city: 'Dubai',
      cf_plan: 'Family',
      opt_in: 'opted_out',
    })
    assert.equal(saved.location, page)
    const [updated] = await contactsIn(w.context)
    assert.equal(updated.name, 'Omar K')
    assert.equal(updated.phone, '+15550001234')
    assert.deepEqual(updated.tags, ['Gold', 'renewal-2025'])
    assert.deepEqual(updated.attributes, { city: 'Dubai', plan: 'Family' })
    assert.equal(updated.optIn, 'opted_out')
    assert.isNotNull(updated.optedOutAt)

    const shown = await web.get(page)
    assert.include(shown.body, 'Omar K is saved.')
    assert.include(shown.body, 'Omar WA')
    assert.include(shown.body, 'data-opt-in="opted_out"')
    assert.match(shown.body, /since \w+ \d+, \d{4}/)
    assert.match(shown.body, /data-attribute="city"[^>]*>Dubai</)
    assert.match(shown.body, /data-attribute="plan"[^>]*>Family</)

    // Back to opted in: the opt-out date goes.
    await web.submit(page, page, { name: 'Omar K', opt_in: 'opted_in' })
    const [again] = await contactsIn(w.context)
    assert.equal(again.optIn, 'opted_in')
    assert.isNull(again.optedOutAt)
    assert.deepEqual(again.tags, [])
  })

  test("deleting asks for the number, then erases the contact's conversations and messages", async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const [contact, bystander] = await seed(w.context, [
      { phone: '+15550001234', name: 'Gone Soon' },
      { phone: '+15550005678', name: 'Stays' },
    ])
    const channelId = randomUUID()
    await w.context.transaction(async (trx) => {
      for (const owner of [contact, bystander]) {
        const conversation = await Conversation.create(
          { contactId: owner.id, channelId, status: 'open' },
          { client: trx }
        )
        await Message.create(
          {
            conversationId: conversation.id,
            contactId: owner.id,
            channelId,
            direction: 'inbound',
            type: 'text',
            body: 'hello',
            status: 'received',
            authorType: 'contact',
          },
          { client: trx }
        )
      }
    })
    const owner = await w.member('owner')
    const web = await signIn(owner)
    const page = `${w.contacts}/${contact.id}`
    const shown = await web.get(page)
    assert.match(shown.body, /data-conversations>1</)
    assert.include(shown.body, 'its one conversation and its messages')

    const wrong = await web.submit(page, `${page}/delete`, { confirm: '+1555' })
    assert.equal(wrong.location, `${page}#delete`)
    assert.include((await web.get(page)).body, 'Type +15550001234 exactly to delete this contact.')
    assert.lengthOf(await contactsIn(w.context), 2)

    const done = await web.submit(page, `${page}/delete`, { confirm: '+1 555 000 1234' })
    assert.equal(done.location, w.contacts)
    const counts = await w.context.transaction(async (trx) => ({
      contacts: (await trx.from('contacts').select('id')).map((row) => row.id),
      conversations: (await trx.from('conversations').select('contact_id')).map(
        (row) => row.contact_id
      ),
      messages: (await trx.from('messages').select('contact_id')).map((row) => row.contact_id),
    }))
    assert.deepEqual(counts, {
      contacts: [bystander.id],
      conversations: [bystander.id],
      messages: [bystander.id],
    })
    assert.include((await web.get(w.contacts)).body, 'Gone Soon is deleted')
    const audit = await db
      .from('audit_logs')
      .where('tenant_id', w.tenant.id)
      .where('action', 'contact.deleted')
      .firstOrFail()
    assert.equal(audit.subject_id, contact.id)
    assert.equal(audit.actor_user_id, owner.id)
    assert.deepEqual(audit.metadata, { conversationsErased: 1 })
  })

  test('viewers see contacts but every change answers 403; agents may edit', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const [contact] = await seed(w.context, [{ phone: '+15550001234', name: 'Read Only' }])
    const page = `${w.contacts}/${contact.id}`
    const viewer = await signIn(await w.member('viewer'))
    const list = await viewer.get(w.contacts)
    assert.equal(list.status, 200)
    assert.include(list.body, 'Read Only')
    assert.notInclude(list.body, `href="${w.contacts}/new"`)
    const detail = await viewer.get(page)
    assert.equal(detail.status, 200)
    assert.notInclude(detail.body, `action="${page}"`)
    assert.notInclude(detail.body, `${page}/delete`)
    assert.equal((await viewer.get(`${w.contacts}/new`)).status, 403)
    const attempts = await Promise.all([
      viewer.post(w.contacts, contactForm({ phone: '+15550009999' })),
      viewer.post(page, { name: 'Changed', opt_in: 'opted_out' }),
      viewer.post(`${page}/delete`, { confirm: '+15550001234' }),
    ])
    assert.deepEqual(
      attempts.map((response) => response.status),
      [403, 403, 403]
    )
    const [unchanged, ...others] = await contactsIn(w.context)
    assert.equal(unchanged.name, 'Read Only')
    assert.lengthOf(others, 0)

    const agent = await signIn(await w.member('agent'))
    const agentPage = await agent.get(page)
    assert.include(agentPage.body, `action="${page}"`)
    assert.include(agentPage.body, `${page}/delete`)
  })
})

test.group('Contacts: list, search and filters', () => {
  test('the list shows name, profile name, phone, tags, opt-in and update date', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    await seed(w.context, [
      {
        phone: '+15550001234',
        name: 'Nadia',
        profileName: 'Nadia 🌸',
        tags: ['vip', 'renewal'],
        optIn: 'opted_out',
      },
    ])
    const web = await signIn(await w.member('viewer'))
    const page = await web.get(w.contacts)
    assert.equal(page.status, 200)
    assert.include(page.body, 'Nadia')
    assert.include(page.body, 'On WhatsApp: Nadia 🌸')
    assert.include(page.body, '+15550001234')
    assert.include(page.body, '<li class="badge">vip</li>')
    assert.include(page.body, 'data-opt-in="opted_out"')
    assert.match(page.body, /<time datetime="\d{4}-/)
    assert.include(page.body, `href="${w.base}/contacts" aria-current="page"`)
  })

  test('search matches name, profile name, phone (as typed) and e-mail; filters by tag and opt-in', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const [nadia, omar, sara] = await seed(w.context, [
      { phone: '+15550001234', name: 'Nadia Saleh', tags: ['vip'], optIn: 'opted_in' },
      {
        phone: '+442079460018',
        profileName: 'Omar WA',
        email: 'omar@mail.test',
        tags: ['renewal'],
      },
      { phone: '+971501234567', name: 'Sara 100%', tags: ['vip', 'renewal'], optIn: 'opted_out' },
    ])
    const web = await signIn(await w.member('agent'))
    const search = async (qs: string) => rowIds((await web.get(`${w.contacts}?${qs}`)).body).sort()

    assert.deepEqual(await search('q=nadia'), [nadia.id])
    assert.deepEqual(await search('q=omar%20wa'), [omar.id])
    assert.deepEqual(await search('q=MAIL.TEST'), [omar.id])
    assert.deepEqual(await search('q=%2B44%2020%207946'), [omar.id])
    assert.deepEqual(await search('q=50%20123'), [sara.id])
    // Wildcards are searched for literally.
    assert.deepEqual(await search('q=100%25'), [sara.id])
    assert.deepEqual(await search('q=_'), [])
    assert.deepEqual(await search('tag=vip'), [nadia.id, sara.id].sort())
    assert.deepEqual(await search('tag=vip&opt_in=opted_out'), [sara.id])
    assert.deepEqual(await search('opt_in=unknown'), [omar.id])
    assert.deepEqual(await search('opt_in=nonsense'), [nadia.id, omar.id, sara.id].sort())

    const none = await web.get(`${w.contacts}?q=nobody`)
    assert.include(none.body, 'No contact matches')
    // The tag filter offers the tags in use.
    assert.include(none.body, '<option value="renewal"')
  })

  test('htmx gets the results fragment alone; a plain request gets the page', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const [nadia] = await seed(w.context, [
      { phone: '+15550001234', name: 'Nadia' },
      { phone: '+15550005678', name: 'Omar' },
    ])
    const web = await signIn(await w.member('owner'))
    const fragment = await htmxGet(web, `${w.contacts}?q=nad`)
    assert.equal(fragment.status, 200)
    assert.match(fragment.body.trimStart(), /^(\{\{--.*--\}\}\s*)?<div id="contact-results"/s)
    assert.notInclude(fragment.body, '<html')
    assert.deepEqual(rowIds(fragment.body), [nadia.id])

    const full = await web.get(`${w.contacts}?q=nad`)
    assert.include(full.body, '<html')
    assert.include(full.body, 'hx-get="' + w.contacts + '"')
    assert.include(full.body, 'hx-trigger="input changed delay:300ms, search"')
    assert.include(full.body, 'value="nad"')
  })

  test('25 contacts a page, the search kept in the page links', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const rows = Array.from({ length: 30 }, (_, i) => ({
      phone: `+1555000${String(i).padStart(4, '0')}`,
      name: `Person ${i}`,
      tags: ['bulk'],
    }))
    await seed(w.context, rows)
    const web = await signIn(await w.member('owner'))
    const first = await web.get(`${w.contacts}?tag=bulk`)
    assert.lengthOf(rowIds(first.body), 25)
    assert.include(first.body, 'Page 1 of 2 (30 in all)')
    assert.include(first.body, `${w.contacts}?tag=bulk&amp;page=2`)
    const second = await web.get(`${w.contacts}?tag=bulk&page=2`)
    assert.lengthOf(rowIds(second.body), 5)
    const all = new Set([...rowIds(first.body), ...rowIds(second.body)])
    assert.equal(all.size, 30)
  })
})

test.group('Contacts: tenant isolation', () => {
  test("a member of A gets 404 for B's contact through A's URLs and on B's URLs", async ({
    assert,
    cleanup,
  }) => {
    const a = await workspace(cleanup, 'iso-ca')
    const b = await workspace(cleanup, 'iso-cb')
    const [mine] = await seed(a.context, [{ phone: '+15550001234', name: 'Mine' }])
    const [theirs] = await seed(b.context, [{ phone: '+15550001234', name: 'Theirs' }])
    const web = await signIn(await a.member('owner'))
    await web.get(a.contacts)

    const viaA = `${a.contacts}/${theirs.id}`
    assert.equal((await web.get(viaA)).status, 404)
    assert.equal((await web.post(viaA, { name: 'Taken', opt_in: 'opted_out' })).status, 404)
    assert.equal((await web.post(`${viaA}/delete`, { confirm: '+15550001234' })).status, 404)
    assert.equal((await web.get(`${a.contacts}/not-a-uuid`)).status, 404)

    const viaB = `${b.contacts}/${theirs.id}`
    assert.equal((await web.get(viaB)).status, 404)
    assert.equal((await web.get(b.contacts)).status, 404)
    assert.equal((await web.post(`${viaB}/delete`, { confirm: '+15550001234' })).status, 404)

    const list = await web.get(a.contacts)
    assert.deepEqual(rowIds(list.body), [mine.id])
    const [stillTheirs] = await contactsIn(b.context)
    assert.equal(stillTheirs.name, 'Theirs')
    assert.equal(stillTheirs.optIn, 'unknown')
  })
})
