import {
  conversationIn,
  Conversation,
  assignConversation,
  autoAssignConversation,
  clearNeedsPerson,
} from '#modules/inbox/index'
import {
  messageIn,
  ChannelError,
  queueOutboundMessage,
  type OutboundContent,
} from '#modules/channels/index'
import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import { isWithinMonthlyLimit, recordMonthlyUsage } from '#modules/billing/index'
import { answerQuestion, type ConversationContext } from './answers.js'
import { replyLanguage, type ReplyLanguage } from './answers/replies.js'
import type { Answer, Citation } from './answers/types.js'
import { loadMemory } from './memory.js'
import {
  assistantActive,
  readAssistantSettings,
  type AssistantSettings,
} from './assistant_settings.js'
import {
  customerHandoff,
  customerText,
  handoffText,
  type HandoffReason,
} from './assistant/customer_text.js'
import { openDraftTask, withdrawDrafts } from './assistant/drafts.js'
import { answerFromData, type DataAnswer } from './assistant/data_answers.js'

/*
| The assistant on a channel. Each customer message it may answer gets one
| run (a job keyed on the message): answer from the knowledge, or hand the
| conversation to a person. A person owns the conversation once it is
| assigned to a member, an agent replied, or the assistant handed it off;
| from then on the assistant never sends, until an agent hands it back.
| Ownership is checked when the run starts and again, under the lock of the
| brain's own row for the conversation (assistant_conversations), right
| before the reply is written. The conversation itself (its assignee and
| status) is the channels module's: read through its Conversation model,
| never written here.
*/

/** Message types whose text the assistant reads. */
const READABLE_TYPES = ['text', 'button', 'interactive']

export type AssistantOutcome =
  | { kind: 'answered'; messageId: string; confidence: number }
  /** The channel drafts for approval: the answer waits in a task for a person. */
  | { kind: 'drafted'; taskId: string; confidence: number }
  | { kind: 'handoff'; reason: HandoffReason; messageId: string | null }
  | {
      kind: 'skipped'
      /**
       * answered_with_later: the customer wrote after this message; the
       * run of their latest message answers them together (or already
       * did, if this one came late).
       */
      why:
        | 'not_readable'
        | 'inactive'
        | 'person_owns'
        | 'already_done'
        | 'answered_with_later'
        | 'held'
    }

interface InboundRow {
  id: string
  conversationId: string
  contactId: string
  channelId: string
  direction: string
  type: string
  body: string | null
  /** The list row or button the customer picked (WhatsApp's reply id, or web chat's choice). */
  choiceId: string | null
}

type AssistantState = 'assistant' | 'human'

/** Who has a conversation: the channels module's assignee and status, and the brain's own state. */
interface Ownership {
  assigneeId: string | null
  status: string
  channelId: string
  state: AssistantState
  failures: number
  handoffReason: string | null
}

interface StateRow {
  state: AssistantState
  failures: number
  handoff_reason: string | null
}

/** No row yet: the assistant has the conversation and has not failed. */
const DEFAULT_STATE: StateRow = { state: 'assistant', failures: 0, handoff_reason: null }

function personOwns(ownership: Ownership) {
  return (
    ownership.state === 'human' || ownership.assigneeId !== null || ownership.status === 'resolved'
  )
}

function conversationOf(trx: TransactionClientContract, id: string) {
  return conversationIn(trx, id)
}

function stateQuery(trx: TransactionClientContract, conversationId: string) {
  return trx
    .from('assistant_conversations')
    .where('conversation_id', conversationId)
    .select('state', 'failures', 'handoff_reason')
}

/** Reads who has the conversation, without locking (null: no such conversation). */
async function ownershipOf(
  trx: TransactionClientContract,
  conversationId: string
): Promise<Ownership | null> {
  const conversation = await conversationOf(trx, conversationId)
  if (!conversation) return null
  const row = ((await stateQuery(trx, conversationId).first()) as StateRow | null) ?? DEFAULT_STATE
  return ownershipFrom(conversation, row)
}

