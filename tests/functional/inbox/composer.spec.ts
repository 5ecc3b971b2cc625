import { test } from '@japa/runner'
import { setTimeout as sleep } from 'node:timers/promises'
import { DateTime } from 'luxon'
import drive from '@adonisjs/drive/services/main'
import { addSandboxChannel, Message, MessageTemplate } from '#modules/channels/index'
import { Contact, Conversation } from '#modules/inbox/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { createCannedResponse } from '#modules/inbox/services/canned_response_service'
import { makeMember } from '#tests/helpers/users'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { signIn, postMultipart } from '#tests/functional/workspace/member_browser'
import { makeWhatsAppTenant, waitFor } from '#tests/helpers/whatsapp'
import { WebSession } from '#tests/helpers/web_session'

/*
| The inbox composer over HTTP with the real database, queue worker and a
| local Graph API: replies, files, templates, notes and canned shortcuts,
| what WhatsApp's rules refuse, and who may write where.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

/** A 1x1 PNG: real image bytes, so the upload's type is detected, not guessed. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64'
)

async function composerWorkspace(cleanup: Cleanup) {
  const wa = await makeWhatsAppTenant('compose')
  cleanup(wa.cleanup)
  const member = async (role: 'owner' | 'admin' | 'agent' | 'viewer') => {
    const user = await makeMember(wa.tenant.id, role)
    cleanup(() => user.delete())
    return user
  }
  return { ...wa, member, base: `/t/${wa.tenant.slug}` }
}

let phoneCounter = 2000

/** A contact who last wrote `hoursAgo` hours ago on `channelId`, and the conversation. */
async function conversationOn(
  context: TenantContext,
  channelId: string,
  options: { hoursAgo?: number; optedOut?: boolean; name?: string } = {}
) {
  return context.transaction(async (trx) => {
    const phone = `+1555${String(phoneCounter++).padStart(7, '0')}`
    const contact = await Contact.create(
      {
        phone,
        waId: phone.slice(1),
        name: options.name ?? null,
        source: 'whatsapp',
        optIn: options.optedOut ? 'opted_out' : 'unknown',
      },
      { client: trx }
    )
    const wrote = DateTime.now().minus({ hours: options.hoursAgo ?? 1 })
    const conversation = await Conversation.create(
      {
        contactId: contact.id,
        channelId,
        status: 'open',
        lastCustomerMessageAt: wrote,
        lastMessageAt: wrote,
      },
      { client: trx }
    )
    return { conversation, contact, phone }
  })
}

async function outboundOf(context: TenantContext, conversationId: string) {
  return context.transaction((trx) =>
    Message.query({ client: trx })
      .where('conversation_id', conversationId)
      .where('direction', 'outbound')
      .orderBy('created_at', 'asc')
  )
}

/** The conversation's messages once every one of them is sent or failed. */
async function settledMessages(context: TenantContext, conversationId: string, count: number) {
  return waitFor(async () => {
    const rows = await outboundOf(context, conversationId)
    const done = rows.filter((row) => row.externalId || row.status === 'failed' || row.isNote)
    return rows.length >= count && done.length === rows.length ? rows : null
  })
}

function keyIn(page: string) {
  return page.match(/name="idempotency_key" value="([0-9a-f-]{36})"/)?.[1]
}

async function approvedTemplate(context: TenantContext, channelId: string) {
  await context.transaction((trx) =>
    MessageTemplate.create(
      {
        channelId,
        providerId: '9001',
        name: 'renewal_reminder',
        language: 'en',
        category: 'UTILITY',
        status: 'APPROVED',
        bodyVariables: 2,
        components: [
          {
            type: 'BODY',
            text: 'Hello {{1}}, your policy renews on {{2}}.',
            example: { body_text: [['Sara', '1 May']] },
          },
        ],
      },
      { client: trx }
    )
  )
}

