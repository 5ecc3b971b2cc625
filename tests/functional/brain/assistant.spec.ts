import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import emitter from '@adonisjs/core/services/emitter'
import { Channel, addSandboxChannel, queueOutboundMessage } from '#modules/channels/index'
import { assignConversation, type HandoffRequestedEvent } from '#modules/inbox/index'
import {
  AssistantReplyJob,
  assistantAnswersFirst,
  assistantStateOf,
  replyToInboundMessage,
  saveAssistantSettings,
  readAssistantSettings,
  DEFAULT_HANDOFF_WORDS,
  type AssistantSettings,
} from '#modules/brain/index'
import { customerHandoff } from '#modules/brain/services/assistant/customer_text'
import { dispatchTenantJob, systemActor, type TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { assistantReplyTo, customerSays, learnText } from '#tests/helpers/brain'
import { useWorkers } from '#tests/helpers/queue'
import { waitFor } from '#tests/helpers/whatsapp'
import { useFakeOpenAI } from '#tests/helpers/fake_openai_server'
import { signIn } from '#tests/functional/workspace/member_browser'
import { WebSession } from '#tests/helpers/web_session'
import { useFixedClock } from '#tests/helpers/clock'

/*
| The assistant on a channel, end to end on the sandbox channel: a stored
| customer message, the reply job, the normal outbound path, handoffs with
| their event, ownership by a person, hand back from the inbox, and the
| settings page. Without a chat model the offline (extractive) answerer
| answers; the model path runs against the local OpenAI-compatible server.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

const POLICY = `# Clinicians' malpractice policy

## Locum cover

Your cover follows you when you work as a locum. Locum engagements are covered automatically on the same terms as your regular practice, provided the work is within your declared specialty.

## Cancellation

You may cancel this policy within 14 days of receiving your documents and we will refund the premium in full. After that, a refund is pro rata less an administration fee of AED 350.`

const LOCUM_QUESTION = 'Am I covered when I work as a locum?'

async function assistantWorkspace(cleanup: Cleanup, settings: Partial<AssistantSettings> = {}) {
  const ws = await makeWorkspace(cleanup, 'asst')
  const channel = await addSandboxChannel(ws.tenant, systemActor)
  await learnText(ws.context, "Clinicians' malpractice policy", POLICY)
  await configure(ws.context, channel.id, { enabled: true, ...settings })
  return { ...ws, channel }
}

async function configure(
  tenant: TenantContext,
  channelId: string,
  changes: Partial<AssistantSettings>
) {
  const current = await readAssistantSettings(tenant, channelId)
  return saveAssistantSettings(tenant, channelId, { ...current, ...changes }, null)
}

async function assistantMessages(tenant: TenantContext, conversationId: string) {
  return tenant.transaction((trx) =>
    trx
      .from('messages')
      .where('conversation_id', conversationId)
      .where('author_type', 'assistant')
      .orderBy('seq')
      .select('id', 'body', 'payload', 'author_type', 'direction')
  )
}

/**
 * Who has a conversation: its assignee (the channels module's) and the
 * assistant's state (the brain's own row; none yet means the assistant's).
 */
async function conversationOf(tenant: TenantContext, id: string) {
  return tenant.transaction(async (trx) => {
    const conversation = await trx
      .from('conversations')
      .where('id', id)
      .select('assignee_id')
      .firstOrFail()
    const row = await trx.from('assistant_conversations').where('conversation_id', id).first()
    return {
      assignee_id: conversation.assignee_id as string | null,
      state: (row?.state ?? 'assistant') as 'assistant' | 'human',
      failures: (row?.failures ?? 0) as number,
      handoff_reason: (row?.handoff_reason ?? null) as string | null,
    }
  })
}

async function replyRow(tenant: TenantContext, inboundMessageId: string) {
  return tenant.transaction((trx) =>
    trx.from('assistant_replies').where('inbound_message_id', inboundMessageId).first()
  )
}

function handoffEvents(cleanup: Cleanup, tenantId: string) {
  const seen: HandoffRequestedEvent[] = []
  const listener = (event: HandoffRequestedEvent) => {
    if (event.tenantId === tenantId) seen.push(event)
  }
  emitter.on('handoff:requested', listener)
  cleanup(() => emitter.off('handoff:requested', listener))
  return seen
}

/** The conversation's thread as an agent's inbox shows it. */
async function threadHtml(web: WebSession, base: string, conversationId: string) {
  const response = await fetch(`${WebSession.baseUrl()}${base}/inbox/${conversationId}`, {
    headers: {
      'HX-Request': 'true',
      'HX-Target': 'inbox-thread',
      'cookie': [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    },
  })
  if (response.status !== 200) throw new Error(`thread answered ${response.status}`)
  return response.text()
}

test.group('Assistant on channels: the reply job', (group) => {
  useWorkers(group, ['default', 'inbound'])

  test('on the sandbox phone, the customer’s question comes back answered by the assistant', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'asbx')
    const owner = await signIn(await w.member('owner'))
    // The owner's first visit sets the phone up.
    assert.equal((await owner.get(`${w.base}/sandbox`)).status, 200)
    const channel = await Channel.query()
      .where('tenant_id', w.tenant.id)
      .where('type', 'sandbox')
      .firstOrFail()
    await learnText(w.context, "Clinicians' malpractice policy", POLICY)
    await configure(w.context, channel.id, { enabled: true })
    // Round-robin is on with someone online: it waits for the assistant's handoff.
    const agent = await w.member('agent')
    await db
      .from('memberships')
      .where({ tenant_id: w.tenant.id, user_id: agent.id })
      .update({ availability: 'online' })
    await Channel.query()
      .where('id', channel.id)
      .update({ settings: { autoAssign: true } })

    const phone = `+1555${String(Date.now() % 1_000_000).padStart(6, '0')}9`
    await owner.get(`${w.base}/sandbox?phone=${encodeURIComponent(phone)}`)
    const sent = await owner.post(`${w.base}/sandbox/messages`, {
      phone,
      name: 'Layla Test',
      kind: 'text',
      text: LOCUM_QUESTION,
    })
    assert.equal(sent.status, 302)
    const reply = await assistantReplyTo(w.context, phone)
    assert.include(reply.body, 'Locum engagements are covered automatically')
    assert.isNull((await conversationOf(w.context, reply.conversation_id)).assignee_id)
    const chat = await owner.get(`${w.base}/sandbox?phone=${encodeURIComponent(phone)}`)
    assert.include(chat.body, 'Locum engagements are covered automatically')
  })

  test('a customer message is answered by the reply job with citations, and agents see them with the confidence', async ({
    assert,
    cleanup,
  }) => {
    const w = await assistantWorkspace(cleanup, { citeSources: true })
    const { messageId, conversationId, contactId } = await customerSays(
      w.context,
      w.channel.id,
      LOCUM_QUESTION
    )
    // The listener dispatches the job as the inbound pipeline announces the message.
    await emitter.emit('message:received', {
      tenant: w.tenant.slug,
      tenantId: w.tenant.id,
      messageId,
      externalId: null,
      conversationId,
      contactId,
      channelId: w.channel.id,
      type: 'text',
      text: LOCUM_QUESTION,
      providerTimestamp: null,
    })
    const row = await waitFor(async () => {
      const found = await replyRow(w.context, messageId)
      return found?.message_id ? found : null
    })
    const [reply] = await assistantMessages(w.context, conversationId)
    assert.equal(reply.direction, 'outbound')
    // The answer leads, in the document's words.
    assert.isTrue(
      reply.body.startsWith('Your cover follows you when you work as a locum.'),
      reply.body
    )
    assert.include(reply.body, '[1]')
    // Customers see numbered sources by title; quotes and confidence are for agents.
    assert.include(reply.body, "Sources:\n[1] Clinicians' malpractice policy › Locum cover")

    assert.equal(row.outcome, 'answered')
    assert.equal(row.message_id, reply.id)
    assert.equal(row.mode, 'extractive')
    assert.isAbove(Number(row.confidence), 0.35)
    assert.equal(row.citations[0].title, "Clinicians' malpractice policy")
    assert.equal(row.citations[0].headingPath.at(-1), 'Locum cover')

    const agent = await signIn(await w.member('agent'))
    const html = await threadHtml(agent, w.base, conversationId)
    assert.include(html, 'data-assistant-evidence')
    assert.include(html, 'data-outcome="answered"')
    assert.match(html, /Confidence \d+%/)
    assert.include(html, 'data-citation="1"')
    assert.include(html, 'Locum engagements are covered automatically')
    assert.equal((await conversationOf(w.context, conversationId)).state, 'assistant')
  })

  test('customers read the answer first, introduced by the persona once, without sources unless the channel asks', async ({
    assert,
    cleanup,
  }) => {
    const w = await assistantWorkspace(cleanup, { personaName: 'Sara' })
    const first = await customerSays(w.context, w.channel.id, LOCUM_QUESTION)
    assert.equal((await replyToInboundMessage(w.context, first.messageId)).kind, 'answered')
    const second = await customerSays(
      w.context,
      w.channel.id,
      'What is the administration fee if I cancel after 14 days?',
      first.conversationId
    )
    assert.equal((await replyToInboundMessage(w.context, second.messageId)).kind, 'answered')

    const [locum, fee] = await assistantMessages(w.context, first.conversationId)
    assert.isTrue(
      locum.body.startsWith('Sara here. Your cover follows you when you work as a locum.'),
      locum.body
    )
    // The fee exactly as the document writes it, no introduction the second time.
    assert.include(fee.body, 'AED 350')
    assert.notInclude(fee.body, 'Sara here.')
    for (const body of [locum.body, fee.body]) {
      assert.notMatch(body, /\[\d\]/)
      assert.notInclude(body, 'Sources:')
    }
    // Agents still have the citations behind each answer.
    const row = await replyRow(w.context, second.messageId)
    assert.equal(row.citations[0].headingPath.at(-1), 'Cancellation')
  })

  test('the same message twice gets one reply, whether the job or the service runs again', async ({
    assert,
    cleanup,
  }) => {
    const w = await assistantWorkspace(cleanup)
    const { messageId, conversationId } = await customerSays(
      w.context,
      w.channel.id,
      LOCUM_QUESTION
    )
    const jobId = `assistant-${w.tenant.slug}-${messageId}`
    await dispatchTenantJob(AssistantReplyJob, w.context, { messageId }, { jobId })
    await dispatchTenantJob(AssistantReplyJob, w.context, { messageId }, { jobId })
    await waitFor(async () => (await assistantMessages(w.context, conversationId)).length > 0)
    assert.deepEqual(await replyToInboundMessage(w.context, messageId), {
      kind: 'skipped',
      why: 'already_done',
    })
    // Even with the claim gone, the outbound idempotency key keeps it to one message.
    await w.context.transaction((trx) =>
      trx.from('assistant_replies').where('inbound_message_id', messageId).delete()
    )
    await replyToInboundMessage(w.context, messageId)
    assert.lengthOf(await assistantMessages(w.context, conversationId), 1)
  })
})