/**
 * Locks the brain's row for the conversation (creating it on first use) for
 * the rest of the transaction, so state changes and the last check before a
 * send take turns, then reads who has the conversation. The conversation is
 * read after the lock is held, so an assignment made while waiting is seen.
 */
async function lockOwnership(
  trx: TransactionClientContract,
  conversationId: string
): Promise<Ownership | null> {
  // The row references the conversation: make sure it is still there first.
  if (!(await conversationOf(trx, conversationId))) return null
  await trx
    .insertQuery()
    .table('assistant_conversations')
    .insert({ conversation_id: conversationId })
    .knexQuery.onConflict('conversation_id')
    .ignore()
  const row = (await stateQuery(trx, conversationId).forUpdate().first()) as StateRow
  const conversation = await conversationOf(trx, conversationId)
  return conversation ? ownershipFrom(conversation, row) : null
}

function ownershipFrom(conversation: Conversation, row: StateRow): Ownership {
  return {
    assigneeId: conversation.assigneeId,
    status: conversation.status,
    channelId: conversation.channelId,
    state: row.state,
    failures: row.failures,
    handoffReason: row.handoff_reason,
  }
}

async function setState(
  trx: TransactionClientContract,
  conversationId: string,
  changes: Partial<StateRow>
) {
  await trx
    .from('assistant_conversations')
    .where('conversation_id', conversationId)
    .update({ ...changes, updated_at: new Date() })
}

/**
 * Answers (or hands off) one inbound message. Safe to run again for the same
 * message: the reply row is unique per inbound message, and the outbound
 * message carries an idempotency key made from it.
 */
export async function replyToInboundMessage(
  tenant: TenantContext,
  inboundMessageId: string
): Promise<AssistantOutcome> {
  const start = await tenant.transaction(async (trx) => {
    const found = await messageIn(trx, inboundMessageId)
    if (!found) return null
    const message: InboundRow = {
      id: found.id,
      conversationId: found.conversationId,
      contactId: found.contactId,
      channelId: found.channelId,
      direction: found.direction,
      type: found.type,
      body: found.body,
      choiceId: choiceOf(found.payload),
    }
    const done = await trx
      .from('assistant_replies')
      .where('inbound_message_id', inboundMessageId)
      .first()
    const conversation = await ownershipOf(trx, message.conversationId)
    return { message, done: !!done, conversation }
  })
  if (!start?.conversation) return { kind: 'skipped', why: 'not_readable' }
  const { message, conversation } = start
  if (start.done) return { kind: 'skipped', why: 'already_done' }
  const text = message.body?.trim() ?? ''
  if (message.direction !== 'inbound' || !READABLE_TYPES.includes(message.type) || !text) {
    return { kind: 'skipped', why: 'not_readable' }
  }

  const settings = await readAssistantSettings(tenant, message.channelId)
  if (!assistantActive(settings)) return { kind: 'skipped', why: 'inactive' }
  if (personOwns(conversation)) return { kind: 'skipped', why: 'person_owns' }
  if (await heldElsewhere(tenant, message.conversationId, message.id)) {
    return { kind: 'skipped', why: 'held' }
  }

  // The conversation as it stands: the customer's unanswered messages,
  // answered once, by the run of the latest (see customerTurn). A message
  // that lands in the turn while the answer is being worked out is
  // answered with it: the answer is worked out again (a few times at most).
  for (let attempt = 1; ; attempt++) {
    const turn = await tenant.transaction((trx) => customerTurn(trx, message))
    if (turn.answeredLater) return claimLate(tenant, message)
    if (turn.lastId !== message.id) return { kind: 'skipped', why: 'answered_with_later' }
    const outcome = await answerTurn(tenant, message, settings, turn, attempt >= MAX_TURN_ATTEMPTS)
    if (outcome !== 'turn_changed') return outcome
  }
}

/**
 * Another module that talks with the customer for now (a guided flow) holds
 * the conversation: the assistant stays silent on a message it holds. The
 * holder registers at boot (brain does not import it).
 */
export type AssistantHold = (
  tenant: TenantContext,
  conversationId: string,
  inboundMessageId: string
) => Promise<boolean>

