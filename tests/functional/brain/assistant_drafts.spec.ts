import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import emitter from '@adonisjs/core/services/emitter'
import { addSandboxChannel, queueOutboundMessage } from '#modules/channels/index'
import type { HandoffRequestedEvent } from '#modules/inbox/index'
import {
  replyToInboundMessage,
  saveAssistantSettings,
  readAssistantSettings,
  type AssistantSettings,
} from '#modules/brain/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { customerSays, learnText } from '#tests/helpers/brain'
import { signIn } from '#tests/functional/workspace/member_browser'
import { WebSession } from '#tests/helpers/web_session'
import { api, makeKey } from '#tests/functional/integrations/api_client'

/*
| Draft replies for approval (issue 15, point 6): on a channel set to draft,
| the assistant's answer becomes an `assistant_draft` task instead of a
| message; agents approve it (edited or not) or reject it inside the
| conversation thread, or in the task inbox. Approval sends it as the
| assistant's message; rejection hands the conversation to a person. Real
| database and Redis; the offline (extractive) answerer answers.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

const POLICY = `# Clinicians' malpractice policy

## Locum cover

Your cover follows you when you work as a locum. Locum engagements are covered automatically on the same terms as your regular practice, provided the work is within your declared specialty.

## Cancellation

You may cancel this policy within 14 days of receiving your documents and we will refund the premium in full. After that, a refund is pro rata less an administration fee of AED 350.`

const LOCUM_QUESTION = 'Am I covered when I work as a locum?'
const CANCEL_QUESTION = 'Can I cancel the policy and get a refund?'

async function draftingWorkspace(cleanup: Cleanup, settings: Partial<AssistantSettings> = {}) {
  const ws = await makeWorkspace(cleanup, 'adrf')
  const channel = await addSandboxChannel(ws.tenant, systemActor)
  await learnText(ws.context, "Clinicians' malpractice policy", POLICY)
  const current = await readAssistantSettings(ws.context, channel.id)
  await saveAssistantSettings(
    ws.context,
    channel.id,
    { ...current, enabled: true, draftReplies: true, ...settings },
    null
  )
  return { ...ws, channel }
}

async function tasksOf(tenant: TenantContext, conversationId: string) {
  return db
    .from('hitl_tasks')
    .withSchema(tenant.schema)
    .where('conversation_id', conversationId)
    .orderBy('created_at')
}

async function messagesOf(tenant: TenantContext, conversationId: string) {
  return db
    .from('messages')
    .withSchema(tenant.schema)
    .where('conversation_id', conversationId)
    .where('direction', 'outbound')
    .orderBy('seq')
    .select('id', 'body', 'author_type', 'author_id')
}

async function stateOf(tenant: TenantContext, conversationId: string) {
  const row = await db
    .from('assistant_conversations')
    .withSchema(tenant.schema)
    .where('conversation_id', conversationId)
    .first()
  return { state: row?.state ?? 'assistant', reason: row?.handoff_reason ?? null }
}

async function replyRow(tenant: TenantContext, inboundMessageId: string) {
  return db
    .from('assistant_replies')
    .withSchema(tenant.schema)
    .where('inbound_message_id', inboundMessageId)
    .first()
}

/** The conversation's thread as the inbox refreshes it (htmx fragment). */
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

function handoffEvents(cleanup: Cleanup, tenantId: string) {
  const seen: HandoffRequestedEvent[] = []
  const listener = (event: HandoffRequestedEvent) => {
    if (event.tenantId === tenantId) seen.push(event)
  }
  emitter.on('handoff:requested', listener)
  cleanup(() => emitter.off('handoff:requested', listener))
  return seen
}

