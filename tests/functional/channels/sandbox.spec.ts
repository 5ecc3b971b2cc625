import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import emitter from '@adonisjs/core/services/emitter'
import {
  Channel,
  Message,
  queueOutboundMessage,
  type MessageReceivedEvent,
  type MessageStatusEvent,
} from '#modules/channels/index'
import { Contact, Conversation } from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { useWorkers } from '#tests/helpers/queue'
import { WebSession } from '#tests/helpers/web_session'
import { signIn } from '#tests/functional/workspace/member_browser'
import { waitFor } from '#tests/helpers/whatsapp'

/*
| The sandbox phone over HTTP, with the real queue: what the simulated
| customer does is a WhatsApp webhook in webhook_events, processed by the
| same jobs as Meta's; what the business answers shows on the phone.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

let counter = 0
function customerPhone() {
  counter++
  return `+1555${String(Date.now() % 1_000_000).padStart(6, '0')}${counter % 10}`
}

async function sandboxWorkspace(cleanup: Cleanup, prefix = 'sbx') {
  const ws = await makeWorkspace(cleanup, prefix)
  const as = async (role: 'owner' | 'admin' | 'agent' | 'viewer') => signIn(await ws.member(role))
  const owner = await as('owner')
  // The owner's first visit sets the phone up.
  const first = await owner.get(`${ws.base}/sandbox`)
  if (first.status !== 200) throw new Error(`sandbox page answered ${first.status}`)
  const channel = await Channel.query()
    .where('tenant_id', ws.tenant.id)
    .where('type', 'sandbox')
    .firstOrFail()
  return { ...ws, as, owner, channel }
}

function events(channelId: string) {
  return db
    .from('webhook_events')
    .where('channel_id', channelId)
    .orderBy('id')
    .select('id', 'payload', 'senders', 'processed_at', 'provider')
}

async function inboundOf(context: TenantContext, waId: string) {
  return context.transaction(async (trx) => {
    const contact = await Contact.query({ client: trx }).where('wa_id', waId).first()
    if (!contact) return []
    return Message.query({ client: trx })
      .where('contact_id', contact.id)
      .where('direction', 'inbound')
      .orderBy('seq')
  })
}

/** A conversation's thread in the inbox, as htmx asks for it. */
async function threadOf(web: WebSession, path: string) {
  const response = await fetch(`${WebSession.baseUrl()}${path}`, {
    headers: {
      'HX-Request': 'true',
      'HX-Target': 'inbox-thread',
      'cookie': [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    },
  })
  if (response.status !== 200) throw new Error(`thread answered ${response.status}`)
  return response.text()
}

/** Sends as the customer and waits until the pipeline stored the message. */
async function say(
  web: WebSession,
  base: string,
  context: TenantContext,
  phone: string,
  fields: Record<string, string>
) {
  const before = (await inboundOf(context, phone.slice(1))).length
  await web.get(`${base}/sandbox?phone=${encodeURIComponent(phone)}`)
  const sent = await web.post(`${base}/sandbox/messages`, { phone, name: 'Layla Test', ...fields })
  if (sent.status !== 302)
    throw new Error(`send answered ${sent.status}: ${sent.body.slice(0, 300)}`)
  return waitFor(async () => {
    const rows = await inboundOf(context, phone.slice(1))
    return rows.length > before ? rows.at(-1)! : null
  })
}

test.group('Sandbox phone', (group) => {
  useWorkers(group, ['default', 'inbound'])

  test('a message from the phone is a WhatsApp webhook, processed by the same pipeline into the inbox', async ({
    assert,
    cleanup,
  }) => {
    const w = await sandboxWorkspace(cleanup)
    const phone = customerPhone()
    const received: MessageReceivedEvent[] = []
    const listener = (event: MessageReceivedEvent) => {
      if (event.tenantId === w.tenant.id) received.push(event)
    }
    emitter.on('message:received', listener)
    cleanup(() => emitter.off('message:received', listener))

    await w.owner.get(`${w.base}/sandbox?phone=${encodeURIComponent(phone)}&name=Layla`)
    const sent = await w.owner.post(`${w.base}/sandbox/messages`, {
      phone,
      name: 'Layla Test',
      kind: 'text',
      text: 'Is the flat on Elm Street still available?',
    })
    assert.equal(sent.status, 302)
    assert.include(sent.location!, `${w.base}/sandbox?phone=`)

    const [event] = await events(w.channel.id)
    assert.equal(event.provider, 'whatsapp')
    assert.deepEqual(event.senders, [phone.slice(1)])
    const value = event.payload.entry[0].changes[0].value
    assert.equal(event.payload.object, 'whatsapp_business_account')
    assert.equal(event.payload.entry[0].changes[0].field, 'messages')
    assert.equal(value.messaging_product, 'whatsapp')
    assert.deepEqual(value.contacts, [{ profile: { name: 'Layla Test' }, wa_id: phone.slice(1) }])
    assert.equal(value.messages[0].type, 'text')
    assert.equal(value.messages[0].text.body, 'Is the flat on Elm Street still available?')
    assert.match(value.messages[0].id, /^wamid\./)

    await waitFor(async () => (await events(w.channel.id))[0].processed_at)
    const delivered = await waitFor(async () => received[0])
    const [message] = await inboundOf(w.context, phone.slice(1))
    assert.equal(delivered.messageId, message.id)
    assert.equal(delivered.channelId, w.channel.id)
    assert.equal(message.externalId, value.messages[0].id)
    assert.equal(message.body, 'Is the flat on Elm Street still available?')

    const inbox = await w.owner.get(`${w.base}/inbox`)
    assert.include(inbox.body, 'Layla Test')
    const thread = await threadOf(w.owner, `${w.base}/inbox/${message.conversationId}`)
    assert.include(thread, 'Is the flat on Elm Street still available?')

    // The phone shows it as sent by the customer.
    const page = await w.owner.get(`${w.base}/sandbox?phone=${encodeURIComponent(phone)}`)
    assert.match(page.body, new RegExp(`bubble--customer" data-bubble="${message.id}"`))
    assert.include(page.body, `conversation-${message.conversationId} from:body`)
  }).timeout(30_000)

  test('every sandbox message gets its own wamid', async ({ assert, cleanup }) => {
    const w = await sandboxWorkspace(cleanup)
    const phone = customerPhone()
    const one = await say(w.owner, w.base, w.context, phone, { kind: 'text', text: 'one' })
    const two = await say(w.owner, w.base, w.context, phone, { kind: 'text', text: 'one' })
    assert.notEqual(one.externalId, two.externalId)
    assert.equal(one.conversationId, two.conversationId)
  }).timeout(30_000)

  test('an agent’s reply shows on the phone; tapping its button arrives as an interactive reply', async ({
    assert,
    cleanup,
  }) => {
    const w = await sandboxWorkspace(cleanup)
    const phone = customerPhone()
    const first = await say(w.owner, w.base, w.context, phone, { kind: 'text', text: 'Hi' })

    const text = await queueOutboundMessage(w.context, {
      conversationId: first.conversationId,
      content: { type: 'text', text: 'Hello! How can we help?' },
      authorType: 'agent',
    })
    const buttons = await queueOutboundMessage(w.context, {
      conversationId: first.conversationId,
      content: {
        type: 'buttons',
        body: 'Would you like a viewing?',
        buttons: [
          { id: 'book-viewing', title: 'Book a viewing' },
          { id: 'no-thanks', title: 'No thanks' },
        ],
      },
      authorType: 'agent',
    })
    const note = await w.context.transaction((trx) =>
      Message.create(
        {
          conversationId: first.conversationId,
          contactId: first.contactId,
          channelId: w.channel.id,
          direction: 'outbound',
          type: 'text',
          body: 'Internal: VIP customer',
          payload: {},
          status: 'pending',
          authorType: 'agent',
          isNote: true,
        },
        { client: trx }
      )
    )
    const sentButtons = await waitFor(async () => {
      const row = await w.context.transaction((trx) =>
        Message.query({ client: trx }).where('id', buttons.id).first()
      )
      return row?.status === 'sent' ? row : null
    })

    const page = await w.owner.get(`${w.base}/sandbox?phone=${encodeURIComponent(phone)}`)
    assert.match(page.body, new RegExp(`bubble--business" data-bubble="${text.id}"`))
    assert.include(page.body, 'Hello! How can we help?')
    assert.include(page.body, 'Would you like a viewing?')
    assert.include(page.body, 'name="choice" value="book-viewing"')
    assert.include(page.body, '↩ Book a viewing')
    assert.include(page.body, 'data-tick="sent"')
    assert.notInclude(page.body, note.body!, 'internal notes never reach the customer')

    const reply = await say(w.owner, w.base, w.context, phone, {
      kind: 'button',
      message_id: buttons.id,
      choice: 'book-viewing',
    })
    assert.equal(reply.type, 'interactive')
    assert.equal(reply.body, 'Book a viewing')
    assert.equal(reply.payload.interactiveType, 'button_reply')
    assert.equal(reply.payload.id, 'book-viewing')
    assert.equal(reply.replyToExternalId, sentButtons.externalId)

    // A choice that is not on the message is refused, and nothing is stored.
    const before = (await events(w.channel.id)).length
    const forged = await w.owner.post(`${w.base}/sandbox/messages`, {
      phone,
      name: 'Layla Test',
      kind: 'button',
      message_id: buttons.id,
      choice: 'free-money',
    })
    assert.equal(forged.status, 302)
    assert.equal((await events(w.channel.id)).length, before)
    const after = await w.owner.get(forged.location!)
    assert.include(after.body, 'That choice is no longer on the message.')
  }).timeout(40_000)

  test('a list row and a location arrive like WhatsApp’s', async ({ assert, cleanup }) => {
    const w = await sandboxWorkspace(cleanup)
    const phone = customerPhone()
    const first = await say(w.owner, w.base, w.context, phone, { kind: 'text', text: 'Plans?' })
    const list = await queueOutboundMessage(w.context, {
      conversationId: first.conversationId,
      content: {
        type: 'list',
        body: 'Pick a plan',
        button: 'Plans',
        sections: [
          {
            title: 'Cover',
            rows: [
              { id: 'plan-gold', title: 'Gold plan', description: 'Full cover' },
              { id: 'plan-basic', title: 'Basic plan' },
            ],
          },
        ],
      },
      authorType: 'agent',
    })
    await waitFor(async () => {
      const row = await w.context.transaction((trx) => Message.find(list.id, { client: trx }))
      return row?.status === 'sent'
    })
    const page = await w.owner.get(`${w.base}/sandbox?phone=${encodeURIComponent(phone)}`)
    assert.include(page.body, '☰ Plans')
    assert.include(page.body, 'name="choice" value="plan-gold"')

    const row = await say(w.owner, w.base, w.context, phone, {
      kind: 'list',
      message_id: list.id,
      choice: 'plan-gold',
    })
    assert.equal(row.type, 'interactive')
    assert.equal(row.payload.interactiveType, 'list_reply')
    assert.equal(row.payload.description, 'Full cover')

    const place = await say(w.owner, w.base, w.context, phone, {
      kind: 'location',
      latitude: '25.1972',
      longitude: '55.2744',
      location_name: 'Burj Khalifa',
      location_address: 'Downtown Dubai',
    })
    assert.equal(place.type, 'location')
    assert.equal(place.payload.latitude, 25.1972)
    assert.equal(place.payload.name, 'Burj Khalifa')
  }).timeout(40_000)

  test('"Mark as read" turns the business’s messages read through a status webhook', async ({
    assert,
    cleanup,
  }) => {
    const w = await sandboxWorkspace(cleanup)
    const phone = customerPhone()
    const first = await say(w.owner, w.base, w.context, phone, { kind: 'text', text: 'Hi' })
    const reply = await queueOutboundMessage(w.context, {
      conversationId: first.conversationId,
      content: { type: 'text', text: 'Welcome!' },
      authorType: 'agent',
    })
    await waitFor(async () => {
      const row = await w.context.transaction((trx) => Message.find(reply.id, { client: trx }))
      return row?.status === 'sent'
    })
    const statuses: MessageStatusEvent[] = []
    const listener = (event: MessageStatusEvent) => {
      if (event.tenantId === w.tenant.id) statuses.push(event)
    }
    emitter.on('message:status', listener)
    cleanup(() => emitter.off('message:status', listener))

    const page = await w.owner.get(`${w.base}/sandbox?phone=${encodeURIComponent(phone)}`)
    assert.include(page.body, 'Mark 1 message as read')
    const marked = await w.owner.post(`${w.base}/sandbox/read`, { phone, name: 'Layla Test' })
    assert.equal(marked.status, 302)

    const statusEvent = (await events(w.channel.id)).at(-1)!
    const value = statusEvent.payload.entry[0].changes[0].value
    assert.deepEqual(
      value.statuses.map((s: any) => [s.status, s.recipient_id]),
      [['read', phone.slice(1)]]
    )
    assert.deepEqual(statusEvent.senders, [])
    const read = await waitFor(async () => {
      const row = await w.context.transaction((trx) => Message.find(reply.id, { client: trx }))
      return row?.status === 'read' ? row : null
    })
    assert.isNotNull(read.readAt)
    const event = await waitFor(async () => statuses.find((s) => s.messageId === reply.id))
    assert.equal(event.status, 'read')

    const thread = await threadOf(w.owner, `${w.base}/inbox/${first.conversationId}`)
    assert.include(thread, 'data-tick="read"')
  }).timeout(40_000)

  test('a number that is a real customer’s cannot be played', async ({ assert, cleanup }) => {
    const w = await sandboxWorkspace(cleanup)
    const phone = customerPhone()
    await w.context.transaction(async (trx) => {
      const contact = await Contact.create(
        { phone, waId: phone.slice(1), source: 'whatsapp' },
        { client: trx }
      )
      await Conversation.create(
        { contactId: contact.id, channelId: crypto.randomUUID(), status: 'open' },
        { client: trx }
      )
    })
    await w.owner.get(`${w.base}/sandbox`)
    const refused = await w.owner.post(`${w.base}/sandbox/messages`, {
      phone,
      name: 'Real',
      kind: 'text',
      text: 'hello',
    })
    assert.equal(refused.status, 302)
    assert.lengthOf(await events(w.channel.id), 0)
    const page = await w.owner.get(refused.location!)
    assert.include(page.body, 'belongs to a real customer')
  })

  test('agents use an existing phone but do not set one up; viewers may not use it', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'sbx-roles')
    const agent = await signIn(await ws.member('agent'))
    const none = await agent.get(`${ws.base}/sandbox`)
    assert.equal(none.status, 200)
    assert.include(none.body, 'Ask an owner or admin')
    assert.isNull(
      await Channel.query().where('tenant_id', ws.tenant.id).where('type', 'sandbox').first()
    )
    const viewer = await signIn(await ws.member('viewer'))
    assert.equal((await viewer.get(`${ws.base}/sandbox`)).status, 403)
    assert.equal(
      (await viewer.post(`${ws.base}/sandbox/messages`, { phone: '+15550100000', text: 'x' }))
        .status,
      403
    )
    assert.equal(
      (await viewer.post(`${ws.base}/sandbox/read`, { phone: '+15550100000' })).status,
      403
    )

    const admin = await signIn(await ws.member('admin'))
    assert.equal((await admin.get(`${ws.base}/sandbox`)).status, 200)
    const page = await agent.get(`${ws.base}/sandbox`)
    assert.include(page.body, 'data-sandbox-composer')
  })

  test('another workspace’s member gets 404 and never sees this phone’s chat', async ({
    assert,
    cleanup,
  }) => {
    const a = await sandboxWorkspace(cleanup, 'sbx-a')
    const b = await sandboxWorkspace(cleanup, 'sbx-b')
    const phone = customerPhone()
    await say(a.owner, a.base, a.context, phone, { kind: 'text', text: 'secret of A' })

    assert.equal((await b.owner.get(`${a.base}/sandbox`)).status, 404)
    const posted = await b.owner.post(`${a.base}/sandbox/messages`, {
      phone,
      kind: 'text',
      text: 'from B',
    })
    assert.equal(posted.status, 404)
    assert.equal((await b.owner.post(`${a.base}/sandbox/read`, { phone })).status, 404)
    assert.lengthOf(await events(a.channel.id), 1)

    // The same customer number on B's own phone: B's chat, empty of A's messages.
    const own = await b.owner.get(`${b.base}/sandbox?phone=${encodeURIComponent(phone)}`)
    assert.equal(own.status, 200)
    assert.notInclude(own.body, 'secret of A')
  }).timeout(30_000)
})
