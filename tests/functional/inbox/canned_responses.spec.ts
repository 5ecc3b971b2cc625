import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { Contact, Conversation } from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import CannedResponse from '#modules/inbox/models/canned_response'
import { createCannedResponse } from '#modules/inbox/services/canned_response_service'
import { makeWorkspace } from '#tests/helpers/tenants'
import { signIn } from '#tests/functional/workspace/member_browser'

/*
| Canned responses over HTTP: owners and admins write them on a settings
| page (with field messages that lose nothing), agents find them from the
| composer's `/` menu, and no workspace sees another's.
*/

async function allCanned(context: TenantContext) {
  return context.transaction((trx) =>
    CannedResponse.query({ client: trx }).orderBy('shortcut', 'asc')
  )
}

async function conversationWith(context: TenantContext, name: string, phone: string) {
  return context.transaction(async (trx) => {
    const contact = await Contact.create({ name, phone, source: 'whatsapp' }, { client: trx })
    return Conversation.create(
      {
        contactId: contact.id,
        channelId: crypto.randomUUID(),
        status: 'open',
        lastCustomerMessageAt: DateTime.now(),
      },
      { client: trx }
    )
  })
}

test.group('Canned responses', () => {
  test('an admin adds, edits and deletes a canned response', async ({ assert, cleanup }) => {
    const ws = await makeWorkspace(cleanup, 'canned')
    const web = await signIn(await ws.member('admin'))
    const page = `${ws.base}/settings/canned-responses`

    const list = await web.get(page)
    assert.equal(list.status, 200)
    assert.include(list.body, 'No canned responses yet')

    const created = await web.submit(page, page, {
      shortcut: '/Opening-Hours',
      title: 'Opening hours',
      body: 'Hi {{contact.name}}, we are open 9 to 5, Sunday to Thursday.',
    })
    assert.equal(created.status, 302)
    assert.equal(created.location, page)
    const [stored] = await allCanned(ws.context)
    assert.equal(stored.shortcut, 'opening-hours')
    assert.equal(stored.title, 'Opening hours')
    const shown = await web.get(page)
    assert.include(shown.body, 'Canned response /opening-hours added.')
    assert.include(shown.body, 'data-canned="opening-hours"')

    const edit = `${page}/${stored.id}`
    const saved = await web.submit(edit, edit, {
      shortcut: 'hours',
      title: 'Hours',
      body: 'We are open 9 to 5.',
    })
    assert.equal(saved.status, 302)
    const [changed] = await allCanned(ws.context)
    assert.equal(changed.shortcut, 'hours')
    assert.equal(changed.body, 'We are open 9 to 5.')

    const wrong = await web.submit(edit, `${edit}/delete`, { confirm: 'nope' })
    assert.equal(wrong.location, `${edit}#delete`)
    assert.include((await web.get(edit)).body, 'Type hours to confirm.')
    assert.lengthOf(await allCanned(ws.context), 1)

    const deleted = await web.submit(edit, `${edit}/delete`, { confirm: '/hours' })
    assert.equal(deleted.location, page)
    assert.lengthOf(await allCanned(ws.context), 0)
    assert.equal((await web.get(edit)).status, 404)
  })

  test('a taken or malformed shortcut comes back on its field, with what was typed', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'canned')
    await createCannedResponse(ws.context, { shortcut: 'greeting', title: 'Hi', body: 'Hi!' }, null)
    const web = await signIn(await ws.member('owner'))
    const page = `${ws.base}/settings/canned-responses`

    const taken = await web.submit(page, page, {
      shortcut: 'GREETING',
      title: 'Another greeting',
      body: 'Hello again',
    })
    assert.equal(taken.location, `${page}#new`)
    let shown = await web.get(page)
    assert.include(shown.body, '/greeting is already a canned response.')
    assert.include(shown.body, 'value="Another greeting"')
    assert.include(shown.body, 'Hello again')

    await web.submit(page, page, { shortcut: 'hello world!', title: 'Bad', body: 'Text' })
    shown = await web.get(page)
    assert.include(shown.body, 'Use lowercase letters, digits, _ and - only')
    assert.include(shown.body, 'value="hello world!"')

    await web.submit(page, page, { shortcut: 'x'.repeat(40), title: '', body: '' })
    shown = await web.get(page)
    assert.include(shown.body, `id="canned-new-title-error">Fill in this field.`)
    assert.lengthOf(await allCanned(ws.context), 1)

    // Renaming onto a taken shortcut is refused the same way.
    const other = await createCannedResponse(
      ws.context,
      { shortcut: 'bye', title: 'Bye', body: 'Bye!' },
      null
    )
    const edit = `${page}/${other.id}`
    const renamed = await web.submit(edit, edit, { shortcut: 'greeting', title: 'Bye', body: 'x' })
    assert.equal(renamed.location, edit)
    assert.include((await web.get(edit)).body, '/greeting is already a canned response.')
    const still = await allCanned(ws.context)
    assert.deepEqual(
      still.map((row) => row.shortcut),
      ['bye', 'greeting']
    )
  })

  test('agents search them from the composer, filled in for the conversation', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'canned')
    const agent = await ws.member('agent')
    await createCannedResponse(
      ws.context,
      {
        shortcut: 'greeting',
        title: 'Greeting',
        body: 'Hello {{contact.name}}, {{agent.name}} here.',
      },
      null
    )
    await createCannedResponse(
      ws.context,
      { shortcut: 'pricing', title: 'Our greeting offer', body: 'Prices start at 10.' },
      null
    )
    await createCannedResponse(ws.context, { shortcut: 'bye', title: 'Bye', body: 'Bye!' }, null)
    const conversation = await conversationWith(ws.context, 'Sara', '+15550007777')
    const web = await signIn(agent)

    const search = `${ws.base}/canned-responses/search`
    const found = await web.get(`${search}?q=gre&conversation=${conversation.id}`)
    assert.equal(found.status, 200)
    // The shortcut that starts with what was typed comes first, then title matches.
    const order = [...found.body.matchAll(/data-shortcut="([^"]+)"/g)].map((m) => m[1])
    assert.deepEqual(order, ['greeting', 'pricing'])
    assert.include(found.body, `data-canned-text="Hello Sara, ${agent.name} here."`)

    // What the text box holds, as htmx includes it.
    const typed = await web.get(`${search}?text=%2Fbye&conversation=${conversation.id}`)
    assert.deepEqual(
      [...typed.body.matchAll(/data-shortcut="([^"]+)"/g)].map((m) => m[1]),
      ['bye']
    )
    const none = await web.get(`${search}?q=zzz`)
    assert.include(none.body, 'No canned response matches /zzz.')

    // Agents use canned responses; writing them is for owners and admins.
    assert.equal((await web.get(`${ws.base}/settings/canned-responses`)).status, 403)
    const viewer = await signIn(await ws.member('viewer'))
    assert.equal((await viewer.get(`${search}?q=gre`)).status, 403)
  })

  test('another workspace’s members cannot see, search or change them', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'canned')
    const other = await makeWorkspace(cleanup, 'canned-other')
    const mine = await createCannedResponse(
      ws.context,
      { shortcut: 'secret', title: 'Secret', body: 'Our internal discount code is 42.' },
      null
    )
    const conversation = await conversationWith(ws.context, 'Sara', '+15550008888')
    const outsider = await signIn(await other.member('owner'))

    // Through this workspace's address: not a member.
    const here = `${ws.base}/settings/canned-responses`
    assert.equal((await outsider.get(here)).status, 404)
    assert.equal((await outsider.get(`${here}/${mine.id}`)).status, 404)
    assert.equal((await outsider.get(`${ws.base}/canned-responses/search?q=sec`)).status, 404)
    // Through their own workspace's address: the id is nothing there.
    const there = `${other.base}/settings/canned-responses`
    assert.equal((await outsider.get(`${there}/${mine.id}`)).status, 404)
    await outsider.get(there)
    const update = await outsider.post(`${there}/${mine.id}`, {
      shortcut: 'secret',
      title: 'Mine now',
      body: 'x',
    })
    assert.equal(update.status, 404)
    const remove = await outsider.post(`${there}/${mine.id}/delete`, { confirm: 'secret' })
    assert.equal(remove.status, 404)
    const list = await outsider.get(there)
    assert.notInclude(list.body, 'secret')
    const search = await outsider.get(`${other.base}/canned-responses/search?q=sec`)
    assert.notInclude(search.body, 'discount')
    const foreign = await outsider.get(
      `${other.base}/canned-responses/search?q=sec&conversation=${conversation.id}`
    )
    assert.equal(foreign.status, 404)

    const [still] = await allCanned(ws.context)
    assert.equal(still.title, 'Secret')
  })
})
