import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { Message } from '#modules/channels/index'
import { Contact, Conversation, matchContacts, type ContactFilter } from '#modules/inbox/index'
import { Segment } from '#modules/pulse/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeWhatsAppTenant } from '#tests/helpers/whatsapp'
import { makeMember } from '#tests/helpers/users'
import { signIn } from '#tests/functional/workspace/member_browser'
import { defineContactFields } from '#tests/helpers/contact_fields'
import { WebSession } from '#tests/helpers/web_session'

type Cleanup = (fn: () => void | Promise<void>) => void

function daysFromNow(days: number) {
  return DateTime.now().plus({ days }).toISODate()!
}

/** Five people a broker would segment, with conversations on the tenant's WhatsApp channel. */
async function brokerBook(context: TenantContext, channelId: string) {
  await defineContactFields(context, [
    { key: 'policy_end', type: 'date' },
    { key: 'premium', type: 'number' },
    { key: 'area', type: 'choice', choices: ['JLT', 'Marina'] },
    { key: 'vip', type: 'boolean' },
    { key: 'note' },
  ])
  return context.transaction(async (trx) => {
    const make = (row: Partial<Contact>) => Contact.create(row, { client: trx })
    const layla = await make({
      name: 'Layla',
      phone: '+971500000001',
      tags: ['client'],
      marketingConsent: 'opted_in',
      attributes: { policy_end: daysFromNow(10), premium: 1200, area: 'JLT', vip: true },
    })
    const omar = await make({
      name: 'Omar',
      phone: '+971500000002',
      tags: ['client', 'renewal'],
      marketingConsent: 'opted_out',
      attributes: {
        policy_end: daysFromNow(60),
        premium: 300,
        area: 'Marina',
        note: 'asked about JLT towers',
      },
    })
    const sara = await make({
      name: 'Sara',
      phone: '+971500000003',
      tags: ['lead'],
      marketingConsent: 'unknown',
      attributes: { policy_end: daysFromNow(-5), vip: false },
    })
    const nadia = await make({ name: 'Nadia', phone: '+971500000004', tags: [], attributes: {} })
    const now = DateTime.now()
    const talk = await Conversation.create(
      {
        contactId: layla.id,
        channelId,
        status: 'open',
        labels: ['jlt-tower'],
        lastMessageAt: now,
        lastCustomerMessageAt: now.minus({ days: 2 }),
      },
      { client: trx }
    )
    await Conversation.create(
      {
        contactId: omar.id,
        channelId,
        status: 'resolved',
        labels: [],
        lastMessageAt: now.minus({ days: 40 }),
        lastCustomerMessageAt: now.minus({ days: 40 }),
      },
      { client: trx }
    )
    await Message.create(
      {
        conversationId: talk.id,
        contactId: layla.id,
        channelId,
        direction: 'outbound',
        type: 'text',
        body: 'Your renewal',
        status: 'sent',
        authorType: 'agent',
        providerTimestamp: now.minus({ days: 1 }),
      },
      { client: trx }
    )
    return { layla, omar, sara, nadia }
  })
}

async function names(context: TenantContext, filter: ContactFilter) {
  const { total, contacts } = await matchContacts(context, filter)
  assertTotal(total, contacts.length)
  return contacts.map((contact) => contact.name).sort()
}

function assertTotal(total: number, listed: number) {
  if (total !== listed) throw new Error(`count ${total} but ${listed} listed`)
}

const all = (...conditions: ContactFilter['conditions']): ContactFilter => ({
  match: 'all',
  conditions,
})