const holds: AssistantHold[] = []

export function registerAssistantHold(hold: AssistantHold) {
  if (!holds.includes(hold)) holds.push(hold)
}

async function heldElsewhere(tenant: TenantContext, conversationId: string, messageId: string) {
  for (const hold of holds) if (await hold(tenant, conversationId, messageId)) return true
  return false
}

/** The id of what the customer picked: a WhatsApp list or button reply, or a web chat choice. */
function choiceOf(payload: Record<string, unknown> | null | undefined): string | null {
  const webchat = payload?.webchat as Record<string, unknown> | undefined
  const id =
    payload?.interactiveType === 'list_reply' || payload?.interactiveType === 'button_reply'
      ? payload.id
      : webchat?.choiceId
  return typeof id === 'string' && id ? id : null
}

/** How often a run works its answer out again for messages that joined the turn. */
const MAX_TURN_ATTEMPTS = 3

/**
 * The customer's turn: their readable messages the assistant has not
 * handled yet, in the customer's order (WhatsApp's timestamp, then
 * arrival). It starts after the last message the assistant handled or an
 * agent's reply, whichever arrived last. `answeredLater`: this message came
 * late, after a message the customer wrote after it had already been
 * handled; the answer stands, and answering again would answer twice.
 */
interface CustomerTurn {
  messages: Array<{ id: string; body: string }>
  lastId: string | null
  answeredLater: boolean
}

async function customerTurn(
  trx: TransactionClientContract,
  message: InboundRow
): Promise<CustomerTurn> {
  const found = await trx.rawQuery(
    `with handled as (
        select i.sort_at, i.seq from messages i
          join assistant_replies r on r.inbound_message_id = i.id
         where i.conversation_id = ?
      ),
      boundary as (
        select greatest(
          (select max(seq) from handled),
          (select max(o.seq) from messages o where o.conversation_id = ?
              and o.direction = 'outbound' and o.author_type = 'agent' and not o.is_note)
        ) as seq
      )
      select m.id, m.body,
          exists (select 1 from handled h where (h.sort_at, h.seq) > (m.sort_at, m.seq))
            as answered_later
        from messages m
       where m.conversation_id = ? and m.direction = 'inbound' and m.type = any(?)
         and m.seq > coalesce((select seq from boundary), 0)
         and not exists (select 1 from assistant_replies r where r.inbound_message_id = m.id)
       order by m.sort_at, m.seq`,
    [message.conversationId, message.conversationId, message.conversationId, READABLE_TYPES]
  )
  const rows = found.rows as Array<{ id: string; body: string | null; answered_later: boolean }>
  const own = rows.find((row) => row.id === message.id)
  // Outside the turn (an agent's reply arrived after it, or a handled message did): late.
  if (!own || own.answered_later) return { messages: [], lastId: null, answeredLater: true }
  const turn = rows.filter((row) => !row.answered_later && row.body?.trim())
  return {
    messages: turn.map((row) => ({ id: row.id, body: row.body!.trim() })),
    lastId: turn.at(-1)?.id ?? null,
    answeredLater: false,
  }
}

/**
 * The exchange before the turn: the assistant's last message before it, and
 * the customer's messages it answered (those after the outbound message
 * before it). A follow-up ("and the price?") is read with them.
 */
async function lastExchange(
  trx: TransactionClientContract,
  conversationId: string,
  turnIds: string[]
): Promise<ConversationContext | null> {
  const found = await trx.rawQuery(
    `with turn_start as (
        select min(seq) as seq from messages where id = any(?::uuid[])
      ),
      last_answer as (
        select seq, body from messages
         where conversation_id = ? and direction = 'outbound' and author_type = 'assistant'
           and seq < (select seq from turn_start)
         order by seq desc limit 1
      ),
      before_answer as (
        select coalesce(max(seq), 0) as seq from messages
         where conversation_id = ? and direction = 'outbound'
           and seq < (select seq from last_answer)
      )
      select (select body from last_answer) as answer,
             (select string_agg(m.body, E'\n' order by m.sort_at, m.seq) from messages m
               where m.conversation_id = ? and m.direction = 'inbound' and m.type = any(?)
                 and m.seq > (select seq from before_answer)
                 and m.seq < (select seq from last_answer)) as question`,
    [turnIds, conversationId, conversationId, conversationId, READABLE_TYPES]
  )
  const row = found.rows[0] as { answer: string | null; question: string | null } | undefined
  if (!row?.question?.trim()) return null
  return { previousQuestion: row.question.trim(), previousAnswer: row.answer }
}

