import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import queue from '@rlanz/bull-queue/services/main'
import { Channel, INBOUND_QUEUE } from '#modules/channels/index'
import { DRAIN_WINDOW_MS } from '#modules/channels/services/inbound_queue'
import { storeWebhookEvents } from '#modules/channels/services/webhook_store'
import { Tenant, softDeleteTenant, suspendTenant, systemActor } from '#modules/tenancy/index'
import {
  baseUrl,
  makeWhatsAppTenant,
  messages,
  postWebhook,
  sign,
  waId,
  webhook,
  wamid,
} from '#tests/helpers/whatsapp'

/*
| The request side: handshake, signature, routing, durable storage before
| the 200. No inbound worker runs here, so what is stored stays as stored.
*/

/**
 * The drains queued for a workspace, by window (ids `wh-drain-<tenant id>-<window>`).
 * No worker runs here, so they wait.
 */
async function queuedDrains(tenant: { id: string; slug: string }) {
  const jobs = await queue.getOrSet(INBOUND_QUEUE).getJobs(['delayed', 'waiting'])
  const prefix = `wh-drain-${tenant.id}-`
  return jobs
    .filter((job) => job?.id?.startsWith(prefix))
    .map((job) => ({ window: Number(job.id!.slice(prefix.length)), data: job.data }))
    .sort((a, b) => a.window - b.window)
}

/** The window a row's job_id names (the drain of the window it was stored in). */
function windowOf(jobId: string, tenant: { id: string }) {
  const prefix = `wh-drain-${tenant.id}-`
  if (!jobId.startsWith(prefix)) throw new Error(`${jobId} is not a drain of ${tenant.id}`)
  return Number(jobId.slice(prefix.length))
}

async function storedEvents(channelId: string) {
  const result = await db.rawQuery(
    `select id, tenant_id, channel_id, payload, processed_at, received_at, job_id from webhook_events
      where channel_id = ? order by id`,
    [channelId]
  )
  return result.rows as Array<{
    id: string
    received_at: Date
    job_id: string
    tenant_id: string
    channel_id: string
    payload: any
    processed_at: Date | null
  }>
}

test.group('WhatsApp webhook handshake', () => {
  test('echoes hub.challenge as text for a known verify token', async ({ assert, cleanup }) => {
    const wa = await makeWhatsAppTenant('wh-hs')
    cleanup(wa.cleanup)
    const query = new URLSearchParams({
      'hub.mode': 'subscribe',
      'hub.verify_token': wa.verifyToken,
      'hub.challenge': '1158201444',
    })
    const response = await fetch(baseUrl(`/webhooks/whatsapp?${query}`))
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/)
    assert.equal(await response.text(), '1158201444')
  })

  test('refuses a wrong token or mode with 403 JSON', async ({ assert, cleanup }) => {
    const wa = await makeWhatsAppTenant('wh-hs')
    cleanup(wa.cleanup)
    for (const [mode, token] of [
      ['subscribe', 'not-the-token'],
      ['unsubscribe', wa.verifyToken],
      ['subscribe', ''],
    ]) {
      const query = new URLSearchParams({
        'hub.mode': mode,
        'hub.verify_token': token,
        'hub.challenge': '42',
      })
      const response = await fetch(baseUrl(`/webhooks/whatsapp?${query}`))
      assert.equal(response.status, 403)
      const body = (await response.json()) as any
      assert.equal(body.error.code, 'verification_failed')
    }
  })
})