test.group('Segments: filters compile to one SQL statement', () => {
  test('tags, labels, consent, channel, status, last inbound and outbound select the right people', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('segf')
    cleanup(wa.cleanup)
    const { layla } = await brokerBook(wa.context, wa.channel.id)
    const c = wa.context
    assert.deepEqual(await names(c, all()), ['Layla', 'Nadia', 'Omar', 'Sara'])
    assert.deepEqual(await names(c, all({ field: 'tag', op: 'has', value: 'client' })), [
      'Layla',
      'Omar',
    ])
    assert.deepEqual(await names(c, all({ field: 'tag', op: 'has_not', value: 'client' })), [
      'Nadia',
      'Sara',
    ])
    assert.deepEqual(await names(c, all({ field: 'label', op: 'has', value: 'jlt-tower' })), [
      'Layla',
    ])
    assert.deepEqual(
      await names(c, all({ field: 'marketing_consent', op: 'eq', value: 'opted_in' })),
      ['Layla']
    )
    assert.deepEqual(await names(c, all({ field: 'channel', op: 'eq', value: wa.channel.id })), [
      'Layla',
      'Omar',
    ])
    assert.deepEqual(
      await names(c, all({ field: 'conversation_status', op: 'eq', value: 'resolved' })),
      ['Omar']
    )
    assert.deepEqual(await names(c, all({ field: 'last_inbound', op: 'last_days', value: 7 })), [
      'Layla',
    ])
    assert.deepEqual(
      await names(c, all({ field: 'last_inbound', op: 'older_than_days', value: 30 })),
      ['Omar']
    )
    assert.deepEqual(await names(c, all({ field: 'last_inbound', op: 'empty' })), ['Nadia', 'Sara'])
    assert.deepEqual(await names(c, all({ field: 'last_outbound', op: 'last_days', value: 3 })), [
      'Layla',
    ])
    assert.deepEqual(await names(c, all({ field: 'last_outbound', op: 'empty' })), [
      'Nadia',
      'Omar',
      'Sara',
    ])
    assert.equal(layla.name, 'Layla')
  })

  test('custom fields compare by type: =, ≠, <, >, between, contains, empty, next and last N days', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('segc')
    cleanup(wa.cleanup)
    await brokerBook(wa.context, wa.channel.id)
    const c = wa.context
    assert.deepEqual(
      await names(c, all({ field: 'attr.policy_end', op: 'next_days', value: 30 })),
      ['Layla']
    )
    assert.deepEqual(await names(c, all({ field: 'attr.policy_end', op: 'last_days', value: 7 })), [
      'Sara',
    ])
    assert.deepEqual(
      await names(
        c,
        all({
          field: 'attr.policy_end',
          op: 'between',
          value: daysFromNow(0),
          value2: daysFromNow(90),
        })
      ),
      ['Layla', 'Omar']
    )
    assert.deepEqual(
      await names(c, all({ field: 'attr.policy_end', op: 'lt', value: daysFromNow(0) })),
      ['Sara']
    )
    assert.deepEqual(await names(c, all({ field: 'attr.premium', op: 'gt', value: 500 })), [
      'Layla',
    ])
    assert.deepEqual(
      await names(c, all({ field: 'attr.premium', op: 'between', value: 100, value2: 1200 })),
      ['Layla', 'Omar']
    )
    assert.deepEqual(await names(c, all({ field: 'attr.premium', op: 'empty' })), ['Nadia', 'Sara'])
    assert.deepEqual(await names(c, all({ field: 'attr.area', op: 'eq', value: 'JLT' })), ['Layla'])
    assert.deepEqual(await names(c, all({ field: 'attr.area', op: 'neq', value: 'JLT' })), [
      'Nadia',
      'Omar',
      'Sara',
    ])
    assert.deepEqual(await names(c, all({ field: 'attr.note', op: 'contains', value: 'jlt' })), [
      'Omar',
    ])
    assert.deepEqual(await names(c, all({ field: 'attr.vip', op: 'eq', value: 'false' })), ['Sara'])
    assert.deepEqual(await names(c, all({ field: 'attr.vip', op: 'not_empty' })), ['Layla', 'Sara'])
    // "any" joins with OR; a value with LIKE's wildcards is taken literally.
    assert.deepEqual(
      await names(c, {
        match: 'any',
        conditions: [
          { field: 'tag', op: 'has', value: 'lead' },
          { field: 'attr.premium', op: 'lt', value: 400 },
        ],
      }),
      ['Omar', 'Sara']
    )
    assert.deepEqual(await names(c, all({ field: 'attr.note', op: 'contains', value: '%' })), [])
  })
})

async function workspace(cleanup: Cleanup, prefix = 'segui') {
  const wa = await makeWhatsAppTenant(prefix)
  cleanup(wa.cleanup)
  const member = async (role: 'owner' | 'agent' | 'viewer') => {
    const user = await makeMember(wa.tenant.id, role)
    cleanup(() => user.delete())
    return user
  }
  return { ...wa, member, segments: `/t/${wa.tenant.slug}/segments` }
}

function segmentsIn(context: TenantContext) {
  return context.transaction((trx) => Segment.query({ client: trx }).orderBy('created_at'))
}

async function htmxPost(web: WebSession, path: string, form: Record<string, string>) {
  return web.post(path, form, { 'HX-Request': 'true', 'HX-Target': 'segment-preview' })
}