/** A late message's claim: nothing is sent, and no later run takes it up again. */
async function claimLate(tenant: TenantContext, message: InboundRow): Promise<AssistantOutcome> {
  await tenant.transaction(async (trx) => {
    if (!(await lockOwnership(trx, message.conversationId))) return
    await insertReply(trx, message, {
      outcome: 'skipped',
      answer: null,
      reason: 'answered_with_later',
    })
  })
  return { kind: 'skipped', why: 'answered_with_later' }
}

/** Answers (or hands off) a turn whose latest message is `message`. */
async function answerTurn(
  tenant: TenantContext,
  message: InboundRow,
  settings: AssistantSettings,
  turn: CustomerTurn,
  final: boolean
): Promise<AssistantOutcome | 'turn_changed'> {
  const text = turn.messages.map((m) => m.body).join('\n')
  const expected = turn.messages.map((m) => m.id)
  const language = replyLanguage(text, languageOf(settings))
  const asked = customerHandoff(text, settings.handoffWords)
  if (asked) return handOff(tenant, message, language, asked)

  // Past the plan, people answer: a conversation the customer opened beyond
  // the month's conversations, or a question beyond its AI answers. The
  // customer is told a person will reply, as in any handoff. A message
  // counts once however often its job runs (the record is per message).
  if (!(await isWithinMonthlyLimit(tenant.id, 'conversations', message.conversationId))) {
    return handOff(tenant, message, language, 'plan_limit')
  }
  const quota = await recordMonthlyUsage(tenant.id, 'ai_answers', `message:${message.id}`)
  if (!quota.withinLimit) return handOff(tenant, message, language, 'plan_limit')

  // Structured data first (a dataset's rows, a live lookup): a question it
  // answers is answered from the rows, as a list the customer can pick from.
  // A channel that drafts replies for approval drafts knowledge answers only.
  if (!settings.draftReplies) {
    const fromData = await answerFromData({
      tenant,
      text,
      choiceId: message.choiceId,
      language,
      conversationId: message.conversationId,
    })
    if (fromData?.handoff) return handOff(tenant, message, language, fromData.handoff)
    if (fromData) return sendDataAnswer(tenant, message, fromData, final ? null : expected)
  }

  let answer: Answer | null = null
  let failure: unknown = null
  let firstAnswer = false
  try {
    const context = await tenant.transaction(async (trx) => ({
      memory: await loadMemory(trx, message.contactId),
      conversation: await lastExchange(trx, message.conversationId, expected),
      answeredBefore: await trx
        .from('messages')
        .where('conversation_id', message.conversationId)
        .where('author_type', 'assistant')
        .first(),
    }))
    const { memory, conversation } = context
    firstAnswer = !context.answeredBefore
    answer = await answerQuestion(tenant, text, {
      threshold: settings.confidenceThreshold,
      language: languageOf(settings),
      memory,
      conversation,
      persona: { name: settings.personaName, instructions: settings.instructions },
    })
  } catch (error) {
    logger.error({ err: error, tenant: tenant.slug }, 'assistant: answering failed')
    failure = error
  }

  // A failure is a question the assistant could not work on: answering
  // threw (each attempt of the job counts), or the chat model failed and
  // the offline answerer stood in. Enough of them in a row and a person is
  // better than another try.
  const failed = answer === null || answer.reason === 'model_error'
  const failures = await countFailure(tenant, message.conversationId, failed)
  if (failed && failures >= settings.maxFailures) {
    return handOff(tenant, message, language, 'repeated_failure', answer)
  }
  // Nothing was claimed or sent: the job's retry tries again.
  if (answer === null) throw failure
  if (answer.handoff || answer.confidence < settings.confidenceThreshold) {
    return handOff(tenant, message, language, handoffReasonOf(answer), answer)
  }

  const reply = customerText(language, answer.text, answer.citations, {
    citeSources: settings.citeSources,
    introduceAs: firstAnswer ? settings.personaName : null,
  })
  if (settings.draftReplies) {
    const drafted = await draft(tenant, message, reply, answer, {
      question: text,
      language,
      expected: final ? null : expected,
    })
    if (drafted === 'turn_changed') return drafted
    if (!drafted) return { kind: 'skipped', why: 'person_owns' }
    return { kind: 'drafted', taskId: drafted, confidence: answer.confidence }
  }
  const sent = await send(
    tenant,
    message,
    reply,
    { outcome: 'answered', answer, reason: null },
    { expected: final ? null : expected }
  )
  if (sent === 'turn_changed') return sent
  if (!sent) return { kind: 'skipped', why: 'person_owns' }
  return { kind: 'answered', messageId: sent, confidence: answer.confidence }
}

