import { test } from '@japa/runner'
import type { Assert } from '@japa/assert'
import app from '@adonisjs/core/services/app'
import queue from '@rlanz/bull-queue/services/main'
import { INBOUND_QUEUE } from '#modules/channels/services/inbound_queue'
import { readAssistantSettings, saveAssistantSettings } from '#modules/brain/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeMember } from '#tests/helpers/users'
import { learnText } from '#tests/helpers/brain'
import { useWorkers } from '#tests/helpers/queue'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { useFakeOpenAI } from '#tests/helpers/fake_openai_server'
import { signIn } from '#tests/functional/workspace/member_browser'
import { WebSession } from '#tests/helpers/web_session'
import { api, makeKey } from '#tests/functional/integrations/api_client'
import {
  makeWhatsAppTenant,
  messages,
  postWebhook,
  waId,
  waitFor,
  webhook,
  type WhatsAppTenant,
} from '#tests/helpers/whatsapp'

/*
| WhatsApp's order, whatever order Meta delivers webhooks in: three messages
| stamped t, t+1, t+2 arrive t, t+2, t+1, each in a webhook of its own
| (signed as Meta signs them), and every reader meets them as the customer
| wrote them: the API (and its pages), the inbox thread, and the assistant,
| which answers the customer's turn once.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

function rows(context: TenantContext, sql: string, bindings: any[] = []) {
  return context.transaction(async (trx) => (await trx.rawQuery(sql, bindings)).rows as any[])
}

const TEXTS = ['Hello, I am a doctor.', 'I work as a locum at weekends.', 'Am I covered then?']

async function whatsAppTenant(cleanup: Cleanup) {
  const wa = await makeWhatsAppTenant('ord')
  cleanup(wa.cleanup)
  return wa
}

/** A customer's three messages, stamped a second apart, a minute ago. */
function threeMessages() {
  const from = waId()
  const base = Math.floor(Date.now() / 1000) - 60
  return TEXTS.map((text, i) => messages.text({ from, timestamp: String(base + i) }, text))
}

/** The three texts all appear in `text`, in the customer's order. */
function assertInOrder(assert: Assert, text: string) {
  const positions = TEXTS.map((part) => text.indexOf(part))
  assert.isTrue(
    positions.every((at) => at >= 0),
    `every message is in: ${text.slice(0, 500)}`
  )
  assert.deepEqual(
    [...positions].sort((a, b) => a - b),
    positions
  )
}

type WaMessage = ReturnType<typeof threeMessages>[number]

function assert200(status: number) {
  if (status !== 200) throw new Error(`webhook answered ${status}`)
}

/** Posts one message in a webhook of its own and waits until it is handed on. */
async function deliver(wa: WhatsAppTenant, message: WaMessage) {
  const response = await postWebhook(webhook(wa, { messages: [message] }), wa.appSecret)
  assert200(response.status)
  return waitFor(async () => {
    const [row] = await rows(
      wa.context,
      `select id, conversation_id from messages where external_id = ? and processed_at is not null`,
      [message.id]
    )
    return row as { id: string; conversation_id: string } | undefined
  })
}

/** t, then t+2, then t+1, each stored and handed on before the next is sent. */
async function deliverOutOfOrder(wa: WhatsAppTenant) {
  const sent = threeMessages()
  await deliver(wa, sent[0])
  await deliver(wa, sent[2])
  const { conversation_id: conversationId } = await deliver(wa, sent[1])
  return { sent, conversationId }
}