test.group('Assistant on channels: offline answers and handoffs', () => {
  test('a question the knowledge does not cover is handed off: message, human-owned, event, round-robin pick', async ({
    assert,
    cleanup,
  }) => {
    const w = await assistantWorkspace(cleanup)
    const events = handoffEvents(cleanup, w.tenant.id)
    const agent = await w.member('agent')
    await db
      .from('memberships')
      .where({ tenant_id: w.tenant.id, user_id: agent.id })
      .update({ availability: 'online' })
    await Channel.query()
      .where('id', w.channel.id)
      .update({ settings: { autoAssign: true } })

    const { messageId, conversationId } = await customerSays(
      w.context,
      w.channel.id,
      'Does the policy pay for my dental implants abroad?'
    )
    const outcome = await replyToInboundMessage(w.context, messageId)
    assert.equal(outcome.kind, 'handoff')

    const [notice] = await assistantMessages(w.context, conversationId)
    assert.include(notice.body, 'passed your question to a member of our team')
    const conversation = await conversationOf(w.context, conversationId)
    assert.equal(conversation.state, 'human')
    assert.equal(conversation.assignee_id, agent.id)
    assert.lengthOf(events, 1)
    assert.equal(events[0].conversationId, conversationId)
    assert.include(['not_covered', 'no_knowledge', 'low_confidence'], events[0].reason)
    assert.equal(events[0].requestedBy, 'assistant')
    const row = await replyRow(w.context, messageId)
    assert.equal(row.outcome, 'handoff')
    assert.equal(row.message_id, notice.id)

    // The person owns it now: the next question gets no assistant reply.
    const next = await customerSays(w.context, w.channel.id, LOCUM_QUESTION, conversationId)
    assert.deepEqual(await replyToInboundMessage(w.context, next.messageId), {
      kind: 'skipped',
      why: 'person_owns',
    })
    assert.lengthOf(await assistantMessages(w.context, conversationId), 1)
  })

  test('a confident answer below the channel’s threshold is handed off as low confidence', async ({
    assert,
    cleanup,
  }) => {
    const w = await assistantWorkspace(cleanup, { confidenceThreshold: 1 })
    const events = handoffEvents(cleanup, w.tenant.id)
    const { messageId, conversationId } = await customerSays(
      w.context,
      w.channel.id,
      LOCUM_QUESTION
    )
    const outcome = await replyToInboundMessage(w.context, messageId)
    assert.deepInclude(outcome, { kind: 'handoff' })
    assert.equal((await conversationOf(w.context, conversationId)).state, 'human')
    assert.lengthOf(events, 1)
    assert.include(['low_confidence', 'not_covered'], events[0].reason)
  })

  test('asking for a person, in English or Arabic, or a handoff word hands off at once', async ({
    assert,
    cleanup,
  }) => {
    const w = await assistantWorkspace(cleanup)
    const events = handoffEvents(cleanup, w.tenant.id)
    const cases = [
      { text: 'I want a person please', reason: 'customer_request', reply: 'Of course' },
      {
        text: 'Can I talk to someone about my claim?',
        reason: 'customer_request',
        reply: 'Of course',
      },
      { text: 'أريد التحدث مع موظف', reason: 'customer_request', reply: 'بالتأكيد' },
      { text: 'AGENT', reason: 'handoff_word', reply: 'Of course' },
      { text: 'موظف لو سمحت', reason: 'customer_request', reply: 'بالتأكيد' },
    ]
    for (const example of cases) {
      const { messageId, conversationId } = await customerSays(
        w.context,
        w.channel.id,
        example.text
      )
      const outcome = await replyToInboundMessage(w.context, messageId)
      assert.deepInclude(outcome, { kind: 'handoff' }, example.text)
      const [notice] = await assistantMessages(w.context, conversationId)
      assert.include(notice.body, example.reply, example.text)
      assert.equal((await conversationOf(w.context, conversationId)).state, 'human')
      const event = events.find((e) => e.conversationId === conversationId)!
      assert.equal(event.requestedBy, 'contact', example.text)
    }
    assert.equal(events[0].reason, 'customer_request')
    assert.equal(events[3].reason, 'handoff_word')

    // The channel's own word, in Arabic letter forms the customer did not use.
    await configure(w.context, w.channel.id, { handoffWords: ['الإدارة'] })
    const own = await customerSays(w.context, w.channel.id, 'اريد الادارة!')
    assert.equal((await replyToInboundMessage(w.context, own.messageId)).kind, 'handoff')
    // An ordinary question that mentions a person or an agent's work is not a request for one.
    for (const text of [
      'Is a locum doctor a covered person?',
      'Does the policy cover my travel agency work?',
      'هل يشمل التأمين الشخص المؤمن عليه؟',
    ]) {
      assert.isNull(customerHandoff(text, DEFAULT_HANDOFF_WORDS), text)
    }
  })

  test('no reply while a person owns the conversation: assigned, or an agent replied', async ({
    assert,
    cleanup,
  }) => {
    const w = await assistantWorkspace(cleanup)
    const agent = await w.member('agent')

    const assigned = await customerSays(w.context, w.channel.id, LOCUM_QUESTION)
    await w.context.transaction((trx) =>
      trx
        .from('conversations')
        .where('id', assigned.conversationId)
        .update({ assignee_id: agent.id })
    )
    assert.deepEqual(await replyToInboundMessage(w.context, assigned.messageId), {
      kind: 'skipped',
      why: 'person_owns',
    })

    const replied = await customerSays(w.context, w.channel.id, 'Hello')
    await queueOutboundMessage(w.context, {
      conversationId: replied.conversationId,
      content: { type: 'text', text: 'Hi, Sam here from the team.' },
      authorType: 'agent',
      authorId: agent.id,
    })
    const state = await waitFor(async () => {
      const row = await conversationOf(w.context, replied.conversationId)
      return row.state === 'human' ? row : null
    })
    assert.equal(state.handoff_reason, 'agent_replied')
    const question = await customerSays(
      w.context,
      w.channel.id,
      LOCUM_QUESTION,
      replied.conversationId
    )
    assert.equal((await replyToInboundMessage(w.context, question.messageId)).kind, 'skipped')
    assert.lengthOf(await assistantMessages(w.context, replied.conversationId), 0)
    assert.lengthOf(await assistantMessages(w.context, assigned.conversationId), 0)
  })

  test('the assistant keeps its state in its own table: conversations are untouched, and deleting one removes it', async ({
    assert,
    cleanup,
  }) => {
    const w = await assistantWorkspace(cleanup)
    const { messageId, conversationId } = await customerSays(
      w.context,
      w.channel.id,
      'I want a person'
    )
    assert.equal((await replyToInboundMessage(w.context, messageId)).kind, 'handoff')
    const columns = await w.context.transaction(async (trx) => {
      const rows = await trx
        .from('information_schema.columns')
        .where('table_schema', w.context.schema)
        .where('table_name', 'conversations')
        .select('column_name')
      return rows.map((row) => row.column_name as string)
    })
    assert.isNotEmpty(columns)
    assert.notInclude(columns.join(' '), 'assistant')
    assert.notInclude(columns, 'handoff_reason')
    const state = await assistantStateOf(w.context, conversationId)
    assert.deepEqual(state, { state: 'human', reason: 'customer_request' })

    await w.context.transaction((trx) =>
      trx.from('conversations').where('id', conversationId).delete()
    )
    const left = await w.context.transaction((trx) =>
      trx.from('assistant_conversations').where('conversation_id', conversationId)
    )
    assert.lengthOf(left, 0)
  })

  test('outside-hours mode answers only while the business is closed', async ({
    assert,
    cleanup,
  }) => {
    const allDay = Object.fromEntries(
      [1, 2, 3, 4, 5, 6, 7].map((d) => [String(d), ['00:00', '23:59'] as [string, string]])
    )
    // A fixed Wednesday afternoon: "all day" (to 23:59) would be closed in the day's last minute.
    useFixedClock(cleanup, '2026-12-09T15:00:00+04:00')
    const w = await assistantWorkspace(cleanup, {
      activeMode: 'outside_hours',
      timezone: 'Asia/Dubai',
      businessHours: allDay,
    })
    const open = await customerSays(w.context, w.channel.id, LOCUM_QUESTION)
    assert.deepEqual(await replyToInboundMessage(w.context, open.messageId), {
      kind: 'skipped',
      why: 'inactive',
    })
    await configure(w.context, w.channel.id, { businessHours: {} })
    const closed = await customerSays(w.context, w.channel.id, LOCUM_QUESTION)
    // What memory knows of the customer: offline, only their name is used, to address them.
    await w.context.transaction((trx) =>
      trx
        .table('contact_memory_facts')
        .insert({ contact_id: closed.contactId, kind: 'name', value: 'Layla', value_key: 'layla' })
    )
    assert.equal((await replyToInboundMessage(w.context, closed.messageId)).kind, 'answered')
    const [answer] = await assistantMessages(w.context, closed.conversationId)
    assert.match(answer.body, /^Hi Layla\. Your cover follows you when you work as a locum\./)

    // While the assistant answers first, round-robin waits for its handoff.
    assert.isTrue(await assistantAnswersFirst(w.context, closed.conversationId))
    await configure(w.context, w.channel.id, { businessHours: allDay })
    assert.isFalse(await assistantAnswersFirst(w.context, closed.conversationId))
  })

  test('an agent hands the conversation back from the inbox, and the assistant answers again', async ({
    assert,
    cleanup,
  }) => {
    const w = await assistantWorkspace(cleanup)
    const agentUser = await w.member('agent')
    const first = await customerSays(w.context, w.channel.id, 'I want a person')
    await replyToInboundMessage(w.context, first.messageId)
    await w.context.transaction((trx) =>
      trx
        .from('conversations')
        .where('id', first.conversationId)
        .update({ assignee_id: agentUser.id })
    )

    const agent = await signIn(agentUser)
    const page = await agent.get(`${w.base}/inbox/${first.conversationId}`)
    assert.include(page.body, 'data-hand-back')
    // The button says why a person has it.
    assert.include(page.body, 'title="the customer asked for a person"')

    // Another workspace's owner does not find the conversation, and changes nothing.
    const other = await makeWorkspace(cleanup, 'asto')
    const stranger = await signIn(await other.member('owner'))
    await stranger.get(`${other.base}/inbox`)
    const foreign = await stranger.post(`${other.base}/inbox/${first.conversationId}/assistant`, {})
    assert.equal(foreign.status, 404)
    assert.equal((await conversationOf(w.context, first.conversationId)).state, 'human')

    const back = await agent.post(`${w.base}/inbox/${first.conversationId}/assistant`, {})
    assert.equal(back.status, 302)
    assert.equal(back.location, `${w.base}/inbox/${first.conversationId}`)
    const conversation = await conversationOf(w.context, first.conversationId)
    assert.equal(conversation.state, 'assistant')
    assert.isNull(conversation.assignee_id)
    const after = await agent.get(`${w.base}/inbox/${first.conversationId}`)
    assert.notInclude(after.body, 'data-hand-back')

    const next = await customerSays(w.context, w.channel.id, LOCUM_QUESTION, first.conversationId)
    assert.equal((await replyToInboundMessage(w.context, next.messageId)).kind, 'answered')

    // A viewer may not; another workspace's member does not find the conversation.
    const viewer = await signIn(await w.member('viewer'))
    await viewer.get(`${w.base}/inbox/${first.conversationId}`)
    const refused = await viewer.post(`${w.base}/inbox/${first.conversationId}/assistant`, {})
    assert.equal(refused.status, 403)
  })
})