async function sendDataAnswer(
  tenant: TenantContext,
  message: InboundRow,
  fromData: DataAnswer,
  expected: string[] | null
): Promise<AssistantOutcome | 'turn_changed'> {
  await countFailure(tenant, message.conversationId, false)
  const sent = await send(
    tenant,
    message,
    fromData.content,
    {
      outcome: 'answered',
      answer: null,
      reason: null,
      mode: fromData.mode,
      citations: fromData.citations,
    },
    { expected }
  )
  if (sent === 'turn_changed') return sent
  if (!sent) return { kind: 'skipped', why: 'person_owns' }
  return { kind: 'answered', messageId: sent, confidence: 1 }
}

function languageOf(settings: AssistantSettings) {
  return settings.language === 'en' ? 'english' : settings.language === 'ar' ? 'arabic' : undefined
}

function handoffReasonOf(answer: Answer): HandoffReason {
  if (answer.reason === 'no_knowledge') return 'no_knowledge'
  if (answer.reason === 'not_covered') return 'not_covered'
  return 'low_confidence'
}

/** Adds one to the conversation's run of failures, or ends the run; returns the count. */
async function countFailure(tenant: TenantContext, conversationId: string, failed: boolean) {
  return tenant.transaction(async (trx) => {
    const ownership = await lockOwnership(trx, conversationId)
    if (!ownership) return 0
    const failures = failed ? ownership.failures + 1 : 0
    if (failures !== ownership.failures) await setState(trx, conversationId, { failures })
    return failures
  })
}

interface ReplyRecord {
  outcome: 'answered' | 'handoff' | 'skipped'
  answer: Answer | null
  reason: string | null
  /** For an answer from data (no Answer): what answered, and the rows it rests on. */
  mode?: string
  citations?: Citation[]
}

/**
 * Writes the assistant's message through the normal outbound path, unless a
 * person took the conversation over while the answer was being worked out.
 * The reply row claims the inbound message first (under the conversation's
 * lock), so a second run for it stops there; the turn's earlier messages
 * are claimed with it (answered together). With `expected`, the turn is
 * read again under the lock first: if a message joined it meanwhile,
 * nothing is claimed and 'turn_changed' says to answer again. Returns the
 * message id, or null when nothing was sent.
 */