test.group('WhatsApp order: lists', (group) => {
  useWorkers(group, ['inbound'])

  test('messages delivered t, t+2, t+1 come back from the API as t, t+1, t+2, a reply after them', async ({
    assert,
    cleanup,
  }) => {
    const wa = await whatsAppTenant(cleanup)
    const { sent, conversationId } = await deliverOutOfOrder(wa)
    const [conversation] = await rows(wa.context, `select contact_id from conversations`)
    await rows(
      wa.context,
      `insert into messages (conversation_id, contact_id, channel_id, direction, type, body,
          status, author_type)
        values (?, ?, ?, 'outbound', 'text', 'Yes, locum work is covered.', 'queued', 'agent')`,
      [conversationId, conversation.contact_id, wa.channel.id]
    )
    // Stored by arrival: the late message really is the last one in.
    const arrival = await rows(
      wa.context,
      `select external_id from messages where direction = 'inbound' order by seq`
    )
    assert.deepEqual(
      arrival.map((row) => row.external_id),
      [sent[0].id, sent[2].id, sent[1].id]
    )

    const { token } = await makeKey(wa.tenant)
    const list = await api('GET', `/api/v1/conversations/${conversationId}/messages`, { token })
    assert.equal(list.status, 200)
    assert.deepEqual(
      list.json.data.map((m: any) => m.body),
      [...TEXTS, 'Yes, locum work is covered.']
    )
    const newestFirst = await api(
      'GET',
      `/api/v1/conversations/${conversationId}/messages?order=desc`,
      { token }
    )
    assert.deepEqual(
      newestFirst.json.data.map((m: any) => m.body),
      ['Yes, locum work is covered.', ...[...TEXTS].reverse()]
    )
  })

  test('pages of two walk the reordered conversation with no message twice or missing, both ways', async ({
    assert,
    cleanup,
  }) => {
    const wa = await whatsAppTenant(cleanup)
    const { sent, conversationId } = await deliverOutOfOrder(wa)
    const { token } = await makeKey(wa.tenant)
    const walk = async (order: 'asc' | 'desc', limit: number) => {
      const pages: string[][] = []
      let cursor: string | null = null
      do {
        const query: string = `?order=${order}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`
        const page = await api('GET', `/api/v1/conversations/${conversationId}/messages${query}`, {
          token,
        })
        assert.equal(page.status, 200)
        pages.push(page.json.data.map((m: any) => m.external_id))
        cursor = page.json.next_cursor
      } while (cursor && pages.length < 10)
      return pages
    }
    const ids = sent.map((m) => m.id)
    // The page boundary falls between t+1 (arrived last) and t+2 (arrived second).
    assert.deepEqual(await walk('asc', 2), [[ids[0], ids[1]], [ids[2]]])
    assert.deepEqual(await walk('desc', 2), [[ids[2], ids[1]], [ids[0]]])
    assert.deepEqual(await walk('asc', 1), [[ids[0]], [ids[1]], [ids[2]]])
  })

  test('the inbox thread shows a late message where the customer sent it', async ({
    assert,
    cleanup,
  }) => {
    const wa = await whatsAppTenant(cleanup)
    const { conversationId } = await deliverOutOfOrder(wa)
    const agent = await makeMember(wa.tenant.id, 'agent')
    cleanup(() => agent.delete())
    const web = await signIn(agent)
    const response = await fetch(
      `${WebSession.baseUrl()}/t/${wa.tenant.slug}/inbox/${conversationId}`,
      {
        headers: {
          'HX-Request': 'true',
          'HX-Target': 'inbox-thread',
          'cookie': [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        },
      }
    )
    assert.equal(response.status, 200)
    assertInOrder(assert, await response.text())
  })
})

test.group('WhatsApp order: the assistant', (group) => {
  useWorkers(group, ['default', 'inbound'])
  useFakeGraph(group, { token: 'test-access-token' })
  const ai = useFakeOpenAI(group, { chatModel: 'chat-test', embedModel: null })
  group.each.setup(() => {
    const previous = app.config.get<number>('ai.maxRetries')
    app.config.set('ai.maxRetries', 0)
    return () => app.config.set('ai.maxRetries', previous)
  })

  const ANSWER = JSON.stringify({
    answer: 'Yes: locum work is covered automatically [1].',
    citations: [1],
    covered: true,
    confidence: 0.9,
  })

  async function assistantTenant(cleanup: Cleanup) {
    const wa = await whatsAppTenant(cleanup)
    await learnText(
      wa.context,
      'Malpractice policy',
      '# Malpractice policy\n\n## Locum cover\n\nYour cover follows you when you work as a locum. Locum engagements are covered automatically on the same terms as your regular practice.'
    )
    const current = await readAssistantSettings(wa.context, wa.channel.id)
    await saveAssistantSettings(wa.context, wa.channel.id, { ...current, enabled: true }, null)
    return wa
  }

  function assistantMessages(wa: WhatsAppTenant) {
    return rows(wa.context, `select id, body from messages where author_type = 'assistant'`)
  }

  function replies(wa: WhatsAppTenant) {
    return rows(
      wa.context,
      `select m.external_id, r.outcome, r.reason, r.message_id from assistant_replies r
        join messages m on m.id = r.inbound_message_id order by m.sort_at, m.seq`
    )
  }

  /**
   * Posts messages one after the other, a webhook each, without waiting for
   * them to be handed on: within the order window they reach the assistant
   * together, as a burst from the customer does.
   */
  async function postTogether(wa: WhatsAppTenant, sent: WaMessage[]) {
    // The queue waits until every webhook is accepted, as a burst arrives:
    // on a busy machine accepting them one by one can outlast the order window.
    const inbound = queue.getOrSet(INBOUND_QUEUE)
    await inbound.pause()
    try {
      for (const message of sent) {
        const response = await postWebhook(webhook(wa, { messages: [message] }), wa.appSecret)
        assert200(response.status)
      }
    } finally {
      await inbound.resume()
    }
  }

  /** The question each chat call put to the model, in call order. */
  function questionsAsked() {
    return ai.chatCalls().map((call) => String(call.body.messages.at(-1).content))
  }

  test('three messages posted t, t+2, t+1 at once get one answer, to all three in order', async ({
    assert,
    cleanup,
  }) => {
    const wa = await assistantTenant(cleanup)
    ai.respond(() => ANSWER)
    const sent = threeMessages()
    await postTogether(wa, [sent[0], sent[2], sent[1]])
    // The turn is claimed (three reply rows) before its answer is written:
    // wait for both, or a loaded machine reads the claim without the answer.
    await waitFor(async () => (await replies(wa)).length === 3)
    await waitFor(async () => (await assistantMessages(wa)).length > 0)
    const answered = await replies(wa)
    assert.deepEqual(
      answered.map((row) => [row.external_id, row.outcome]),
      [
        [sent[0].id, 'skipped'],
        [sent[1].id, 'skipped'],
        [sent[2].id, 'answered'],
      ]
    )
    assert.lengthOf(await assistantMessages(wa), 1)
    assert.lengthOf(questionsAsked(), 1)
    assertInOrder(assert, questionsAsked()[0])
  })

  test('a late earlier message that arrives while the answer is being written is answered with it, once', async ({
    assert,
    cleanup,
  }) => {
    const wa = await assistantTenant(cleanup)
    const sent = threeMessages()
    let late: Promise<unknown> | null = null
    ai.respond(async () => {
      // The first answer is being written when t+1 comes in.
      late ??= deliver(wa, sent[1])
      await late
      return ANSWER
    })
    await postTogether(wa, [sent[0], sent[2]])
    await waitFor(async () => (await assistantMessages(wa)).length > 0)
    await waitFor(async () => (await replies(wa)).length === 3)
    // The late message's own run found the turn answered by its latest message.
    await new Promise((resolve) => setTimeout(resolve, 1_500))

    assert.lengthOf(await assistantMessages(wa), 1)
    const asked = questionsAsked()
    assert.lengthOf(asked, 2)
    assert.notInclude(asked[0], TEXTS[1])
    assertInOrder(assert, asked[1])
    const answered = (await replies(wa)).filter((row) => row.outcome === 'answered')
    assert.lengthOf(answered, 1)
    assert.equal(answered[0].external_id, sent[2].id)
  })

  test('a late earlier message that arrives after a later one was answered gets no second answer', async ({
    assert,
    cleanup,
  }) => {
    const wa = await assistantTenant(cleanup)
    ai.respond(() => ANSWER)
    const sent = threeMessages()
    await postTogether(wa, [sent[0], sent[2]])
    await waitFor(async () => (await replies(wa)).length === 2)
    await waitFor(async () => (await assistantMessages(wa)).length > 0)
    await deliver(wa, sent[1])
    const late = await waitFor(async () =>
      (await replies(wa)).find((row) => row.external_id === sent[1].id)
    )
    assert.equal(late.outcome, 'skipped')
    assert.equal(late.reason, 'answered_with_later')
    assert.lengthOf(await assistantMessages(wa), 1)
    assert.lengthOf(questionsAsked(), 1)
  })
})