test.group('Assistant drafts for approval', () => {
  test('on a drafting channel the answer becomes a task, not a message: preview, editable draft, citations', async ({
    assert,
    cleanup,
  }) => {
    const w = await draftingWorkspace(cleanup)
    const asked = await customerSays(w.context, w.channel.id, LOCUM_QUESTION)
    const outcome = await replyToInboundMessage(w.context, asked.messageId)
    assert.equal(outcome.kind, 'drafted')

    // Nothing reached the customer.
    assert.lengthOf(await messagesOf(w.context, asked.conversationId), 0)
    const [task] = await tasksOf(w.context, asked.conversationId)
    assert.equal(task.kind, 'assistant_draft')
    assert.equal(task.status, 'pending')
    assert.equal(task.contact_id, asked.contactId)
    assert.equal(task.source_type, 'assistant')
    assert.equal(task.source_ref, asked.messageId)
    // Assigned like the conversation: nobody has it, so unassigned.
    assert.isNull(task.assignee_user_id)
    assert.isNull(task.assignee_role)
    assert.deepEqual(task.action, { type: 'send_message', text_from: 'reply', author: 'assistant' })
    const types = task.components.map((c: { type: string }) => c.type)
    assert.deepEqual(types, ['text', 'message_preview', 'editable_text', 'citations'])
    const draft = task.components.find((c: { type: string }) => c.type === 'editable_text')
    assert.isTrue(draft.value.startsWith('Your cover follows you when you work as a locum.'))
    const citations = task.components.find((c: { type: string }) => c.type === 'citations')
    assert.equal(citations.items[0].source, "Clinicians' malpractice policy")
    assert.include(citations.items[0].quote, 'Locum')
    // The claim is the run's: running it again opens no second task.
    const row = await replyRow(w.context, asked.messageId)
    assert.equal(row.outcome, 'answered')
    assert.equal(row.reason, 'draft')
    assert.equal((await replyToInboundMessage(w.context, asked.messageId)).kind, 'skipped')
    assert.lengthOf(await tasksOf(w.context, asked.conversationId), 1)
    // The conversation stays the assistant's while the draft waits.
    assert.equal((await stateOf(w.context, asked.conversationId)).state, 'assistant')
  })

  test('an agent edits and approves the draft in the conversation: it goes out as the assistant’s message', async ({
    assert,
    cleanup,
  }) => {
    const w = await draftingWorkspace(cleanup)
    const asked = await customerSays(w.context, w.channel.id, LOCUM_QUESTION)
    await replyToInboundMessage(w.context, asked.messageId)
    const [task] = await tasksOf(w.context, asked.conversationId)

    const agent = await signIn(await w.member('agent'))
    const page = await agent.get(`${w.base}/inbox/${asked.conversationId}`)
    assert.equal(page.status, 200)
    assert.include(page.body, `data-task="${task.id}"`)
    assert.include(page.body, 'data-draft-approve')
    assert.include(page.body, 'name="values[reply]"')
    assert.include(page.body, 'Your cover follows you when you work as a locum.')
    // The live thread refresh carries it too.
    assert.include(await threadHtml(agent, w.base, asked.conversationId), 'data-draft-approve')

    const edited = 'Yes: locum work is covered on the same terms, within your declared specialty.'
    const approved = await agent.post(`${w.base}/tasks/${task.id}/approve`, {
      'values[reply]': edited,
      'return_to': `${w.base}/inbox/${asked.conversationId}`,
    })
    assert.equal(approved.status, 302)
    assert.equal(approved.location, `${w.base}/inbox/${asked.conversationId}`)

    const [message] = await messagesOf(w.context, asked.conversationId)
    assert.equal(message.body, edited)
    assert.equal(message.author_type, 'assistant')
    const [after] = await tasksOf(w.context, asked.conversationId)
    assert.equal(after.status, 'approved')
    assert.deepEqual(after.response.edited, ['reply'])
    assert.isTrue(after.response.original_values.reply.startsWith('Your cover follows you'))
    assert.equal(after.response.message_id, message.id)
    // Approving did not take the conversation from the assistant.
    assert.equal((await stateOf(w.context, asked.conversationId)).state, 'assistant')
    // The sent message carries the assistant's evidence in the thread; the draft is gone.
    const row = await replyRow(w.context, asked.messageId)
    assert.equal(row.message_id, message.id)
    const thread = await threadHtml(agent, w.base, asked.conversationId)
    assert.include(thread, 'data-assistant-evidence')
    assert.notInclude(thread, 'data-draft-approve')
    // The next question is drafted again.
    const next = await customerSays(w.context, w.channel.id, CANCEL_QUESTION, asked.conversationId)
    assert.equal((await replyToInboundMessage(w.context, next.messageId)).kind, 'drafted')
  })

  test('rejecting the draft in the conversation sends nothing and hands the conversation to a person', async ({
    assert,
    cleanup,
  }) => {
    const w = await draftingWorkspace(cleanup)
    const handoffs = handoffEvents(cleanup, w.tenant.id)
    const asked = await customerSays(w.context, w.channel.id, LOCUM_QUESTION)
    await replyToInboundMessage(w.context, asked.messageId)
    const [task] = await tasksOf(w.context, asked.conversationId)

    const agent = await signIn(await w.member('agent'))
    await agent.get(`${w.base}/inbox/${asked.conversationId}`)
    const rejected = await agent.post(`${w.base}/tasks/${task.id}/reject`, {
      reason_text: 'Needs the exact policy wording',
      return_to: `${w.base}/inbox/${asked.conversationId}`,
    })
    assert.equal(rejected.status, 302)
    assert.equal(rejected.location, `${w.base}/inbox/${asked.conversationId}`)

    assert.lengthOf(await messagesOf(w.context, asked.conversationId), 0)
    const [after] = await tasksOf(w.context, asked.conversationId)
    assert.equal(after.status, 'rejected')
    assert.equal(after.response.reason, 'Needs the exact policy wording')
    assert.deepEqual(await stateOf(w.context, asked.conversationId), {
      state: 'human',
      reason: 'draft_rejected',
    })
    assert.lengthOf(handoffs, 1)
    assert.equal(handoffs[0].conversationId, asked.conversationId)
    assert.equal(handoffs[0].reason, 'draft_rejected')
    assert.equal(handoffs[0].requestedBy, 'agent')
    // The inbox says a person is needed, and why; the assistant stays silent now.
    const page = await agent.get(`${w.base}/inbox/${asked.conversationId}`)
    assert.include(page.body, 'a draft reply was rejected')
    assert.notInclude(page.body, 'data-draft-approve')
    const next = await customerSays(w.context, w.channel.id, CANCEL_QUESTION, asked.conversationId)
    assert.equal((await replyToInboundMessage(w.context, next.messageId)).kind, 'skipped')
  })

  test('a newer draft replaces the pending one, and a person’s own reply withdraws it', async ({
    assert,
    cleanup,
  }) => {
    const w = await draftingWorkspace(cleanup)
    const first = await customerSays(w.context, w.channel.id, LOCUM_QUESTION)
    await replyToInboundMessage(w.context, first.messageId)
    const second = await customerSays(
      w.context,
      w.channel.id,
      CANCEL_QUESTION,
      first.conversationId
    )
    assert.equal((await replyToInboundMessage(w.context, second.messageId)).kind, 'drafted')
    const [older, newer] = await tasksOf(w.context, first.conversationId)
    assert.equal(older.status, 'cancelled')
    assert.equal(newer.status, 'pending')

    const agentUser = await w.member('agent')
    await queueOutboundMessage(w.context, {
      conversationId: first.conversationId,
      content: { type: 'text', text: 'Let me check that for you.' },
      authorType: 'agent',
      authorId: agentUser.id,
    })
    const withdrawn = await (async () => {
      for (let i = 0; i < 50; i++) {
        const [, latest] = await tasksOf(w.context, first.conversationId)
        if (latest.status !== 'pending') return latest
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      return null
    })()
    assert.equal(withdrawn?.status, 'cancelled')
    // Nothing the assistant drafted went out.
    const sent = await messagesOf(w.context, first.conversationId)
    assert.deepEqual(
      sent.map((m: { author_type: string }) => m.author_type),
      ['agent']
    )
  })

  test('viewers see the pending draft but no forms; a channel that sends directly opens no task', async ({
    assert,
    cleanup,
  }) => {
    const w = await draftingWorkspace(cleanup)
    const asked = await customerSays(w.context, w.channel.id, LOCUM_QUESTION)
    await replyToInboundMessage(w.context, asked.messageId)
    const viewer = await signIn(await w.member('viewer'))
    const page = await viewer.get(`${w.base}/inbox/${asked.conversationId}`)
    assert.equal(page.status, 200)
    assert.include(page.body, 'data-thread-tasks')
    assert.notInclude(page.body, 'data-draft-approve')
    const [task] = await tasksOf(w.context, asked.conversationId)
    const refused = await viewer.post(`${w.base}/tasks/${task.id}/approve`, {
      'values[reply]': 'x',
      'return_to': `${w.base}/inbox/${asked.conversationId}`,
    })
    assert.equal(refused.status, 403)

    const current = await readAssistantSettings(w.context, w.channel.id)
    await saveAssistantSettings(w.context, w.channel.id, { ...current, draftReplies: false }, null)
    const direct = await customerSays(w.context, w.channel.id, LOCUM_QUESTION)
    assert.equal((await replyToInboundMessage(w.context, direct.messageId)).kind, 'answered')
    assert.lengthOf(await tasksOf(w.context, direct.conversationId), 0)
  })

  test('another workspace can neither see, approve nor reject a draft, by the UI or the API', async ({
    assert,
    cleanup,
  }) => {
    const w = await draftingWorkspace(cleanup)
    const asked = await customerSays(w.context, w.channel.id, LOCUM_QUESTION)
    await replyToInboundMessage(w.context, asked.messageId)
    const [task] = await tasksOf(w.context, asked.conversationId)

    const other = await makeWorkspace(cleanup, 'adrfo')
    const stranger = await signIn(await other.member('owner'))
    await stranger.get(`${other.base}/tasks`)
    const approve = await stranger.post(`${other.base}/tasks/${task.id}/approve`, {
      'values[reply]': 'Hijacked',
      'return_to': `${other.base}/inbox/${asked.conversationId}`,
    })
    assert.equal(approve.status, 404)
    const reject = await stranger.post(`${other.base}/tasks/${task.id}/reject`, {
      reason_text: 'no',
    })
    assert.equal(reject.status, 404)
    assert.equal((await stranger.get(`${other.base}/inbox/${asked.conversationId}`)).status, 404)
    const list = await stranger.get(`${other.base}/tasks`)
    assert.notInclude(list.body, task.id)

    const { token } = await makeKey(other.tenant)
    assert.equal((await api('GET', `/api/v1/tasks/${task.id}`, { token })).status, 404)
    const resolved = await api('POST', `/api/v1/tasks/${task.id}/resolve`, {
      token,
      body: { decision: 'approve' },
    })
    assert.equal(resolved.status, 404)

    // A return address outside this conversation is ignored (no open redirect).
    const owner = await signIn(await w.member('owner'))
    await owner.get(`${w.base}/inbox/${asked.conversationId}`)
    const approved = await owner.post(`${w.base}/tasks/${task.id}/approve`, {
      return_to: 'https://evil.example/phish',
    })
    assert.equal(approved.status, 302)
    assert.equal(approved.location, `${w.base}/tasks`)
    const [after] = await tasksOf(w.context, asked.conversationId)
    assert.equal(after.status, 'approved')
    assert.lengthOf(await messagesOf(w.context, asked.conversationId), 1)
  })

  test('owners switch drafting on in the channel’s assistant settings, in English and Arabic', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'adrs')
    const channel = await addSandboxChannel(w.tenant, systemActor)
    const owner = await signIn(await w.member('owner'))
    const page = await owner.get(`${w.base}/assistant/${channel.id}`)
    assert.include(page.body, 'name="draft_replies"')
    assert.include(page.body, 'Draft replies for approval')
    const saved = await owner.post(`${w.base}/assistant/${channel.id}`, {
      enabled: 'on',
      draft_replies: 'on',
      language: 'auto',
      active_mode: 'always',
      timezone: 'UTC',
      confidence_threshold: '0.35',
      max_failures: '2',
    })
    assert.equal(saved.status, 302)
    assert.isTrue((await readAssistantSettings(w.context, channel.id)).draftReplies)
    const shown = await owner.get(`${w.base}/assistant/${channel.id}`)
    assert.match(shown.body, /name="draft_replies"\s+value="on"\s+checked/)

    const admin = await w.member('admin')
    admin.locale = 'ar'
    await admin.save()
    const arabic = await signIn(admin)
    const ar = await arabic.get(`${w.base}/assistant/${channel.id}`)
    assert.include(ar.body, 'dir="rtl"')
    assert.include(ar.body, 'مسودات ردود للموافقة')

    // Unticked, it is off again.
    await owner.get(`${w.base}/assistant/${channel.id}`)
    await owner.post(`${w.base}/assistant/${channel.id}`, {
      enabled: 'on',
      language: 'auto',
      active_mode: 'always',
      timezone: 'UTC',
      confidence_threshold: '0.35',
      max_failures: '2',
    })
    assert.isFalse((await readAssistantSettings(w.context, channel.id)).draftReplies)
  })
})
