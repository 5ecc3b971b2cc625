import { test } from '@japa/runner'
import { openStream } from '#tests/helpers/sse'
import { makeMember } from '#tests/helpers/users'
import { anonymous, signIn } from '#tests/functional/workspace/member_browser'
import {
  makeWhatsAppTenant,
  messages,
  postWebhook,
  startInboundWorkers,
  waId,
  webhook,
} from '#tests/helpers/whatsapp'
import { inboxTopic, publishLive } from '#modules/inbox/services/live_updates'
import type { WorkerPool } from '#app/queue/worker_pool'

/*
| The inbox's live stream: real server-sent events over HTTP, fed through
| Redis pub/sub by the real inbound workers.
*/

test.group('Live inbox stream', (group) => {
  let pool: WorkerPool
  group.setup(async () => {
    pool = await startInboundWorkers()
    return () => pool.stop()
  })

  test('a new WhatsApp message reaches an open inbox stream as a notice', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('live')
    cleanup(wa.cleanup)
    const viewer = await signIn(await makeMember(wa.tenant.id, 'viewer'))
    const stream = await openStream(viewer, `/t/${wa.tenant.slug}/inbox/events`)
    cleanup(stream.close)
    assert.equal(stream.response.status, 200)
    assert.equal(stream.response.headers.get('cache-control'), 'no-cache, no-transform')
    await stream.until((all) => all.some((e) => e.event === 'ready'))

    await postWebhook(webhook(wa, { messages: [messages.text({ from: waId() })] }), wa.appSecret)
    await stream.until((all) => all.some((e) => e.event === 'inbox' && e.data.kind === 'message'))
    const notice = stream.events.find((e) => e.data.kind === 'message')!.data
    const [conversation] = await wa.context.transaction(
      async (trx) => (await trx.rawQuery(`select id from conversations`)).rows
    )
    assert.equal(notice.conversationId, conversation.id)
    assert.isString(notice.messageId)
    // A notice names what changed; the page fetches the rest through authorised routes.
    assert.notProperty(notice, 'body')
  })

  test("one workspace's stream never carries another's notices; outsiders get 404", async ({
    assert,
    cleanup,
  }) => {
    const a = await makeWhatsAppTenant('live-a')
    const b = await makeWhatsAppTenant('live-b')
    cleanup(a.cleanup)
    cleanup(b.cleanup)
    const memberOfA = await signIn(await makeMember(a.tenant.id, 'agent'))
    const memberOfB = await signIn(await makeMember(b.tenant.id, 'agent'))

    const outsider = await memberOfB.get(`/t/${a.tenant.slug}/inbox/events`)
    assert.equal(outsider.status, 404)
    const nobody = await anonymous().get(`/t/${a.tenant.slug}/inbox/events`)
    assert.equal(nobody.status, 302)
    assert.match(nobody.location ?? '', /^\/login/)

    const streamA = await openStream(memberOfA, `/t/${a.tenant.slug}/inbox/events`)
    cleanup(streamA.close)
    await streamA.until((all) => all.some((e) => e.event === 'ready'))
    await postWebhook(webhook(b, { messages: [messages.text({ from: waId() })] }), b.appSecret)
    await publishLive(inboxTopic(b.tenant.id), { kind: 'conversation', conversationId: 'b-only' })
    // A's own notice, sent after B's: once it is here, B's would have been too.
    await publishLive(inboxTopic(a.tenant.id), { kind: 'conversation', conversationId: 'a-marker' })
    await streamA.until((all) => all.some((e) => e.data.conversationId === 'a-marker'))
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    assert.deepEqual(
      streamA.events.filter((e) => e.event === 'inbox').map((e) => e.data.conversationId),
      ['a-marker']
    )
  })
})