test.group('Assistant on channels: with a chat model', (group) => {
  const ai = useFakeOpenAI(group, { chatModel: 'chat-test', embedModel: null })
  group.each.setup(() => {
    const previous = app.config.get<number>('ai.maxRetries')
    app.config.set('ai.maxRetries', 0)
    return () => app.config.set('ai.maxRetries', previous)
  })

  test('the model answers with the persona, instructions, language and memory, and cites', async ({
    assert,
    cleanup,
  }) => {
    const w = await assistantWorkspace(cleanup, {
      personaName: 'Sara',
      instructions: 'Be warm and brief.',
      language: 'ar',
      citeSources: true,
    })
    const { messageId, conversationId } = await customerSays(
      w.context,
      w.channel.id,
      LOCUM_QUESTION
    )
    await w.context.transaction(async (trx) => {
      const { contact_id: contactId } = await trx
        .from('conversations')
        .where('id', conversationId)
        .first()
      await trx.table('contact_memories').insert({ contact_id: contactId, summary: 'A locum GP.' })
      await trx
        .table('contact_memory_facts')
        .insert({ contact_id: contactId, kind: 'name', value: 'Layla', value_key: 'layla' })
    })
    ai.respond(() =>
      JSON.stringify({
        answer: 'نعم، عمل البديل مغطى تلقائياً [1].',
        citations: [1],
        covered: true,
        confidence: 0.9,
      })
    )
    const outcome = await replyToInboundMessage(w.context, messageId)
    assert.equal(outcome.kind, 'answered')
    const [call] = ai.chatCalls()
    const [system, user] = call.body.messages
    assert.include(system.content, 'Your name is Sara.')
    assert.include(system.content, 'Be warm and brief.')
    assert.include(system.content, 'Write the answer in Arabic')
    assert.include(user.content, 'A locum GP.')
    assert.include(user.content, 'Layla')

    const [reply] = await assistantMessages(w.context, conversationId)
    assert.isTrue(reply.body.startsWith('معك Sara. نعم، عمل البديل مغطى تلقائياً [1].'), reply.body)
    assert.include(reply.body, 'المصادر:\n[1]')
    const row = await replyRow(w.context, messageId)
    assert.equal(row.mode, 'llm')
    assert.lengthOf(row.citations, 1)
  })

  test('repeated model failures hand the conversation to a person', async ({ assert, cleanup }) => {
    const w = await assistantWorkspace(cleanup, { maxFailures: 2 })
    const events = handoffEvents(cleanup, w.tenant.id)
    ai.fail(500, 'server_error').fail(500, 'server_error')
    const first = await customerSays(w.context, w.channel.id, LOCUM_QUESTION)
    // The offline answerer stands in, and the failure is counted.
    assert.equal((await replyToInboundMessage(w.context, first.messageId)).kind, 'answered')
    assert.equal((await conversationOf(w.context, first.conversationId)).failures, 1)

    const second = await customerSays(w.context, w.channel.id, LOCUM_QUESTION, first.conversationId)
    const outcome = await replyToInboundMessage(w.context, second.messageId)
    assert.deepEqual(outcome, {
      kind: 'handoff',
      reason: 'repeated_failure',
      messageId: outcome.kind === 'handoff' ? outcome.messageId : null,
    })
    const messages = await assistantMessages(w.context, first.conversationId)
    assert.include(messages.at(-1)!.body, "I'm having trouble answering right now")
    assert.equal(events[0].reason, 'repeated_failure')
  })

  test('an agent who takes over while the answer is being written stops the reply', async ({
    assert,
    cleanup,
  }) => {
    const w = await assistantWorkspace(cleanup)
    const agent = await w.member('agent')
    const { messageId, conversationId } = await customerSays(
      w.context,
      w.channel.id,
      LOCUM_QUESTION
    )
    ai.respond(async () => {
      await assignConversation(w.context, conversationId, agent.id, agent.id)
      return JSON.stringify({ answer: 'Yes [1].', citations: [1], covered: true, confidence: 0.9 })
    })
    assert.deepEqual(await replyToInboundMessage(w.context, messageId), {
      kind: 'skipped',
      why: 'person_owns',
    })
    assert.lengthOf(ai.chatCalls(), 1)
    assert.lengthOf(await assistantMessages(w.context, conversationId), 0)
    assert.equal((await replyRow(w.context, messageId)).outcome, 'skipped')
  })
})

