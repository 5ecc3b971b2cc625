import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import queue from '@rlanz/bull-queue/services/main'
import emitter from '@adonisjs/core/services/emitter'
import {
  applyPendingStatuses,
  INBOUND_QUEUE,
  pruneProcessedWebhookEvents,
  sweepUnprocessedWebhookEvents,
  type MessageReceivedEvent,
  type MessageStatusEvent,
} from '#modules/channels/index'
import { processPendingEvents } from '#modules/channels/services/inbound_processing'
import { sweepUndeliveredMessages } from '#modules/channels/services/inbound_recovery'
import {
  DRAIN_WINDOW_MS,
  enqueueWebhookEvents,
  newWebhookJobId,
  ORDER_WINDOW_MS,
  webhookDrainJob,
} from '#modules/channels/services/inbound_queue'
import type { TenantContext } from '#modules/tenancy/index'
import type { WorkerPool } from '#app/queue/worker_pool'
import {
  makeWhatsAppTenant,
  messages,
  postWebhook,
  startInboundWorkers,
  status,
  unix,
  waId,
  waitFor,
  webhook,
  wamid,
  type WhatsAppTenant,
} from '#tests/helpers/whatsapp'

/*
| The job side, with real inbound workers on Redis and the real database:
| what ends up in a tenant's schema, in which order it is handed on, and
| that retries, duplicates and lost enqueues change nothing.
*/

function rows(context: TenantContext, sql: string, bindings: any[] = []) {
  return context.transaction(async (trx) => (await trx.rawQuery(sql, bindings)).rows as any[])
}

function messageByWamid(wa: WhatsAppTenant, id: string) {
  return rows(wa.context, `select * from messages where external_id = ?`, [id]).then((r) => r[0])
}

async function eventFor(wa: WhatsAppTenant, wamidInBody: string) {
  const result = await db.rawQuery(
    `select id, processed_at, attempts from webhook_events
      where channel_id = ? and payload::text like ? order by id`,
    [wa.channel.id, `%${wamidInBody}%`]
  )
  return result.rows as Array<{ id: string; processed_at: Date | null; attempts: number }>
}

type SentMessage = NonNullable<Parameters<typeof webhook>[1]['messages']>[number]

/**
 * A webhook of `owner` stored as intake stores it but never queued (as if
 * the request died after its insert), with what a test sets on its row.
 * Returns its id.
 */
async function storeUnqueued(
  owner: WhatsAppTenant,
  sent: SentMessage[],
  row: {
    senders?: string[]
    attempts?: number
    earliestMessageAt?: Date | null
    /** How long ago it was received (an interval: '2 minutes'). */
    age?: string
    jobId?: string
    channelId?: string
  } = {}
) {
  const inserted = await db.rawQuery(
    `insert into webhook_events (provider, channel_id, tenant_id, payload, senders, attempts,
        earliest_message_at, received_at, job_id)
      values ('whatsapp', ?, ?, ?::jsonb, ?::text[], ?, ?, now() - ?::interval, ?)
      returning id::text as id`,
    [
      row.channelId ?? owner.channel.id,
      owner.tenant.id,
      JSON.stringify(webhook(owner, { messages: sent })),
      row.senders ?? [],
      row.attempts ?? 0,
      row.earliestMessageAt ?? null,
      row.age ?? '0 seconds',
      row.jobId ?? null,
    ]
  )
  return inserted.rows[0].id as string
}

/** Collects `message:received` for one tenant until the returned stop() is called. */
function listen(tenant: string) {
  const received: MessageReceivedEvent[] = []
  const handler = (event: MessageReceivedEvent) => {
    if (event.tenant === tenant) received.push(event)
  }
  emitter.on('message:received', handler)
  return { received, stop: () => emitter.off('message:received', handler) }
}

/** The message:status events of the tenant from now on (until the test ends). */
function statusEvents(wa: WhatsAppTenant, cleanup: (fn: () => void) => void) {
  const statuses: MessageStatusEvent[] = []
  const onStatus = (e: MessageStatusEvent) => e.tenant === wa.tenant.slug && statuses.push(e)
  emitter.on('message:status', onStatus)
  cleanup(() => emitter.off('message:status', onStatus))
  return statuses
}

async function outboundMessage(wa: WhatsAppTenant, externalId: string) {
  const customer = waId()
  await postWebhook(webhook(wa, { messages: [messages.text({ from: customer })] }), wa.appSecret)
  const conversation = await waitFor(async () => {
    const found = await rows(
      wa.context,
      `select c.id, c.contact_id from conversations c join contacts k on k.id = c.contact_id
        where k.wa_id = ?`,
      [customer]
    )
    return found[0]
  })
  await rows(
    wa.context,
    `insert into messages (conversation_id, contact_id, channel_id, direction, external_id, type,
        body, status, author_type, sent_at)
      values (?, ?, ?, 'outbound', ?, 'text', 'Your viewing is booked', 'sent', 'agent', now())`,
    [conversation.id, conversation.contact_id, wa.channel.id, externalId]
  )
}

let pool: WorkerPool