async function send(
  tenant: TenantContext,
  message: InboundRow,
  reply: string | OutboundContent,
  record: ReplyRecord,
  options: { handoff?: boolean; expected?: string[] | null } = {}
): Promise<string | null | 'turn_changed'> {
  const claimed = await claimTurn(tenant, message, record, options)
  if (claimed === 'turn_changed') return claimed
  if (!claimed) return null

  try {
    const sent = await queueOutboundMessage(tenant, {
      conversationId: message.conversationId,
      content: typeof reply === 'string' ? { type: 'text', text: reply } : reply,
      authorType: 'assistant',
      idempotencyKey: `assistant-${message.id}`,
    })
    await tenant.transaction((trx) =>
      trx
        .from('assistant_replies')
        .where('inbound_message_id', message.id)
        .update({ message_id: sent.id })
    )
    return sent.id
  } catch (error) {
    // Opted out, channel disabled, window closed: nothing to send, and
    // nothing a retry would change. The claim stays, with why.
    if (!(error instanceof ChannelError)) throw error
    logger.warn({ err: error.message, code: error.code }, 'assistant: reply not sent')
    await tenant.transaction((trx) =>
      trx
        .from('assistant_replies')
        .where('inbound_message_id', message.id)
        .update({ reason: `not_sent:${error.code}`.slice(0, 32) })
    )
    return null
  }
}

/**
 * Claims the inbound message for a reply (under the conversation's lock),
 * unless a person took the conversation over while the answer was being
 * worked out; the turn's earlier messages are claimed with it (answered
 * together). With `expected`, the turn is read again under the lock first:
 * if a message joined it meanwhile, nothing is claimed ('turn_changed').
 */
async function claimTurn(
  tenant: TenantContext,
  message: InboundRow,
  record: ReplyRecord,
  options: { handoff?: boolean; expected?: string[] | null }
): Promise<boolean | 'turn_changed'> {
  return tenant.transaction(async (trx) => {
    const conversation = await lockOwnership(trx, message.conversationId)
    if (!conversation) return false
    // A handoff has just made the conversation a person's: its notice still goes out.
    if (!options.handoff && personOwns(conversation)) {
      await insertReply(trx, message, { ...record, outcome: 'skipped', reason: 'person_owns' })
      return false
    }
    const turn = await customerTurn(trx, message)
    const ids = turn.messages.map((m) => m.id)
    if (options.expected && ids.join() !== options.expected.join()) return 'turn_changed'
    if (!(await insertReply(trx, message, record))) return false
    const upTo = ids.indexOf(message.id)
    for (const id of ids.slice(0, Math.max(upTo, 0))) {
      await insertReply(
        trx,
        { ...message, id },
        { outcome: 'skipped', answer: null, reason: 'answered_with_later' }
      )
    }
    return true
  })
}

/**
 * The answer as a draft for a person to approve (the channel drafts
 * replies): the message is claimed as for a reply, then a hitl task holds
 * the text; nothing reaches the customer until it is approved. Returns the
 * task's id, or null when a person owns the conversation.
 */
async function draft(
  tenant: TenantContext,
  message: InboundRow,
  text: string,
  answer: Answer,
  options: { question: string; language: ReplyLanguage; expected: string[] | null }
): Promise<string | null | 'turn_changed'> {
  const claimed = await claimTurn(
    tenant,
    message,
    { outcome: 'answered', answer, reason: 'draft' },
    { expected: options.expected }
  )
  if (claimed === 'turn_changed') return claimed
  if (!claimed) return null
  try {
    const taskId = await openDraftTask(tenant, {
      inboundMessageId: message.id,
      conversationId: message.conversationId,
      contactId: message.contactId,
      question: options.question,
      text,
      citations: answer.citations,
      language: options.language,
    })
    // The inbox thread shows the pending draft: it refreshes on this.
    await emitter.emit('conversation:updated', {
      tenant: tenant.slug,
      tenantId: tenant.id,
      conversationId: message.conversationId,
      byUserId: null,
      changes: ['status'],
    })
    return taskId
  } catch (error) {
    // The claim stays (a retry would draft twice); the reason says what happened.
    logger.error({ err: error, tenant: tenant.slug }, 'assistant: the draft task was not opened')
    await tenant.transaction((trx) =>
      trx
        .from('assistant_replies')
        .where('inbound_message_id', message.id)
        .update({ reason: 'draft_failed' })
    )
    return null
  }
}