test.group('Assistant settings pages', () => {
  test('owners set a channel’s assistant with a form; bad input comes back on its field', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'asets')
    const channel = await addSandboxChannel(w.tenant, systemActor)
    const owner = await signIn(await w.member('owner'))

    const list = await owner.get(`${w.base}/assistant`)
    assert.equal(list.status, 200)
    assert.include(list.body, `${w.base}/assistant/${channel.id}`)
    const page = await owner.get(`${w.base}/assistant/${channel.id}`)
    assert.equal(page.status, 200)
    assert.include(page.body, 'name="handoff_words"')

    const form = {
      enabled: 'on',
      persona_name: 'Sara',
      instructions: 'Be brief.',
      language: 'auto',
      active_mode: 'outside_hours',
      timezone: 'Asia/Dubai',
      confidence_threshold: '0.5',
      max_failures: '3',
      handoff_words: 'agent\nموظف, supervisor',
      open_1: '09:00',
      close_1: '17:00',
    }
    const saved = await owner.post(`${w.base}/assistant/${channel.id}`, form)
    assert.equal(saved.status, 302)
    const settings = await readAssistantSettings(w.context, channel.id)
    assert.isTrue(settings.enabled)
    assert.equal(settings.personaName, 'Sara')
    assert.equal(settings.activeMode, 'outside_hours')
    assert.equal(settings.timezone, 'Asia/Dubai')
    assert.equal(settings.confidenceThreshold, 0.5)
    assert.equal(settings.maxFailures, 3)
    assert.deepEqual(settings.handoffWords, ['agent', 'موظف', 'supervisor'])
    assert.deepEqual(settings.businessHours, { 1: ['09:00', '17:00'] })

    await owner.get(`${w.base}/assistant/${channel.id}`)
    const bad = await owner.post(`${w.base}/assistant/${channel.id}`, {
      ...form,
      timezone: 'Mars/Olympus',
    })
    assert.equal(bad.status, 302)
    const again = await owner.get(bad.location!)
    assert.include(again.body, 'Choose a time zone from the list')
    const hours = await owner.post(`${w.base}/assistant/${channel.id}`, {
      ...form,
      open_2: '18:00',
      close_2: '09:00',
    })
    const shown = await owner.get(hours.location!)
    assert.include(shown.body, 'closing after opening')
    assert.equal((await readAssistantSettings(w.context, channel.id)).timezone, 'Asia/Dubai')

    // In Arabic, right to left.
    const admin = await w.member('admin')
    admin.locale = 'ar'
    await admin.save()
    const arabic = await signIn(admin)
    const ar = await arabic.get(`${w.base}/assistant/${channel.id}`)
    assert.include(ar.body, 'dir="rtl"')
    assert.include(ar.body, 'كلمات الإحالة')

    // Agents and viewers do not set the assistant up.
    const agent = await signIn(await w.member('agent'))
    assert.equal((await agent.get(`${w.base}/assistant/${channel.id}`)).status, 403)
  })

  test('another workspace can neither see nor change a channel’s assistant', async ({
    assert,
    cleanup,
  }) => {
    const home = await makeWorkspace(cleanup, 'ahome')
    const channel = await addSandboxChannel(home.tenant, systemActor)
    await saveAssistantSettings(
      home.context,
      channel.id,
      {
        ...(await readAssistantSettings(home.context, channel.id)),
        enabled: true,
        personaName: 'Home',
      },
      null
    )
    const other = await makeWorkspace(cleanup, 'aother')
    const outsider = await signIn(await other.member('owner'))
    assert.equal((await outsider.get(`${other.base}/assistant/${channel.id}`)).status, 404)
    await outsider.get(`${other.base}/assistant`)
    const changed = await outsider.post(`${other.base}/assistant/${channel.id}`, {
      enabled: '',
      language: 'auto',
      active_mode: 'always',
      timezone: 'UTC',
      confidence_threshold: '0.1',
      max_failures: '1',
    })
    assert.equal(changed.status, 404)
    const list = await outsider.get(`${other.base}/assistant`)
    assert.notInclude(list.body, channel.id)
    // Its workspace address with the other workspace's session is not found either.
    assert.equal((await outsider.get(`${home.base}/assistant/${channel.id}`)).status, 404)
    const settings = await readAssistantSettings(home.context, channel.id)
    assert.isTrue(settings.enabled)
    assert.equal(settings.personaName, 'Home')

    // Nor hand back another workspace's conversation.
    const { conversationId } = await customerSays(home.context, channel.id, 'I want a person')
    await outsider.get(`${other.base}/inbox`)
    const handBack = await outsider.post(`${other.base}/inbox/${conversationId}/assistant`, {})
    assert.equal(handBack.status, 404)
  })
})