test.group('WhatsApp webhook intake', () => {
  test('a missing or wrong signature is 401 and nothing is stored', async ({ assert, cleanup }) => {
    const wa = await makeWhatsAppTenant('wh-sig')
    cleanup(wa.cleanup)
    const body = webhook(wa, { messages: [messages.text({ from: waId() })] })

    const missing = await postWebhook(body, wa.appSecret, { signature: null })
    assert.equal(missing.status, 401)
    assert.equal(missing.json.error.code, 'missing_signature')

    const wrongSecret = await postWebhook(body, 'some-other-secret')
    assert.equal(wrongSecret.status, 401)
    assert.equal(wrongSecret.json.error.code, 'invalid_signature')

    const garbage = await postWebhook(body, wa.appSecret, { signature: 'sha256=abc' })
    assert.equal(garbage.status, 401)

    const noPrefix = await postWebhook(body, wa.appSecret, {
      signature: sign(JSON.stringify(body), wa.appSecret).slice('sha256='.length),
    })
    assert.equal(noPrefix.status, 401)

    assert.lengthOf(await storedEvents(wa.channel.id), 0)
  })

  test('the signature covers the exact bytes: re-serialised JSON does not match', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('wh-raw')
    cleanup(wa.cleanup)
    const id = wamid()
    const from = waId()
    // Meta's own formatting: spaces, escaped unicode and slashes.
    const raw = `{ "object": "whatsapp_business_account", "entry": [ { "id": "${wa.wabaId}", "changes": [ { "value": { "messaging_product": "whatsapp", "metadata": { "display_phone_number": "15550001234", "phone_number_id": "${wa.phoneNumberId}" }, "contacts": [ { "profile": { "name": "Zo\\u00eb" }, "wa_id": "${from}" } ], "messages": [ { "from": "${from}", "id": "${id}", "timestamp": "1700000000", "text": { "body": "caf\\u00e9 \\/ ok" }, "type": "text" } ] }, "field": "messages" } ] } ] }`
    const reserialised = JSON.stringify(JSON.parse(raw))
    assert.notEqual(reserialised, raw)

    const forged = await postWebhook(raw, wa.appSecret, {
      signature: sign(reserialised, wa.appSecret),
    })
    assert.equal(forged.status, 401)

    const genuine = await postWebhook(raw, wa.appSecret)
    assert.equal(genuine.status, 200)
    const [event] = await storedEvents(wa.channel.id)
    assert.equal(event.payload.entry[0].changes[0].value.messages[0].text.body, 'café / ok')
  })

  test('a valid webhook is stored before the 200, with its tenant and channel, and queued', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('wh-ok')
    cleanup(wa.cleanup)
    const message = messages.text({ from: waId() })
    const sessionsBefore = await db.from('sessions').count('* as total')
    const response = await postWebhook(webhook(wa, { messages: [message] }), wa.appSecret)
    assert.equal(response.status, 200)
    // A machine route: no browser session is started or stored for it.
    assert.isNull(response.headers.get('set-cookie'))
    assert.deepEqual(await db.from('sessions').count('* as total'), sessionsBefore)

    // Read right after the answer: the row is already there.
    const events = await storedEvents(wa.channel.id)
    assert.lengthOf(events, 1)
    assert.equal(events[0].tenant_id, wa.tenant.id)
    assert.equal(events[0].channel_id, wa.channel.id)
    assert.isNull(events[0].processed_at)
    assert.equal(events[0].payload.entry[0].changes[0].value.messages[0].id, message.id)
    // Whose and from when, for the ordered hand-off.
    const { rows: ordering } = await db.rawQuery(
      `select senders, earliest_message_at from webhook_events where id = ?`,
      [events[0].id]
    )
    assert.deepEqual(ordering[0].senders, [message.from])
    assert.equal(ordering[0].earliest_message_at.getTime(), Number(message.timestamp) * 1000)

    // Its workspace's drain is queued, starting after the window the row was stored in.
    const drains = await queuedDrains(wa.tenant)
    assert.lengthOf(drains, 1)
    assert.deepEqual(drains[0].data, { tenant: wa.tenant.slug })
    assert.isAtLeast(drains[0].window, windowOf(events[0].job_id, wa.tenant))
  })

  test('a burst of webhooks is stored in shared commits, each row answered once, and drained by a job per window', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('wh-burst')
    cleanup(wa.cleanup)
    const sent = Array.from({ length: 60 }, () => messages.text({ from: waId() }))
    const started = Date.now()
    const responses = await Promise.all(
      sent.map((message) => postWebhook(webhook(wa, { messages: [message] }), wa.appSecret))
    )
    const windows = Math.floor(Date.now() / DRAIN_WINDOW_MS) - Math.floor(started / DRAIN_WINDOW_MS)
    assert.isTrue(responses.every((response) => response.status === 200))

    const events = await storedEvents(wa.channel.id)
    assert.lengthOf(events, sent.length)
    assert.sameMembers(
      events.map((event) => event.payload.entry[0].changes[0].value.messages[0].id),
      sent.map((message) => message.id)
    )
    assert.lengthOf(new Set(events.map((event) => String(event.id))), sent.length)
    // One drain per window the burst spanned, at most, whatever the commits;
    // each row names a window whose drain, or a later one, is queued.
    const drains = await queuedDrains(wa.tenant)
    assert.isAtLeast(drains.length, 1)
    assert.isAtMost(drains.length, windows + 1)
    assert.isTrue(drains.every((drain) => drain.data.tenant === wa.tenant.slug))
    const last = drains[drains.length - 1].window
    assert.isTrue(events.every((event) => windowOf(event.job_id, wa.tenant) <= last))
  })

  test('webhooks of several workspaces stored together ask each workspace for one drain', async ({
    assert,
    cleanup,
  }) => {
    const first = await makeWhatsAppTenant('wh-jobs-a')
    const second = await makeWhatsAppTenant('wh-jobs-b')
    cleanup(first.cleanup)
    cleanup(second.cleanup)
    const row = (wa: typeof first) => {
      const from = waId()
      return {
        provider: 'whatsapp' as const,
        channelId: wa.channel.id,
        tenantId: wa.tenant.id,
        tenantSlug: wa.tenant.slug,
        payload: JSON.stringify(webhook(wa, { messages: [messages.text({ from })] })),
        senders: [from],
        earliestMessageAt: new Date(),
      }
    }
    // Interleaved, as requests of two workspaces arrive.
    const rows = Array.from({ length: 203 }, (_, i) => row(i % 4 === 3 ? second : first))
    const stored = await storeWebhookEvents(rows)
    assert.isTrue(stored.every(Boolean))

    for (const wa of [first, second]) {
      const events = await storedEvents(wa.channel.id)
      assert.lengthOf(events, rows.filter((r) => r.tenantId === wa.tenant.id).length)
      const drains = await queuedDrains(wa.tenant)
      // One commit, one drain (two if the commit ended in the next window).
      assert.oneOf(drains.length, [1, 2])
      assert.deepEqual(drains[0].data, { tenant: wa.tenant.slug })
      const named = new Set(events.map((event) => windowOf(event.job_id, wa.tenant)))
      assert.lengthOf(named, 1)
      assert.isAtMost([...named][0], drains[drains.length - 1].window)
    }
  })

  test('an unknown phone_number_id is 404 with a code, not a silent 200', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('wh-404')
    cleanup(wa.cleanup)
    const before = await db.from('webhook_events').count('* as total')
    const response = await postWebhook(
      webhook(
        { phoneNumberId: '99999999999999', wabaId: wa.wabaId },
        {
          messages: [messages.text({ from: waId() })],
        }
      ),
      wa.appSecret
    )
    assert.equal(response.status, 404)
    assert.equal(response.json.error.code, 'unknown_phone_number_id')
    const after = await db.from('webhook_events').count('* as total')
    assert.equal(Number(after[0].total), Number(before[0].total))
  })

  test("a body signed with tenant A's secret for tenant B's number is refused", async ({
    assert,
    cleanup,
  }) => {
    const a = await makeWhatsAppTenant('wh-a')
    const b = await makeWhatsAppTenant('wh-b')
    cleanup(a.cleanup)
    cleanup(b.cleanup)
    const intoB = webhook(b, { messages: [messages.text({ from: waId() })] })
    const response = await postWebhook(intoB, a.appSecret)
    assert.equal(response.status, 401)
    assert.lengthOf(await storedEvents(b.channel.id), 0)

    // A batch naming both numbers must be signed for both: A's secret is not enough.
    const both = webhook(a, { messages: [messages.text({ from: waId() })] })
    both.entry.push(...webhook(b, { messages: [messages.text({ from: waId() })] }).entry)
    assert.equal((await postWebhook(both, a.appSecret)).status, 401)
    assert.lengthOf(await storedEvents(a.channel.id), 0)
    assert.lengthOf(await storedEvents(b.channel.id), 0)
  })

  test('a remembered route is re-checked: a new secret or a moved number counts at once', async ({
    assert,
    cleanup,
  }) => {
    const a = await makeWhatsAppTenant('wh-moved-a')
    const b = await makeWhatsAppTenant('wh-moved-b')
    cleanup(a.cleanup)
    cleanup(b.cleanup)
    const text = () => webhook(a, { messages: [messages.text({ from: waId() })] })
    // The first webhook routes the number; the process remembers the route.
    assert.equal((await postWebhook(text(), a.appSecret)).status, 200)

    // A new app secret: the old one no longer signs, the new one does.
    const channelA = await Channel.findOrFail(a.channel.id)
    channelA.appSecret = 'a-new-app-secret'
    await channelA.save()
    assert.equal((await postWebhook(text(), a.appSecret)).status, 401)
    assert.equal((await postWebhook(text(), 'a-new-app-secret')).status, 200)
    assert.lengthOf(await storedEvents(a.channel.id), 2)

    // The number moves to workspace B: its webhooks are B's, signed with B's secret.
    channelA.phoneNumberId = `${a.phoneNumberId}9`
    await channelA.save()
    const channelB = await Channel.findOrFail(b.channel.id)
    channelB.phoneNumberId = a.phoneNumberId
    await channelB.save()
    assert.equal((await postWebhook(text(), 'a-new-app-secret')).status, 401)
    assert.equal((await postWebhook(text(), b.appSecret)).status, 200)
    assert.lengthOf(await storedEvents(a.channel.id), 2)
    assert.lengthOf(await storedEvents(b.channel.id), 1)
  })

  test('a suspended workspace still receives; a deleted one is 404', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('wh-life')
    cleanup(wa.cleanup)
    const tenant = await Tenant.findOrFail(wa.tenant.id)

    await suspendTenant(tenant, systemActor)
    const whileSuspended = await postWebhook(
      webhook(wa, { messages: [messages.text({ from: waId() })] }),
      wa.appSecret
    )
    assert.equal(whileSuspended.status, 200)
    assert.lengthOf(await storedEvents(wa.channel.id), 1)

    await softDeleteTenant(await Tenant.findOrFail(wa.tenant.id), systemActor)
    const afterDelete = await postWebhook(
      webhook(wa, { messages: [messages.text({ from: waId() })] }),
      wa.appSecret
    )
    assert.equal(afterDelete.status, 404)
    assert.lengthOf(await storedEvents(wa.channel.id), 1)
  })

  test('a malformed body is a 400 JSON error, never a 500', async ({ assert, cleanup }) => {
    const wa = await makeWhatsAppTenant('wh-bad')
    cleanup(wa.cleanup)
    const notWebhook = await postWebhook({ hello: 'world' }, wa.appSecret)
    assert.equal(notWebhook.status, 400)
    assert.equal(notWebhook.json.error.code, 'invalid_payload')
    const notJson = await postWebhook('{"entry": [', wa.appSecret)
    assert.equal(notJson.status, 400)
    assert.equal(notJson.json.error.code, 'invalid_json')
  })

  test('a body over 4 MB is refused with 413 and nothing is stored', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('wh-big')
    cleanup(wa.cleanup)
    const huge = webhook(wa, { messages: [messages.text({ from: waId() }, 'x'.repeat(4_300_000))] })
    const response = await postWebhook(huge, wa.appSecret)
    assert.equal(response.status, 413)
    assert.equal(response.json.error.code, 'payload_too_large')
    assert.lengthOf(await storedEvents(wa.channel.id), 0)

    // The connection and the server are fine afterwards.
    const next = await postWebhook(
      webhook(wa, { messages: [messages.text({ from: waId() })] }),
      wa.appSecret
    )
    assert.equal(next.status, 200)
    assert.lengthOf(await storedEvents(wa.channel.id), 1)
  })
})