async function insertReply(
  trx: TransactionClientContract,
  message: InboundRow,
  record: ReplyRecord
) {
  const rows: Array<{ id: string }> = await trx
    .insertQuery()
    .table('assistant_replies')
    .insert({
      inbound_message_id: message.id,
      conversation_id: message.conversationId,
      outcome: record.outcome,
      reason: record.reason,
      mode: record.answer?.mode ?? record.mode ?? 'none',
      confidence: record.answer?.confidence ?? (record.mode ? 1 : 0),
      citations: JSON.stringify(record.answer?.citations ?? record.citations ?? []),
    })
    .knexQuery.onConflict('inbound_message_id')
    .ignore()
    .returning('id')
  return rows.length > 0
}

/**
 * Gives the conversation to a person: it becomes a person's (the assistant
 * stops), the customer is told a person will reply, `handoff:requested` is
 * announced, and on a round-robin channel assignment picks someone.
 */
async function handOff(
  tenant: TenantContext,
  message: InboundRow,
  language: ReplyLanguage,
  reason: HandoffReason,
  answer: Answer | null = null
): Promise<AssistantOutcome> {
  const taken = await tenant.transaction(async (trx) => {
    const ownership = await lockOwnership(trx, message.conversationId)
    if (!ownership || ownership.state !== 'assistant' || ownership.assigneeId !== null) {
      return false
    }
    await setState(trx, message.conversationId, {
      state: 'human',
      handoff_reason: reason,
      failures: 0,
    })
    return true
  })
  if (!taken) return { kind: 'skipped', why: 'person_owns' }

  const sent = await send(
    tenant,
    message,
    handoffText(language, reason),
    { outcome: 'handoff', answer, reason },
    { handoff: true }
  )
  const messageId = sent === 'turn_changed' ? null : sent
  // A draft still waiting for approval would answer after the person does.
  await withdrawDrafts(tenant, message.conversationId, 'handedOff')
  await emitter.emit('handoff:requested', {
    tenant: tenant.slug,
    tenantId: tenant.id,
    conversationId: message.conversationId,
    reason,
    requestedBy:
      reason === 'customer_request' || reason === 'handoff_word' ? 'contact' : 'assistant',
  })
  await autoAssignConversation(tenant, message.conversationId)
  return { kind: 'handoff', reason, messageId }
}

/**
 * A guided flow hands the conversation to a person (its handoff node, or
 * its fallback when the customer is not understood): as a rejected draft
 * does, without a message from the assistant (the flow sends its own).
 * False when a person had it already.
 */
export async function handOffFromFlow(tenant: TenantContext, conversationId: string) {
  const taken = await tenant.transaction(async (trx) => {
    const ownership = await lockOwnership(trx, conversationId)
    if (!ownership || ownership.state !== 'assistant') return false
    await setState(trx, conversationId, { state: 'human', handoff_reason: 'flow', failures: 0 })
    return true
  })
  if (!taken) return false
  await withdrawDrafts(tenant, conversationId, 'handedOff')
  await emitter.emit('handoff:requested', {
    tenant: tenant.slug,
    tenantId: tenant.id,
    conversationId,
    reason: 'flow',
    requestedBy: 'assistant',
  })
  await autoAssignConversation(tenant, conversationId)
  return true
}

/**
 * A draft reply a person rejected (or left to expire) hands the
 * conversation to a person, as the assistant's own handoffs do: it becomes
 * a person's, `handoff:requested` is announced (the inbox marks it as
 * needing a person) and round-robin may pick someone. The customer is sent
 * nothing: the business chose not to answer with the draft, and the person
 * taking over writes. False when a person had it already.
 */
export async function handOffRejectedDraft(
  tenant: TenantContext,
  conversationId: string,
  reason: 'draft_rejected' | 'draft_expired'
) {
  const taken = await tenant.transaction(async (trx) => {
    const ownership = await lockOwnership(trx, conversationId)
    if (!ownership || ownership.state !== 'assistant') return false
    await setState(trx, conversationId, { state: 'human', handoff_reason: reason, failures: 0 })
    return true
  })
  if (!taken) return false
  await emitter.emit('handoff:requested', {
    tenant: tenant.slug,
    tenantId: tenant.id,
    conversationId,
    reason,
    requestedBy: reason === 'draft_rejected' ? 'agent' : 'assistant',
  })
  await autoAssignConversation(tenant, conversationId)
  return true
}