test.group('Inbound processing', (group) => {
  group.setup(async () => {
    pool = await startInboundWorkers()
    return () => pool.stop()
  })

  test('every message type is kept with the right type, body, payload and media', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-types')
    cleanup(wa.cleanup)
    const from = waId()
    const t = unix(new Date(Date.now() - 60_000))
    const built = {
      text: messages.text({ from, timestamp: t }, 'Hi there'),
      image: messages.image({ from, timestamp: t }),
      audio: messages.audio({ from, timestamp: t }),
      video: messages.video({ from, timestamp: t }),
      document: messages.document({ from, timestamp: t }),
      sticker: messages.sticker({ from, timestamp: t }),
      location: messages.location({ from, timestamp: t }),
      contacts: messages.contacts({ from, timestamp: t }),
      buttonReply: messages.buttonReply({ from, timestamp: t }),
      listReply: messages.listReply({ from, timestamp: t }),
      button: messages.button({ from, timestamp: t }),
      reaction: messages.reaction({ from, timestamp: t }),
      unsupported: messages.unsupported({ from, timestamp: t }),
    }
    const response = await postWebhook(
      webhook(wa, { messages: Object.values(built), profiles: { [from]: 'Amira Saleh' } }),
      wa.appSecret
    )
    assert.equal(response.status, 200)

    await waitFor(async () => {
      const [{ total }] = await rows(wa.context, `select count(*)::int as total from messages`)
      return total === Object.keys(built).length
    })
    const get = (key: keyof typeof built) => messageByWamid(wa, built[key].id)

    const text = await get('text')
    assert.include(text, {
      type: 'text',
      body: 'Hi there',
      direction: 'inbound',
      status: 'received',
    })
    assert.equal(new Date(text.provider_timestamp).getTime(), Number(t) * 1000)

    const image = await get('image')
    assert.include(image, { type: 'image', body: 'The damage to the car' })
    assert.deepEqual(image.media, {
      providerId: '1480230012345678',
      mimeType: 'image/jpeg',
      sha256: (built.image as any).image.sha256,
      caption: 'The damage to the car',
      status: 'pending',
    })
    const audio = await get('audio')
    assert.equal(audio.type, 'audio')
    assert.include(audio.media, { providerId: '2480230012345678', status: 'pending' })
    assert.isTrue(audio.payload.voice)
    assert.equal((await get('video')).media.mimeType, 'video/mp4')
    const document = await get('document')
    assert.include(document.media, { filename: 'policy-2024.pdf', caption: 'My policy' })
    assert.include(await get('sticker'), { type: 'sticker' })
    assert.equal((await get('sticker')).media.mimeType, 'image/webp')

    const location = await get('location')
    assert.equal(location.type, 'location')
    assert.include(location.payload, {
      latitude: 25.2048493,
      longitude: 55.2707828,
      name: 'Burj Khalifa',
    })
    assert.include(location.body, 'Burj Khalifa')

    const contacts = await get('contacts')
    assert.equal(contacts.body, 'Layla Haddad')
    assert.equal(contacts.payload.contacts[0].phones[0].wa_id, '971501234567')

    const buttonReply = await get('buttonReply')
    assert.include(buttonReply, { type: 'interactive', body: 'Book a viewing' })
    assert.include(buttonReply.payload, { interactiveType: 'button_reply', id: 'book-viewing' })
    assert.equal(buttonReply.reply_to_external_id, 'wamid.OUTBOUND-BUTTONS')
    const listReply = await get('listReply')
    assert.include(listReply, { type: 'interactive', body: 'Gold plan' })
    assert.include(listReply.payload, { interactiveType: 'list_reply', id: 'plan-gold' })

    const button = await get('button')
    assert.include(button, { type: 'button', body: 'Yes, renew' })
    assert.equal(button.payload.payload, 'RENEW_YES')

    const reaction = await get('reaction')
    assert.include(reaction, { type: 'reaction', body: '👍' })
    assert.include(reaction.payload, { emoji: '👍', messageId: 'wamid.OUTBOUND-REACTED' })

    const unsupported = await get('unsupported')
    assert.equal(unsupported.type, 'unsupported')
    assert.equal(unsupported.payload.originalType, 'unsupported')
    assert.equal(unsupported.payload.errors[0].code, 131051)

    // One contact (E.164 from wa_id, profile name, source) and one open conversation.
    const [contact] = await rows(wa.context, `select * from contacts`)
    assert.include(contact, {
      phone: `+${from}`,
      wa_id: from,
      profile_name: 'Amira Saleh',
      source: 'whatsapp',
    })
    const conversations = await rows(wa.context, `select * from conversations`)
    assert.lengthOf(conversations, 1)
    assert.include(conversations[0], {
      status: 'open',
      unread_count: 13,
      channel_id: wa.channel.id,
    })
    assert.equal(new Date(conversations[0].last_customer_message_at).getTime(), Number(t) * 1000)

    const [event] = await eventFor(wa, built.text.id)
    await waitFor(async () => (await eventFor(wa, built.text.id))[0].processed_at)
    assert.isOk(event)
  })

  test('a message whose timestamp is no date is stored, stamped when it was stored', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-bad-time')
    cleanup(wa.cleanup)
    const odd = messages.text({ from: waId(), timestamp: '1e308' }, 'From the far future')
    const before = Date.now()
    await postWebhook(webhook(wa, { messages: [odd] }), wa.appSecret)
    const stored = await waitFor(() => messageByWamid(wa, odd.id))
    assert.equal(stored.body, 'From the far future')
    assert.isAtLeast(new Date(stored.provider_timestamp).getTime(), before - 1000)
    assert.isAtMost(new Date(stored.provider_timestamp).getTime(), Date.now() + 1000)
  })

  test('contact:created and conversation:created are emitted with slugs and ids', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-ev')
    cleanup(wa.cleanup)
    const seen: Array<[string, any]> = []
    const onContact = (e: any) => e.tenant === wa.tenant.slug && seen.push(['contact', e])
    const onConversation = (e: any) => e.tenant === wa.tenant.slug && seen.push(['conversation', e])
    emitter.on('contact:created', onContact)
    emitter.on('conversation:created', onConversation)
    cleanup(() => {
      emitter.off('contact:created', onContact)
      emitter.off('conversation:created', onConversation)
    })

    await postWebhook(webhook(wa, { messages: [messages.text({ from: waId() })] }), wa.appSecret)
    await waitFor(async () => seen.length >= 2)
    const [contact] = await rows(wa.context, `select id from contacts`)
    const [conversation] = await rows(wa.context, `select id from conversations`)
    const contactEvent = seen.find(([kind]) => kind === 'contact')![1]
    const conversationEvent = seen.find(([kind]) => kind === 'conversation')![1]
    assert.deepEqual(contactEvent, {
      tenant: wa.tenant.slug,
      tenantId: wa.tenant.id,
      contactId: contact.id,
      source: 'whatsapp',
    })
    assert.deepEqual(conversationEvent, {
      tenant: wa.tenant.slug,
      tenantId: wa.tenant.id,
      conversationId: conversation.id,
      contactId: contact.id,
      channelId: wa.channel.id,
    })
  })

  test('a duplicate wamid is stored once, also when the same body arrives twice at once', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-dup')
    cleanup(wa.cleanup)
    const from = waId()
    const repeated = messages.text({ from }, 'Only once please')
    const raced = messages.text({ from }, 'Raced')
    const heard = listen(wa.tenant.slug)
    cleanup(heard.stop)

    // Meta redelivers: the same message in two different webhook bodies.
    await postWebhook(webhook(wa, { messages: [repeated] }), wa.appSecret)
    await postWebhook(webhook(wa, { messages: [repeated] }), wa.appSecret)
    // And the very same body twice, concurrently.
    const body = JSON.stringify(webhook(wa, { messages: [raced] }))
    const answers = await Promise.all([
      postWebhook(body, wa.appSecret),
      postWebhook(body, wa.appSecret),
    ])
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200]
    )

    await waitFor(async () => {
      const events = [...(await eventFor(wa, repeated.id)), ...(await eventFor(wa, raced.id))]
      return events.length === 4 && events.every((e) => e.processed_at)
    })
    await waitFor(async () => heard.received.length >= 2)
    const stored = await rows(wa.context, `select external_id from messages order by external_id`)
    assert.deepEqual(stored.map((r) => r.external_id).sort(), [repeated.id, raced.id].sort())
    const [conversation] = await rows(wa.context, `select unread_count from conversations`)
    assert.equal(conversation.unread_count, 2)
    assert.lengthOf(await rows(wa.context, `select id from contacts`), 1)
    // Handed downstream once each.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    assert.lengthOf(heard.received, 2)
  })

  test('statuses never move backwards: read then delivered stays read; failed keeps code and title', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-st')
    cleanup(wa.cleanup)
    const readFirst = wamid()
    const failing = wamid()
    await outboundMessage(wa, readFirst)
    await outboundMessage(wa, failing)
    const statuses = statusEvents(wa, cleanup)

    const t0 = Math.floor(Date.now() / 1000)
    await postWebhook(
      webhook(wa, { statuses: [status(readFirst, 'read', { timestamp: String(t0 + 5) })] }),
      wa.appSecret
    )
    await waitFor(async () => (await messageByWamid(wa, readFirst)).status === 'read')
    await postWebhook(
      webhook(wa, { statuses: [status(readFirst, 'delivered', { timestamp: String(t0 + 2) })] }),
      wa.appSecret
    )
    await waitFor(async () => (await messageByWamid(wa, readFirst)).delivered_at)
    const read = await messageByWamid(wa, readFirst)
    assert.equal(read.status, 'read')
    assert.equal(new Date(read.read_at).getTime(), (t0 + 5) * 1000)
    assert.equal(new Date(read.delivered_at).getTime(), (t0 + 2) * 1000)

    await postWebhook(
      webhook(wa, {
        statuses: [
          status(failing, 'failed', {
            error: { code: 131026, title: 'Message undeliverable' },
          }),
        ],
      }),
      wa.appSecret
    )
    await waitFor(async () => (await messageByWamid(wa, failing)).status === 'failed')
    const failed = await messageByWamid(wa, failing)
    assert.equal(failed.error_code, 131026)
    assert.equal(failed.error_title, 'Message undeliverable')
    assert.isNotNull(failed.failed_at)
    // A late "delivered" for a failed message does not revive it.
    await postWebhook(webhook(wa, { statuses: [status(failing, 'delivered')] }), wa.appSecret)
    await waitFor(async () => (await messageByWamid(wa, failing)).delivered_at)
    assert.equal((await messageByWamid(wa, failing)).status, 'failed')

    assert.deepEqual(
      statuses.map((s) => [s.externalId, s.previousStatus, s.status]),
      [
        [readFirst, 'sent', 'read'],
        [failing, 'sent', 'failed'],
      ]
    )
  })

  test("one webhook's many statuses are applied as if one after the other", async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-sts')
    cleanup(wa.cleanup)
    const [first, second, third, unseen] = [wamid(), wamid(), wamid(), wamid()]
    for (const id of [first, second, third]) await outboundMessage(wa, id)
    const statuses = statusEvents(wa, cleanup)

    const t0 = Math.floor(Date.now() / 1000)
    await postWebhook(
      webhook(wa, {
        statuses: [
          status(first, 'read', { timestamp: String(t0 + 5) }),
          status(second, 'delivered', { timestamp: String(t0 + 1) }),
          status(first, 'delivered', { timestamp: String(t0 + 2) }),
          status(second, 'failed', {
            timestamp: String(t0 + 3),
            error: { code: 131049, title: 'Not delivered to keep engagement healthy' },
          }),
          status(unseen, 'delivered'),
          status(second, 'read', { timestamp: String(t0 + 4) }),
          status(third, 'sent'),
          status(first, 'read', { timestamp: String(t0 + 9) }),
        ],
      }),
      wa.appSecret
    )
    await waitFor(async () => (await messageByWamid(wa, second)).status === 'failed')
    const one = await messageByWamid(wa, first)
    assert.equal(one.status, 'read')
    assert.equal(new Date(one.read_at).getTime(), (t0 + 5) * 1000)
    assert.equal(new Date(one.delivered_at).getTime(), (t0 + 2) * 1000)
    const two = await messageByWamid(wa, second)
    assert.equal(two.error_code, 131049)
    assert.equal(two.error_title, 'Not delivered to keep engagement healthy')
    assert.equal(new Date(two.delivered_at).getTime(), (t0 + 1) * 1000)
    assert.equal(new Date(two.failed_at).getTime(), (t0 + 3) * 1000)
    assert.equal(new Date(two.read_at).getTime(), (t0 + 4) * 1000)
    assert.equal((await messageByWamid(wa, third)).status, 'sent')
    const parked = await rows(
      wa.context,
      `select status from pending_statuses where external_id = ?`,
      [unseen]
    )
    assert.deepEqual(
      parked.map((r) => r.status),
      ['delivered']
    )
    assert.deepEqual(
      statuses.map((s) => [s.externalId, s.previousStatus, s.status, s.errorCode]),
      [
        [first, 'sent', 'read', null],
        [second, 'sent', 'delivered', null],
        [second, 'delivered', 'failed', 131049],
      ]
    )
  })

  test('a status for a wamid not stored yet is kept and applied when the message appears', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-pend')
    cleanup(wa.cleanup)
    const early = wamid()
    await postWebhook(
      webhook(wa, { statuses: [status(early, 'delivered'), status(early, 'read')] }),
      wa.appSecret
    )
    const parked = await waitFor(async () => {
      const found = await rows(
        wa.context,
        `select status from pending_statuses where external_id = ? order by status`,
        [early]
      )
      return found.length === 2 ? found : null
    })
    assert.deepEqual(
      parked.map((r) => r.status),
      ['delivered', 'read']
    )

    await outboundMessage(wa, early)
    const events = await wa.context.transaction((trx) =>
      applyPendingStatuses(trx, wa.context, early)
    )
    assert.deepEqual(
      events.map((e) => e.status),
      ['delivered', 'read']
    )
    const message = await messageByWamid(wa, early)
    assert.equal(message.status, 'read')
    assert.isNotNull(message.delivered_at)
    assert.lengthOf(await rows(wa.context, `select id from pending_statuses`), 0)
  })

  test('processing an event twice, or twice at once, changes nothing: one run takes it', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-twice')
    cleanup(wa.cleanup)
    const first = messages.image({ from: waId() })
    const eventId = await storeUnqueued(wa, [first])

    const process = () => processPendingEvents(wa.context, { eventIds: [eventId] }, 10)
    const [a, b] = await Promise.all([process(), process()])
    assert.equal(a.insertedMessages + b.insertedMessages, 1)
    assert.sameMembers([...a.claimed, ...b.claimed], [eventId])
    assert.lengthOf([...a.conversationIds, ...b.conversationIds], 1)
    const again = await process()
    assert.deepEqual(again, { claimed: [], conversationIds: [], insertedMessages: 0, failures: [] })

    assert.lengthOf(await rows(wa.context, `select id from messages`), 1)
    assert.lengthOf(await rows(wa.context, `select id from contacts`), 1)
    const [conversation] = await rows(wa.context, `select * from conversations`)
    assert.equal(conversation.unread_count, 1)
  })

  test("a removed channel's events are skipped, also one stored as it went; a destroyed workspace's go with it", async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-gone')
    cleanup(wa.cleanup)
    const store = async (channelId: string) => {
      const message = messages.text({ from: waId() }, 'Sent as the number was removed')
      return storeUnqueued(wa, [message], { channelId })
    }
    const pending = await store(wa.channel.id)
    // Committed in the moment after the channel went (intake checks it, no
    // foreign key holds it): the row names a channel that is no more.
    const dangling = await store(randomUUID())
    await db.from('channels').where('id', wa.channel.id).delete()

    const forgotten = await db.rawQuery(`select channel_id from webhook_events where id = ?`, [
      pending,
    ])
    assert.isNull(forgotten.rows[0].channel_id)
    for (const eventId of [pending, dangling]) {
      assert.deepEqual(await processPendingEvents(wa.context, { eventIds: [eventId] }, 10), {
        claimed: [eventId],
        conversationIds: [],
        insertedMessages: 0,
        failures: [],
      })
    }
    const done = await db.rawQuery(
      `select count(*)::int as n from webhook_events where id in (?, ?) and processed_at is not null`,
      [pending, dangling]
    )
    assert.equal(done.rows[0].n, 2)
    assert.lengthOf(await rows(wa.context, `select id from messages`), 0)
    assert.lengthOf(await rows(wa.context, `select id from contacts`), 0)

    await wa.cleanup()
    const left = await db.rawQuery(
      `select count(*)::int as n from webhook_events where tenant_id = ?`,
      [wa.tenant.id]
    )
    assert.equal(left.rows[0].n, 0)
  })

  test('a stored event that never reached the queue is picked up by the recovery sweep', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-sweep')
    cleanup(wa.cleanup)
    const lost = messages.text({ from: waId() }, 'I was never queued')
    const young = messages.text({ from: waId() }, 'Still in flight')
    await storeUnqueued(wa, [lost], { age: '2 minutes' })
    await storeUnqueued(wa, [young], { age: '1 second' })

    assert.isAtLeast(await sweepUnprocessedWebhookEvents(), 1)
    await waitFor(async () => (await eventFor(wa, lost.id))[0].processed_at)
    assert.equal((await messageByWamid(wa, lost.id)).body, 'I was never queued')
    // Within the grace period the request's own enqueue is trusted.
    assert.isNull((await eventFor(wa, young.id))[0].processed_at)
    assert.isUndefined(await messageByWamid(wa, young.id))
  })

  test('sweeps at once queue a lost event once; its job is written on its row', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-sweep-twice')
    cleanup(wa.cleanup)
    const lost = messages.text({ from: waId() }, 'Swept by two workers')
    await storeUnqueued(wa, [lost], { age: '2 minutes', jobId: 'wh-gone-from-redis' })
    const [event] = await eventFor(wa, lost.id)

    await Promise.all([sweepUnprocessedWebhookEvents(), sweepUnprocessedWebhookEvents()])
    await waitFor(async () => (await eventFor(wa, lost.id))[0].processed_at)
    const { rows: stored } = await db.rawQuery(`select job_id from webhook_events where id = ?`, [
      event.id,
    ])
    assert.notEqual(stored[0].job_id, 'wh-gone-from-redis')
    const jobs = await queue
      .getOrSet(INBOUND_QUEUE)
      .getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])
    // Named by tenant too: event ids start again in another database behind the same Redis.
    const carrying = jobs.filter(
      (job) => job?.data?.tenant === wa.tenant.slug && job.data.eventIds?.includes(String(event.id))
    )
    assert.deepEqual(
      carrying.map((job) => job.id),
      [stored[0].job_id]
    )
    assert.lengthOf(await rows(wa.context, `select id from messages`), 1)
  })

  test('one failing event does not hold back the others: it is recorded and gets a retry job of its own', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-job-fail')
    cleanup(wa.cleanup)
    const store = async (from: string, text: string) => {
      const message = messages.text({ from }, text)
      return { id: await storeUnqueued(wa, [message]), message }
    }
    const before = await store(waId(), 'Before the bad one')
    // A sender id longer than any wa_id: its contact cannot be stored.
    const bad = await store('4'.repeat(40), 'Never storable')
    const after = await store(waId(), 'After the bad one')

    await enqueueWebhookEvents([webhookDrainJob(wa.tenant)])
    await waitFor(async () => (await eventFor(wa, after.message.id))[0].processed_at)
    assert.isNotNull((await eventFor(wa, before.message.id))[0].processed_at)
    assert.equal((await messageByWamid(wa, before.message.id)).body, 'Before the bad one')
    assert.equal((await messageByWamid(wa, after.message.id)).body, 'After the bad one')

    const failed = await waitFor(async () => {
      const { rows: found } = await db.rawQuery(
        `select processed_at, attempts, last_error, job_id from webhook_events where id = ?`,
        [bad.id]
      )
      // Recorded, then handed to its own job (named on the row before it is queued).
      const ownJob = found[0].job_id && !found[0].job_id.startsWith('wh-drain-')
      return found[0].attempts > 0 && ownJob ? found[0] : null
    })
    assert.isNull(failed.processed_at)
    assert.include(failed.last_error, 'too long')
    assert.isUndefined(await messageByWamid(wa, bad.message.id))
    // Its own job, named on its row, retries it alone; drains leave it out.
    const retry = await waitFor(() => queue.getOrSet(INBOUND_QUEUE).getJob(failed.job_id))
    assert.deepEqual(retry!.data, { tenant: wa.tenant.slug, eventIds: [bad.id] })
    const drained = await processPendingEvents(wa.context, { drain: true }, 10)
    assert.deepEqual(drained.claimed, [])
  })

  test("a job never takes another workspace's events, even when they are named in it", async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-job-own')
    const other = await makeWhatsAppTenant('in-job-own-other')
    cleanup(wa.cleanup)
    cleanup(other.cleanup)
    const store = async (owner: WhatsAppTenant) => {
      const message = messages.text({ from: waId() }, `For ${owner.tenant.slug}`)
      return { id: await storeUnqueued(owner, [message]), message }
    }
    const mine = await store(wa)
    const theirs = await store(other)

    const named = await processPendingEvents(wa.context, { eventIds: [mine.id, theirs.id] }, 10)
    assert.deepEqual(named.claimed, [mine.id])
    const drained = await processPendingEvents(wa.context, { drain: true }, 10)
    assert.deepEqual(drained.claimed, [])

    const { rows: left } = await db.rawQuery(
      `select processed_at, attempts from webhook_events where id = ?`,
      [theirs.id]
    )
    assert.deepEqual(left[0], { processed_at: null, attempts: 0 })
    assert.isUndefined(await messageByWamid(wa, theirs.message.id))
    assert.isUndefined(await messageByWamid(other, theirs.message.id))
    assert.equal((await messageByWamid(wa, mine.message.id)).body, `For ${wa.tenant.slug}`)
  })

  test('a drain takes every waiting webhook of its workspace; two at once share them, each stored once', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-drain')
    const other = await makeWhatsAppTenant('in-drain-other')
    cleanup(wa.cleanup)
    cleanup(other.cleanup)
    const heard = listen(wa.tenant.slug)
    cleanup(heard.stop)
    const base = Math.floor(Date.now() / 1000) - 100
    const customers = Array.from({ length: 20 }, () => waId())
    const sent = customers.flatMap((from) =>
      [0, 1, 2, 3, 4].map((i) => messages.text({ from, timestamp: String(base + i) }, `#${i}`))
    )
    // Stored as intake stores them, no job named: only drains will find them.
    const insert = (owner: WhatsAppTenant, m: (typeof sent)[number]) =>
      storeUnqueued(owner, [m], { senders: [m.from] })
    for (const m of [...sent].reverse()) await insert(wa, m)
    const foreign = messages.text({ from: waId() }, 'Another workspace')
    await insert(other, foreign)

    const now = Date.now()
    await enqueueWebhookEvents([
      webhookDrainJob(wa.tenant, now),
      webhookDrainJob(wa.tenant, now + DRAIN_WINDOW_MS),
    ])
    await waitFor(async () => heard.received.length >= sent.length)
    await new Promise((resolve) => setTimeout(resolve, ORDER_WINDOW_MS))

    assert.lengthOf(heard.received, sent.length)
    for (const from of customers) {
      const mine = sent.filter((m) => m.from === from).map((m) => m.id)
      assert.deepEqual(
        heard.received.filter((e) => mine.includes(e.externalId!)).map((e) => e.externalId),
        mine
      )
    }
    assert.lengthOf(await rows(wa.context, `select id from messages`), sent.length)
    const counted = await rows(wa.context, `select unread_count from conversations`)
    assert.lengthOf(counted, customers.length)
    assert.isTrue(counted.every((c) => c.unread_count === 5))
    // The other workspace's webhook waits for its own drain.
    assert.isNull((await eventFor(other, foreign.id))[0].processed_at)
  })

  test('a stored message whose hand-off was never queued is handed on by the recovery sweep', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-undelivered')
    cleanup(wa.cleanup)
    const heard = listen(wa.tenant.slug)
    cleanup(heard.stop)
    const lost = messages.text({ from: waId() }, 'Stored, then the worker died')
    const young = messages.text({ from: waId() }, 'Just stored')
    for (const m of [lost, young]) {
      await postWebhook(webhook(wa, { messages: [m] }), wa.appSecret)
    }
    await waitFor(async () => heard.received.length === 2)
    // Let the hand-off runs finish their last look before rewinding them.
    await new Promise((resolve) => setTimeout(resolve, ORDER_WINDOW_MS * 2))
    // As if the runs had died between their commit and queueing the hand-off:
    // one long ago, one a moment ago.
    await rows(
      wa.context,
      `update messages set processed_at = null,
          created_at = case when external_id = ? then now() - interval '2 minutes' else now() end
        where external_id in (?, ?)`,
      [lost.id, lost.id, young.id]
    )
    heard.received.length = 0

    // Only the old one counts as lost: within the grace period the run's own
    // hand-off is trusted. The workspace's hand-off, once asked for, takes
    // the young one too when its order window has closed.
    assert.isAtLeast(await sweepUndeliveredMessages(), 1)
    await waitFor(async () => heard.received.length === 1)
    assert.equal(heard.received[0].externalId, lost.id)
    await waitFor(async () => (await messageByWamid(wa, lost.id)).processed_at)
    await waitFor(async () => heard.received.length === 2)
    assert.equal(heard.received[1].externalId, young.id)
    assert.lengthOf(heard.received, 2)
  })

  test('processed events past their keeping time are pruned; unprocessed ones stay', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-prune')
    cleanup(wa.cleanup)
    // Ids grow with arrival: the old rows take ids below every other row.
    const store = async (age: string, processed: boolean, oldest: boolean) => {
      const message = messages.text({ from: waId() })
      const inserted = await db.rawQuery(
        `insert into webhook_events (id, provider, channel_id, tenant_id, payload, received_at,
            processed_at, attempts)
          values (${oldest ? `(select coalesce(min(id), 1) - 1 from webhook_events)` : 'default'},
            'whatsapp', ?, ?, ?::jsonb, now() - ?::interval,
            case when ? then now() - ?::interval end, case when ? then 0 else 50 end)
          returning id::text as id`,
        [
          wa.channel.id,
          wa.tenant.id,
          JSON.stringify(webhook(wa, { messages: [message] })),
          age,
          processed,
          age,
          processed,
        ]
      )
      return inserted.rows[0].id as string
    }
    const oldProcessed = await store('9 days', true, true)
    // Failed for good (the sweep leaves it to an operator).
    const oldFailing = await store('8 days', false, true)
    const recent = await store('1 day', true, false)

    assert.isAtLeast(await pruneProcessedWebhookEvents(), 1)
    const { rows: left } = await db.rawQuery(
      `select id::text as id from webhook_events where id = any(?::bigint[])`,
      [[oldProcessed, oldFailing, recent]]
    )
    assert.sameMembers(
      left.map((row: { id: string }) => row.id),
      [oldFailing, recent]
    )
  })

  test('starting inbound workers runs the sweep', async ({ assert, cleanup }) => {
    const wa = await makeWhatsAppTenant('in-boot')
    cleanup(wa.cleanup)
    const lost = messages.text({ from: waId() }, 'Stored while no worker ran')
    await storeUnqueued(wa, [lost], { age: '5 minutes' })
    const second = await startInboundWorkers()
    cleanup(() => second.stop())
    await waitFor(async () => (await eventFor(wa, lost.id))[0].processed_at)
    assert.equal((await messageByWamid(wa, lost.id)).body, 'Stored while no worker ran')
  })

  test('messages posted in reverse order across webhooks are handed on in WhatsApp order', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-order')
    cleanup(wa.cleanup)
    const heard = listen(wa.tenant.slug)
    cleanup(heard.stop)
    const from = waId()
    const base = Math.floor(Date.now() / 1000) - 100
    const sent = Array.from({ length: 6 }, (_, i) =>
      messages.text({ from, timestamp: String(base + i) }, `message ${i}`)
    )
    // Newest first, one webhook each, all at once. The queue waits until all
    // six are accepted: how late a webhook may come is the order window's
    // business, and a loaded machine can take longer than the window to
    // accept six posts.
    const inbound = queue.getOrSet(INBOUND_QUEUE)
    await inbound.pause()
    try {
      await Promise.all(
        [...sent].reverse().map((m) => postWebhook(webhook(wa, { messages: [m] }), wa.appSecret))
      )
    } finally {
      await inbound.resume()
    }
    // Two stamped in the same second, in one webhook: WhatsApp's listing order wins.
    const sameSecond = [
      messages.text({ from, timestamp: String(base + 10) }, 'same second A'),
      messages.text({ from, timestamp: String(base + 10) }, 'same second B'),
    ]
    await waitFor(async () => heard.received.length === sent.length)
    await postWebhook(webhook(wa, { messages: sameSecond }), wa.appSecret)
    await waitFor(async () => heard.received.length === sent.length + 2)

    const ids = heard.received.map((e) => e.externalId)
    assert.deepEqual(
      ids,
      [...sent, ...sameSecond].map((m) => m.id)
    )
    const [conversation] = await rows(wa.context, `select id from conversations`)
    assert.isTrue(heard.received.every((e) => e.conversationId === conversation.id))
    // Messages are marked handed on after their events are emitted (a crash
    // between the two re-emits rather than loses them): wait for the mark.
    await waitFor(async () => {
      const unprocessed = await rows(
        wa.context,
        `select id from messages where processed_at is null`
      )
      return unprocessed.length === 0
    })
  })

  test('a conversation waits for an earlier webhook of the same customer that is waiting for its retry', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-held')
    cleanup(wa.cleanup)
    const heard = listen(wa.tenant.slug)
    cleanup(heard.stop)
    const from = waId()
    const base = Math.floor(Date.now() / 1000) - 60
    const earlier = messages.text({ from, timestamp: String(base) }, 'sent first')
    const later = messages.text({ from, timestamp: String(base + 1) }, 'sent second')

    // The earlier message's webhook failed once (the database was briefly
    // away, say): stored, unprocessed, left by drains to its retry job.
    // Whether or not it says when its message was sent.
    const eventId = await storeUnqueued(wa, [earlier], {
      senders: [from],
      attempts: 1,
      earliestMessageAt: Math.random() < 0.5 ? new Date(base * 1000) : null,
    })
    await postWebhook(webhook(wa, { messages: [later] }), wa.appSecret)
    await waitFor(async () => (await eventFor(wa, later.id))[0]?.processed_at)
    // Well past the order window, the later message is stored but held.
    await new Promise((resolve) => setTimeout(resolve, ORDER_WINDOW_MS * 2.5))
    assert.lengthOf(heard.received, 0)
    assert.isNull((await messageByWamid(wa, later.id)).processed_at)

    // The retry comes: both are handed on, in WhatsApp's order.
    await enqueueWebhookEvents([
      { tenant: wa.tenant.slug, eventIds: [eventId], jobId: newWebhookJobId() },
    ])
    await waitFor(async () => heard.received.length === 2)
    assert.deepEqual(
      heard.received.map((e) => e.externalId),
      [earlier.id, later.id]
    )
  })

  test('a waiting webhook holds only the messages sent after its earliest one', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-held-tail')
    cleanup(wa.cleanup)
    const heard = listen(wa.tenant.slug)
    cleanup(heard.stop)
    const from = waId()
    const base = Math.floor(Date.now() / 1000) - 60
    const at = (offset: number, text: string) =>
      messages.text({ from, timestamp: String(base + offset) }, text)
    const [first, second, stuck, last] = [at(0, 'one'), at(1, 'two'), at(2, 'three'), at(3, 'four')]
    // The third message's webhook failed once and waits for its retry.
    const stuckId = await storeUnqueued(wa, [stuck], {
      senders: [from],
      attempts: 1,
      earliestMessageAt: new Date((base + 2) * 1000),
    })
    for (const m of [first, second, last]) {
      await postWebhook(webhook(wa, { messages: [m] }), wa.appSecret)
    }
    // Those sent before it go; the one sent after it waits.
    await waitFor(async () => heard.received.length === 2)
    await new Promise((resolve) => setTimeout(resolve, ORDER_WINDOW_MS * 2.5))
    assert.deepEqual(
      heard.received.map((e) => e.externalId),
      [first.id, second.id]
    )
    assert.isNull((await messageByWamid(wa, last.id)).processed_at)

    await enqueueWebhookEvents([
      { tenant: wa.tenant.slug, eventIds: [stuckId], jobId: newWebhookJobId() },
    ])
    await waitFor(async () => heard.received.length === 4)
    assert.deepEqual(
      heard.received.map((e) => e.externalId),
      [first.id, second.id, stuck.id, last.id]
    )
  })

  test('webhooks carry their senders so unrelated conversations are never held', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-senders')
    cleanup(wa.cleanup)
    const heard = listen(wa.tenant.slug)
    cleanup(heard.stop)
    const [first, second] = [waId(), waId()]
    const sent = [messages.text({ from: first }), messages.text({ from: second })]
    await postWebhook(webhook(wa, { messages: sent }), wa.appSecret)
    const [event] = await eventFor(wa, sent[0].id)
    const { rows: stored } = await db.rawQuery(`select senders from webhook_events where id = ?`, [
      event.id,
    ])
    assert.sameMembers(stored[0].senders, [first, second])

    // A stuck webhook of someone else does not hold these two.
    await storeUnqueued(wa, [], { senders: [waId()] })
    await waitFor(async () => heard.received.length === 2)
  })

  test('a message after resolution opens a new conversation; the resolved one stays resolved', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-reopen')
    cleanup(wa.cleanup)
    const from = waId()
    await postWebhook(webhook(wa, { messages: [messages.text({ from })] }), wa.appSecret)
    const [first] = await waitFor(async () => {
      const found = await rows(wa.context, `select id from conversations`)
      return found.length ? found : null
    })
    await rows(
      wa.context,
      `update conversations set status = 'resolved', resolved_at = now() where id = ?`,
      [first.id]
    )
    await postWebhook(
      webhook(wa, { messages: [messages.text({ from }, 'Back again')] }),
      wa.appSecret
    )
    const all = await waitFor(async () => {
      const found = await rows(
        wa.context,
        `select id, status from conversations order by created_at`
      )
      return found.length === 2 ? found : null
    })
    assert.equal(all.find((c) => c.id === first.id).status, 'resolved')
    assert.equal(all.find((c) => c.id !== first.id).status, 'open')
  })

  test('two tenants receiving at once each see only their own contacts and messages', async ({
    assert,
    cleanup,
  }) => {
    const a = await makeWhatsAppTenant('in-iso-a')
    const b = await makeWhatsAppTenant('in-iso-b')
    cleanup(a.cleanup)
    cleanup(b.cleanup)
    const sentTo = new Map<WhatsAppTenant, string[]>([
      [a, []],
      [b, []],
    ])
    const posts = []
    for (let i = 0; i < 12; i++) {
      for (const wa of [a, b]) {
        const m = messages.text({ from: waId() }, `to ${wa.tenant.slug} #${i}`)
        sentTo.get(wa)!.push(m.id)
        posts.push(postWebhook(webhook(wa, { messages: [m] }), wa.appSecret))
      }
    }
    const answers = await Promise.all(posts)
    assert.isTrue(answers.every((r) => r.status === 200))

    for (const wa of [a, b]) {
      await waitFor(async () => {
        const [{ total }] = await rows(wa.context, `select count(*)::int as total from messages`)
        return total === 12
      })
      const stored = await rows(wa.context, `select external_id, body from messages`)
      assert.sameMembers(
        stored.map((r) => r.external_id),
        sentTo.get(wa)!
      )
      assert.isTrue(stored.every((r) => r.body.startsWith(`to ${wa.tenant.slug} `)))
      const contacts = await rows(wa.context, `select count(*)::int as total from contacts`)
      assert.equal(contacts[0].total, 12)
    }
  })

  test('one job stores a batch of many customers set-wise: each message once, counted, handed on once in order', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('in-batch')
    cleanup(wa.cleanup)
    const heard = listen(wa.tenant.slug)
    cleanup(heard.stop)
    const base = Math.floor(Date.now() / 1000) - 100
    const customers = Array.from({ length: 8 }, () => waId())
    const sent = customers.flatMap((from) =>
      [0, 1, 2].map((i) => messages.text({ from, timestamp: String(base + i) }, `#${i}`))
    )
    // Newest first, a webhook each, two of them delivered twice: all in one job.
    const deliveries = [...sent].reverse()
    deliveries.push(deliveries[0], deliveries[5])
    const eventIds: string[] = []
    for (const m of deliveries) {
      const stored = await storeUnqueued(wa, [m], { senders: [m.from] })
      eventIds.push(stored)
    }
    await enqueueWebhookEvents([{ tenant: wa.tenant.slug, eventIds, jobId: newWebhookJobId() }])
    await waitFor(async () => heard.received.length >= sent.length)
    await new Promise((resolve) => setTimeout(resolve, ORDER_WINDOW_MS))

    assert.sameMembers(
      heard.received.map((e) => e.externalId),
      sent.map((m) => m.id)
    )
    assert.lengthOf(heard.received, sent.length)
    for (const from of customers) {
      const mine = sent.filter((m) => m.from === from).map((m) => m.id)
      assert.deepEqual(
        heard.received.filter((e) => mine.includes(e.externalId!)).map((e) => e.externalId),
        mine
      )
    }
    const conversations = await rows(
      wa.context,
      `select k.wa_id, c.unread_count from conversations c join contacts k on k.id = c.contact_id`
    )
    assert.sameMembers(
      conversations.map((c) => c.wa_id),
      customers
    )
    assert.isTrue(conversations.every((c) => c.unread_count === 3))
    const events = await db.rawQuery(
      `select count(*)::int as open from webhook_events where id = any(?::bigint[]) and processed_at is null`,
      [eventIds]
    )
    assert.equal(events.rows[0].open, 0)
  })
})