test.group('Inbox composer', (group) => {
  const graph = useFakeGraph(group)
  withDefaultQueueWorker(group)

  const sendsTo = (phoneNumberId: string) =>
    graph.sends().filter((call) => call.path.endsWith(`/${phoneNumberId}/messages`))

  test('a reply reaches WhatsApp once even when the same form is submitted twice', async ({
    assert,
    cleanup,
  }) => {
    const w = await composerWorkspace(cleanup)
    const { conversation, phone } = await conversationOn(w.context, w.channel.id)
    const web = await signIn(await w.member('agent'))
    const page = await web.get(`${w.base}/inbox/${conversation.id}`)
    assert.equal(page.status, 200)
    assert.include(page.body, 'data-composer=')
    const key = keyIn(page.body)
    assert.isString(key)

    const action = `${w.base}/inbox/${conversation.id}/messages`
    const fields = { text: 'Your policy renews on 1 May.', idempotency_key: key! }
    const first = await web.post(action, fields)
    const second = await web.post(action, fields)
    assert.equal(first.status, 302)
    assert.equal(first.location, `${w.base}/inbox/${conversation.id}#composer`)
    assert.equal(second.status, 302)

    const [message] = await settledMessages(w.context, conversation.id, 1)
    await sleep(300)
    assert.lengthOf(await outboundOf(w.context, conversation.id), 1)
    const sends = sendsTo(w.phoneNumberId)
    assert.lengthOf(sends, 1)
    assert.deepInclude(sends[0].body, { to: phone.slice(1), type: 'text' })
    assert.equal(sends[0].body.text.body, 'Your policy renews on 1 May.')
    assert.equal(message.authorType, 'agent')
    assert.match(message.externalId!, /^wamid\./)

    // A fresh render brings a fresh key: the next message is a new one.
    const again = await web.get(`${w.base}/inbox/${conversation.id}`)
    assert.notEqual(keyIn(again.body), key)
  })

  test('htmx gets a fresh composer back after a send, and the refused one with 422', async ({
    assert,
    cleanup,
  }) => {
    const w = await composerWorkspace(cleanup)
    const { conversation } = await conversationOn(w.context, w.channel.id)
    const web = await signIn(await w.member('agent'))
    await web.get(`${w.base}/inbox/${conversation.id}`)
    const action = `${w.base}/inbox/${conversation.id}/messages`
    const htmx = { 'HX-Request': 'true', 'HX-Target': 'composer' }

    const sent = await postWith(web, action, { text: 'Hello there' }, htmx)
    assert.equal(sent.status, 200)
    assert.include(sent.body, 'id="composer"')
    assert.notInclude(sent.body, 'Hello there')
    assert.notInclude(sent.body, '<html')

    const empty = await postWith(web, action, { text: '   ' }, htmx)
    assert.equal(empty.status, 422)
    assert.include(empty.body, 'data-field-error="text"')
    assert.include(empty.body, 'Write a message first.')
  })

  test('a file goes to Graph’s media endpoint, then the message names its media id', async ({
    assert,
    cleanup,
  }) => {
    const w = await composerWorkspace(cleanup)
    const { conversation } = await conversationOn(w.context, w.channel.id)
    const web = await signIn(await w.member('agent'))
    const page = `${w.base}/inbox/${conversation.id}`
    const uploadsBefore = graph.uploads.length

    const posted = await postMultipart(
      web,
      page,
      `${page}/messages`,
      { text: 'Your new policy card', idempotency_key: crypto.randomUUID() },
      { field: 'attachment', name: 'card.png', type: 'image/png', bytes: PNG }
    )
    assert.equal(posted.status, 302)
    assert.equal(posted.location, `${page}#composer`)

    const [message] = await settledMessages(w.context, conversation.id, 1)
    cleanup(() => drive.use().delete(message.media!.storageKey!))
    assert.equal(message.type, 'image')
    assert.equal(message.media?.status, 'stored')
    assert.isTrue(message.media!.storageKey!.startsWith(`tenants/${w.tenant.id}/uploads/`))
    assert.deepEqual(Buffer.from(await drive.use().getBytes(message.media!.storageKey!)), PNG)

    const uploads = graph.uploads.slice(uploadsBefore)
    assert.lengthOf(uploads, 1)
    assert.equal(uploads[0].phoneNumberId, w.phoneNumberId)
    assert.equal(uploads[0].messagingProduct, 'whatsapp')
    assert.equal(uploads[0].type, 'image/png')
    assert.equal(uploads[0].filename, 'card.png')
    assert.deepEqual(uploads[0].bytes, PNG)

    const sends = sendsTo(w.phoneNumberId)
    assert.lengthOf(sends, 1)
    assert.equal(sends[0].body.type, 'image')
    assert.deepEqual(sends[0].body.image, { id: uploads[0].id, caption: 'Your new policy card' })
    // The upload answered before the message went out.
    const uploadCall = graph.mediaUploads().find((call) => call.path.includes(w.phoneNumberId))!
    assert.isAtMost(uploadCall.at, sends[0].at)
  })

  test('a retried send reuses the uploaded media id instead of uploading again', async ({
    assert,
    cleanup,
  }) => {
    const w = await composerWorkspace(cleanup)
    const { conversation } = await conversationOn(w.context, w.channel.id)
    const web = await signIn(await w.member('agent'))
    const page = `${w.base}/inbox/${conversation.id}`
    // The upload succeeds; WhatsApp's first answer to the send is a transient error.
    graph.reply({ status: 200, body: { id: '424242' } }).fail(500, 131000, 'Something went wrong')

    await postMultipart(
      web,
      page,
      `${page}/messages`,
      { text: '', idempotency_key: crypto.randomUUID() },
      { field: 'attachment', name: 'card.png', type: 'image/png', bytes: PNG }
    )
    const [message] = await settledMessages(w.context, conversation.id, 1)
    cleanup(() => drive.use().delete(message.media!.storageKey!))
    assert.match(message.externalId!, /^wamid\./)
    const uploads = graph.mediaUploads().filter((call) => call.path.includes(w.phoneNumberId))
    assert.lengthOf(uploads, 1)
    const sends = sendsTo(w.phoneNumberId)
    assert.lengthOf(sends, 2)
    for (const send of sends) assert.deepEqual(send.body.image, { id: '424242' })
  }).timeout(30_000)

  test('files WhatsApp would refuse are refused on their field, and nothing is stored', async ({
    assert,
    cleanup,
  }) => {
    const w = await composerWorkspace(cleanup)
    const { conversation } = await conversationOn(w.context, w.channel.id)
    const web = await signIn(await w.member('agent'))
    const page = `${w.base}/inbox/${conversation.id}`

    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')
    const wrongType = await postMultipart(
      web,
      page,
      `${page}/messages`,
      { text: 'keep me' },
      { field: 'attachment', name: 'anim.gif', type: 'image/gif', bytes: gif }
    )
    assert.equal(wrongType.status, 302)
    let shown = await web.get(page)
    assert.include(shown.body, 'data-field-error="attachment"')
    assert.include(shown.body, 'WhatsApp cannot send this kind of file (image/gif)')
    assert.include(shown.body, 'keep me')

    // A PNG over 5 MB: its header makes it an image, its size too large for one.
    const big = Buffer.concat([PNG, Buffer.alloc(5 * 1024 * 1024 + 10)])
    await postMultipart(
      web,
      page,
      `${page}/messages`,
      { text: 'big one' },
      { field: 'attachment', name: 'big.png', type: 'image/png', bytes: big }
    )
    shown = await web.get(page)
    assert.include(shown.body, 'WhatsApp sends a image of at most 5 MB.')

    // Audio takes no caption.
    // An Ogg page header whose first packet is Vorbis: detected as audio/ogg.
    const ogg = Buffer.alloc(300)
    ogg.write('OggS', 0)
    ogg.write('\x01vorbis', 28, 'latin1')
    await postMultipart(
      web,
      page,
      `${page}/messages`,
      { text: 'a caption' },
      { field: 'attachment', name: 'voice.ogg', type: 'audio/ogg', bytes: ogg }
    )
    shown = await web.get(page)
    assert.include(shown.body, 'WhatsApp cannot add a caption to audio')

    assert.lengthOf(await outboundOf(w.context, conversation.id), 0)
    const stored = await drive.use().listAll(`tenants/${w.tenant.id}/uploads`)
    assert.lengthOf([...stored.objects], 0)
  }).timeout(30_000)

  test('outside the 24-hour window a reply is refused with the text kept; a template goes', async ({
    assert,
    cleanup,
  }) => {
    const w = await composerWorkspace(cleanup)
    await approvedTemplate(w.context, w.channel.id)
    const { conversation, phone } = await conversationOn(w.context, w.channel.id, {
      hoursAgo: 30,
      name: 'Sara',
    })
    const web = await signIn(await w.member('agent'))
    const page = `${w.base}/inbox/${conversation.id}`

    const shown = await web.get(page)
    assert.include(shown.body, 'data-window-closed')
    assert.include(shown.body, 'The 24-hour window is closed.')
    assert.notInclude(shown.body, 'name="text"')

    const refused = await web.post(`${page}/messages`, { text: 'Are you still there?' })
    assert.equal(refused.status, 302)
    const after = await web.get(page)
    assert.include(after.body, 'data-composer-error')
    assert.include(after.body, 'WhatsApp only allows an approved template now')
    assert.include(after.body, 'Are you still there?')

    const htmx = await postWith(
      web,
      `${page}/messages`,
      { text: 'Still there?' },
      { 'HX-Request': 'true' }
    )
    assert.equal(htmx.status, 422)
    assert.include(htmx.body, 'WhatsApp only allows an approved template now')
    assert.include(htmx.body, 'Still there?')

    // The picker lists the approved template; its form has a field per variable.
    const list = await web.get(`${page}/templates`)
    assert.include(list.body, 'data-template="renewal_reminder"')
    const form = await web.get(`${page}/templates?name=renewal_reminder&language=en`)
    assert.equal(form.status, 200)
    assert.include(form.body, 'name="variables[0]"')
    assert.include(form.body, 'name="variables[1]"')
    assert.include(form.body, 'placeholder="1 May"')
    assert.include(form.body, 'Hello {{1}}, your policy renews on {{2}}.')

    const sent = await web.post(`${page}/templates`, {
      'name': 'renewal_reminder',
      'language': 'en',
      'variables[0]': 'Sara',
      'variables[1]': '1 June',
      'idempotency_key': crypto.randomUUID(),
    })
    assert.equal(sent.status, 302)
    assert.equal(sent.location, `${page}#composer`)
    const [message] = await settledMessages(w.context, conversation.id, 1)
    assert.equal(message.type, 'template')
    const sends = sendsTo(w.phoneNumberId)
    assert.lengthOf(sends, 1)
    assert.equal(sends[0].body.to, phone.slice(1))
    assert.deepEqual(sends[0].body.template, {
      name: 'renewal_reminder',
      language: { code: 'en' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Sara' },
            { type: 'text', text: '1 June' },
          ],
        },
      ],
    })
  })

  test('a template with the wrong number of variables is refused on its fields', async ({
    assert,
    cleanup,
  }) => {
    const w = await composerWorkspace(cleanup)
    await approvedTemplate(w.context, w.channel.id)
    const { conversation } = await conversationOn(w.context, w.channel.id, { hoursAgo: 30 })
    const web = await signIn(await w.member('agent'))
    const page = `${w.base}/inbox/${conversation.id}`
    const formPage = `${page}/templates?name=renewal_reminder&language=en`
    await web.get(formPage)

    const tooFew = await web.post(`${page}/templates`, {
      'name': 'renewal_reminder',
      'language': 'en',
      'variables[0]': 'Sara',
    })
    assert.equal(tooFew.status, 302)
    assert.equal(tooFew.location, formPage)
    const shown = await web.get(tooFew.location!)
    assert.include(shown.body, 'data-field-error="variables"')
    assert.include(shown.body, 'This template takes 2 variables.')
    assert.include(shown.body, 'value="Sara"')

    const blank = await postWith(
      web,
      `${page}/templates`,
      { 'name': 'renewal_reminder', 'language': 'en', 'variables[0]': 'Sara', 'variables[1]': ' ' },
      { 'HX-Request': 'true' }
    )
    assert.equal(blank.status, 422)
    assert.include(blank.body, 'Fill in variable {{2}}.')
    assert.include(blank.body, 'name="variables[1]"')

    const unknown = await web.get(`${page}/templates?name=no_such&language=en`)
    assert.equal(unknown.status, 404)
    assert.lengthOf(await outboundOf(w.context, conversation.id), 0)
  })

  test('an opted-out contact gets nothing; the refusal says why', async ({ assert, cleanup }) => {
    const w = await composerWorkspace(cleanup)
    const { conversation } = await conversationOn(w.context, w.channel.id, { optedOut: true })
    const web = await signIn(await w.member('agent'))
    const page = `${w.base}/inbox/${conversation.id}`
    await web.get(page)
    const refused = await web.post(`${page}/messages`, { text: 'Special offer!' })
    assert.equal(refused.status, 302)
    const shown = await web.get(page)
    assert.include(shown.body, 'This contact opted out of messages.')
    assert.include(shown.body, 'Special offer!')
    await sleep(300)
    assert.lengthOf(await outboundOf(w.context, conversation.id), 0)
    assert.lengthOf(sendsTo(w.phoneNumberId), 0)
  })

  test('notes stay in the team: stored as notes, never sent, allowed when WhatsApp would refuse', async ({
    assert,
    cleanup,
  }) => {
    const w = await composerWorkspace(cleanup)
    const agent = await w.member('agent')
    const { conversation } = await conversationOn(w.context, w.channel.id, {
      hoursAgo: 40,
      optedOut: true,
    })
    const web = await signIn(agent)
    const page = `${w.base}/inbox/${conversation.id}`
    await web.get(page)
    const callsBefore = graph.calls.length

    const added = await web.post(`${page}/notes`, { note: 'Customer asked us to call on Monday.' })
    assert.equal(added.status, 302)
    const empty = await web.post(`${page}/notes`, { note: '' })
    assert.equal(empty.status, 302)
    assert.include((await web.get(page)).body, 'Write the note first.')

    const [note] = await outboundOf(w.context, conversation.id)
    assert.isTrue(note.isNote)
    assert.equal(note.status, 'sent')
    assert.equal(note.direction, 'outbound')
    assert.equal(note.authorType, 'agent')
    assert.equal(note.authorId, agent.id)
    assert.equal(note.body, 'Customer asked us to call on Monday.')

    await sleep(500)
    assert.equal(graph.calls.length, callsBefore, 'nothing went to WhatsApp')
    const fresh = await w.context.transaction((trx) =>
      Conversation.query({ client: trx }).where('id', conversation.id).firstOrFail()
    )
    assert.equal(
      fresh.lastCustomerMessageAt!.toMillis(),
      conversation.lastCustomerMessageAt!.toMillis(),
      'a note is not the customer writing'
    )
    const thread = await web.get(page)
    assert.include(thread.body, 'data-note')
    assert.include(thread.body, 'Customer asked us to call on Monday.')
  })

  test('a message of just /shortcut sends that canned response, filled in', async ({
    assert,
    cleanup,
  }) => {
    const w = await composerWorkspace(cleanup)
    const agent = await w.member('agent')
    await createCannedResponse(
      w.context,
      {
        shortcut: 'greeting',
        title: 'Greeting',
        body: 'Hello {{contact.name}}, this is {{ agent.name }}. We reached you at {{contact.phone}}.',
      },
      null
    )
    const { conversation, phone } = await conversationOn(w.context, w.channel.id, {
      name: 'Sara',
    })
    const web = await signIn(agent)
    const page = `${w.base}/inbox/${conversation.id}`
    await web.get(page)

    const sent = await web.post(`${page}/messages`, { text: ' /Greeting ' })
    assert.equal(sent.status, 302)
    const [message] = await settledMessages(w.context, conversation.id, 1)
    const expected = `Hello Sara, this is ${agent.name}. We reached you at ${phone}.`
    assert.equal(message.body, expected)
    assert.equal(sendsTo(w.phoneNumberId)[0].body.text.body, expected)

    const unknown = await web.post(`${page}/messages`, { text: '/nosuch' })
    assert.equal(unknown.status, 302)
    const shown = await web.get(page)
    assert.include(shown.body, 'There is no canned response /nosuch.')
    assert.include(shown.body, '/nosuch')
    assert.lengthOf(await outboundOf(w.context, conversation.id), 1)
  })

  test('a sandbox conversation’s file is stored and marked sent without WhatsApp', async ({
    assert,
    cleanup,
  }) => {
    const w = await composerWorkspace(cleanup)
    const sandbox = await addSandboxChannel(w.tenant, systemActor)
    const { conversation } = await conversationOn(w.context, sandbox.id, { hoursAgo: 50 })
    const web = await signIn(await w.member('agent'))
    const page = `${w.base}/inbox/${conversation.id}`
    const callsBefore = graph.calls.length
    const shown = await web.get(page)
    assert.include(shown.body, 'name="text"', 'no 24-hour rule on the sandbox')

    const posted = await postMultipart(
      web,
      page,
      `${page}/messages`,
      { text: 'A card' },
      { field: 'attachment', name: 'card.png', type: 'image/png', bytes: PNG }
    )
    assert.equal(posted.status, 302)
    const [message] = await settledMessages(w.context, conversation.id, 1)
    cleanup(() => drive.use().delete(message.media!.storageKey!))
    assert.equal(message.status, 'sent')
    assert.equal(message.type, 'image')
    assert.equal(graph.calls.length, callsBefore)
  })

  test('viewers cannot write: every composer action answers 403', async ({ assert, cleanup }) => {
    const w = await composerWorkspace(cleanup)
    const { conversation } = await conversationOn(w.context, w.channel.id)
    const web = await signIn(await w.member('viewer'))
    const page = `${w.base}/inbox/${conversation.id}`
    const shown = await web.get(page)
    assert.equal(shown.status, 200)
    assert.notInclude(shown.body, `action="${page}/messages"`)
    assert.include(shown.body, 'You can read this conversation but not reply to it.')

    assert.equal((await web.post(`${page}/messages`, { text: 'hi' })).status, 403)
    assert.equal((await web.post(`${page}/notes`, { note: 'hi' })).status, 403)
    assert.equal((await web.get(`${page}/templates`)).status, 403)
    assert.equal((await web.post(`${page}/templates`, { name: 'x', language: 'en' })).status, 403)
    assert.lengthOf(await outboundOf(w.context, conversation.id), 0)
  })

  test('a member of another workspace cannot write into this one’s conversation', async ({
    assert,
    cleanup,
  }) => {
    const w = await composerWorkspace(cleanup)
    const other = await composerWorkspace(cleanup)
    const { conversation } = await conversationOn(w.context, w.channel.id)
    const outsider = await signIn(await other.member('owner'))
    await outsider.get(`${other.base}/inbox`)

    // Through this workspace's address: not a member, so it does not exist.
    const here = `${w.base}/inbox/${conversation.id}`
    assert.equal((await outsider.post(`${here}/messages`, { text: 'hi' })).status, 404)
    assert.equal((await outsider.post(`${here}/notes`, { note: 'hi' })).status, 404)
    // Through their own workspace's address: no such conversation there.
    const there = `${other.base}/inbox/${conversation.id}`
    assert.equal((await outsider.post(`${there}/messages`, { text: 'hi' })).status, 404)
    assert.equal((await outsider.post(`${there}/notes`, { note: 'hi' })).status, 404)
    assert.equal((await outsider.get(`${there}/templates`)).status, 404)
    assert.equal(
      (await outsider.post(`${there}/templates`, { name: 'x', language: 'en' })).status,
      404
    )
    await sleep(300)
    assert.lengthOf(await outboundOf(w.context, conversation.id), 0)
    assert.lengthOf(sendsTo(w.phoneNumberId), 0)
  })
})

/** A form post with extra headers (htmx's), with the session's cookies and CSRF token. */
async function postWith(
  web: WebSession,
  action: string,
  fields: Record<string, string>,
  headers: Record<string, string>
) {
  const page = await web.get('/account/profile')
  const csrf = page.body.match(/name='_csrf' value='([^']+)'/)?.[1] ?? ''
  const cookie = [...web.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const response = await fetch(`${WebSession.baseUrl()}${action}`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ ...fields, _csrf: csrf }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers },
  })
  return { status: response.status, body: await response.text() }
}