test.group('Segments: the editor', () => {
  test('the live preview counts and lists matches; saving keeps the filter; the list shows the count', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    await brokerBook(w.context, w.channel.id)
    const web = await signIn(await w.member('agent'))
    const editor = await web.get(`${w.segments}/new`)
    assert.equal(editor.status, 200)
    assert.include(editor.body, 'hx-post="' + w.segments + '/preview"')
    assert.include(editor.body, 'name="conditions[0][field]"')
    assert.include(editor.body, 'value="attr.policy_end"')
    const form = {
      'name': 'Renewals this month',
      'match': 'all',
      'conditions[0][field]': 'attr.policy_end',
      'conditions[0][op]': 'next_days',
      'conditions[0][value]': '30',
      'conditions[1][field]': 'tag',
      'conditions[1][op]': 'has',
      'conditions[1][value]': 'client',
      'conditions[2][field]': '',
    }
    const fragment = await htmxPost(web, `${w.segments}/preview`, form)
    assert.equal(fragment.status, 200)
    assert.notInclude(fragment.body, '<html')
    assert.include(fragment.body, 'data-preview-count="1"')
    assert.include(fragment.body, '1 contact matches')
    assert.include(fragment.body, 'Layla')

    // A condition that does not fit its field is shown, and nothing is counted.
    const bad = await htmxPost(web, `${w.segments}/preview`, {
      ...form,
      'conditions[0][op]': 'contains',
    })
    assert.include(bad.body, 'data-preview-invalid')

    // Without JavaScript: the Preview button renders the whole page with the preview.
    const full = await web.post(`${w.segments}/preview`, form)
    assert.equal(full.status, 200)
    assert.include(full.body, '<html')
    assert.include(full.body, 'data-preview-count="1"')
    assert.include(full.body, 'value="Renewals this month"')

    const saved = await web.post(w.segments, form)
    assert.equal(saved.status, 302)
    const [segment] = await segmentsIn(w.context)
    assert.equal(segment.name, 'Renewals this month')
    assert.deepEqual(segment.filter, {
      match: 'all',
      conditions: [
        { field: 'attr.policy_end', op: 'next_days', value: '30', value2: null },
        { field: 'tag', op: 'has', value: 'client', value2: null },
      ],
    })
    const shown = await web.get(saved.location!)
    assert.include(shown.body, 'The segment Renewals this month is saved.')
    assert.include(shown.body, 'data-preview-count="1"')
    const list = await web.get(w.segments)
    assert.match(list.body, /data-count>1</)
    // Agents cannot export contacts; an owner gets each segment's contacts as CSV from the list.
    assert.notInclude(list.body, 'data-export')
    const owner = await signIn(await w.member('owner'))
    const owned = await owner.get(w.segments)
    const href = `/t/${w.tenant.slug}/contacts/export?segment=${segment.id}`
    assert.include(owned.body, `href="${href}"`)
    const csv = await owner.get(href)
    assert.equal(csv.status, 200)
    assert.include(csv.response.headers.get('content-type') ?? '', 'text/csv')
    assert.include(csv.body, 'Layla')
    assert.lengthOf(csv.body.trim().split('\n'), 2, 'the header and the one matching contact')
  })

  test('a bad condition or a missing name is refused with the editor shown again (422)', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    await web.get(`${w.segments}/new`)
    const refused = await web.post(w.segments, {
      'name': 'Broken',
      'conditions[0][field]': 'attr.nothing',
      'conditions[0][op]': 'eq',
      'conditions[0][value]': 'x',
    })
    assert.equal(refused.status, 422)
    assert.include(refused.body, 'Pick a field.')
    const nameless = await web.post(w.segments, { name: '' })
    assert.equal(nameless.status, 422)
    assert.include(nameless.body, 'Give the segment a name.')
    assert.lengthOf(await segmentsIn(w.context), 0)
  })

  test('viewers see segments but cannot save them; the editor speaks Arabic', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    await w.context.transaction((trx) =>
      Segment.create(
        { name: 'Everyone', filter: { match: 'all', conditions: [] } },
        { client: trx }
      )
    )
    const viewer = await w.member('viewer')
    viewer.locale = 'ar'
    await viewer.save()
    const web = await signIn(viewer)
    const list = await web.get(w.segments)
    assert.equal(list.status, 200)
    assert.include(list.body, 'dir="rtl"')
    assert.include(list.body, 'الشرائح')
    assert.equal((await web.get(`${w.segments}/new`)).status, 403)
    assert.equal((await web.post(w.segments, { name: 'Mine' })).status, 403)
    assert.lengthOf(await segmentsIn(w.context), 1)
  })
})

test.group('Segments: tenant isolation', () => {
  test("A's member gets 404 for B's segment, and A's preview never counts B's contacts", async ({
    assert,
    cleanup,
  }) => {
    const a = await workspace(cleanup, 'iso-sega')
    const b = await workspace(cleanup, 'iso-segb')
    await brokerBook(b.context, b.channel.id)
    const theirs = await b.context.transaction((trx) =>
      Segment.create({ name: 'B only', filter: { match: 'all', conditions: [] } }, { client: trx })
    )
    const web = await signIn(await a.member('owner'))
    await web.get(`${a.segments}/new`)
    assert.equal((await web.get(`${a.segments}/${theirs.id}`)).status, 404)
    assert.equal((await web.post(`${a.segments}/${theirs.id}`, { name: 'Taken' })).status, 404)
    assert.equal((await web.post(`${a.segments}/${theirs.id}/delete`, {})).status, 404)
    const preview = await htmxPost(web, `${a.segments}/preview`, { match: 'all' })
    assert.include(preview.body, 'data-preview-count="0"')
    assert.notInclude((await web.get(a.segments)).body, 'B only')
    const [still] = await segmentsIn(b.context)
    assert.equal(still.name, 'B only')
  })
})