/** An approved draft's message carries the assistant's evidence, as a sent answer does. */
export async function recordApprovedDraft(
  tenant: TenantContext,
  inboundMessageId: string,
  messageId: string
) {
  await tenant.transaction((trx) =>
    trx
      .from('assistant_replies')
      .where('inbound_message_id', inboundMessageId)
      .whereNull('message_id')
      .update({ message_id: messageId, reason: 'draft_approved' })
  )
}

/**
 * An agent's own message to the customer means a person has the
 * conversation (on channels where the assistant answers at all).
 */
export async function markPersonReplied(
  tenant: TenantContext,
  conversationId: string,
  channelId: string
) {
  const settings = await readAssistantSettings(tenant, channelId)
  if (!settings.enabled) return false
  return tenant.transaction(async (trx) => {
    const ownership = await lockOwnership(trx, conversationId)
    if (!ownership || ownership.state !== 'assistant') return false
    await setState(trx, conversationId, { state: 'human', handoff_reason: 'agent_replied' })
    return true
  })
}

/**
 * An agent gives the conversation back to the assistant: nobody is
 * assigned, the failure count starts again, and the next customer message
 * is the assistant's to answer.
 */
export async function handBackToAssistant(
  tenant: TenantContext,
  conversationId: string,
  byUserId: string | null
) {
  await assignConversation(tenant, conversationId, null, byUserId)
  await clearNeedsPerson(tenant, conversationId)
  const changed = await tenant.transaction(async (trx) => {
    const ownership = await lockOwnership(trx, conversationId)
    if (!ownership || ownership.state !== 'human') return false
    await setState(trx, conversationId, { state: 'assistant', handoff_reason: null, failures: 0 })
    return true
  })
  if (changed) {
    await emitter.emit('conversation:updated', {
      tenant: tenant.slug,
      tenantId: tenant.id,
      conversationId,
      byUserId,
      changes: ['status', 'owner'],
    })
  }
  return changed
}

/**
 * Whether the assistant takes a new conversation's first messages, so
 * round-robin assignment waits for a handoff instead of giving it to a
 * member straight away.
 */
export async function assistantAnswersFirst(tenant: TenantContext, conversationId: string) {
  const conversation = await tenant.transaction((trx) => ownershipOf(trx, conversationId))
  if (!conversation || personOwns(conversation)) return false
  return assistantActive(await readAssistantSettings(tenant, conversation.channelId))
}

export interface AssistantReplyView {
  outcome: 'answered' | 'handoff' | 'skipped'
  reason: string | null
  mode: string
  confidence: number
  citations: Citation[]
}

/** The evidence behind the assistant's messages among `messageIds`, by message id (for the inbox). */
export async function assistantRepliesFor(tenant: TenantContext, messageIds: string[]) {
  const replies = new Map<string, AssistantReplyView>()
  if (!messageIds.length) return replies
  const rows = await tenant.transaction((trx) =>
    trx
      .from('assistant_replies')
      .whereIn('message_id', messageIds)
      .select('message_id', 'outcome', 'reason', 'mode', 'confidence', 'citations')
  )
  for (const row of rows) {
    replies.set(row.message_id, {
      outcome: row.outcome,
      reason: row.reason,
      mode: row.mode,
      confidence: Number(row.confidence),
      citations: row.citations ?? [],
    })
  }
  return replies
}

export interface AssistantStateView {
  state: AssistantState
  /** Why a person has it (a handoff reason, or 'agent_replied'); null while the assistant has it. */
  reason: string | null
}

/**
 * Who owns a conversation, for the inbox: the assistant or a person (and
 * why). A conversation the assistant never handed off has no row: the
 * assistant's.
 */
export async function assistantStateOf(
  tenant: TenantContext,
  conversationId: string
): Promise<AssistantStateView> {
  const row = await tenant.transaction(
    async (trx) => ((await stateQuery(trx, conversationId).first()) as StateRow | null) ?? null
  )
  return { state: row?.state ?? 'assistant', reason: row?.handoff_reason ?? null }
}
