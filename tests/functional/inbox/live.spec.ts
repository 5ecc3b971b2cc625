import { test } from '@japa/runner'
import { WebSession } from '#tests/helpers/web_session'
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

interface SseEvent {
  event: string
  data: any
}

/** Opens a workspace page's stream with a member's cookies and parses what arrives. */
async function openStream(web: WebSession, path: string) {
  const controller = new AbortController()
  const cookie = [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  const response = await fetch(`${WebSession.baseUrl()}${path}`, {
    headers: { cookie, accept: 'text/event-stream' },
    redirect: 'manual',
    signal: controller.signal,
  })
  const events: SseEvent[] = []
  const waiters: Array<() => void> = []
  let buffer = ''
  const pump = (async () => {
    if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
      return
    }
    const decoder = new TextDecoder()
    try {
      for await (const chunk of response.body as any) {
        buffer += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const name = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (name && data !== undefined) events.push({ event: name, data: JSON.parse(data) })
          waiters.splice(0).forEach((wake) => wake())
        }
      }
    } catch {
      // aborted
    }
  })()
  const until = async (check: (all: SseEvent[]) => boolean, timeoutMs = 8_000) => {
    const deadline = Date.now() + timeoutMs
    while (!check(events)) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`stream condition not met; got ${JSON.stringify(events)}`)
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, Math.min(left, 200))
      })
    }
  }
  return {
    response,
    events,
    until,
    close: async () => {
      controller.abort()
      await pump
    },
  }
}

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
