import emitter from '@adonisjs/core/services/emitter'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { DateTime } from 'luxon'
import { clock } from '#app/clock'
import type { TenantContext } from '#modules/tenancy/index'
import {
  ChannelError,
  DEFAULT_OPT_OUT_WORDS,
  contactMessagesSince,
  findTenantChannel,
  messageById,
  normalizeKeyword,
  queueOutboundMessage,
  type MessageReceivedEvent,
  type OutboundContent,
} from '#modules/channels/index'
import {
  contactById,
  conversationById,
  editConversationLabels,
  updateContact,
  type Contact,
  type Conversation,
} from '#modules/inbox/index'
import { assistantStateOf, handOffFromFlow } from '#modules/brain/index'
import {
  cancelDue,
  deferDue,
  latestCampaignMessageTo,
  registerDueHandler,
  scheduleDue,
  sendGuard,
  type DueRow,
} from '#modules/pulse/index'
import {
  choicesOf,
  fillText,
  nodeById,
  targetOf,
  waitsForAnswer,
  type ConditionData,
  type ConditionRule,
  type FlowGraph,
  type FlowNode,
  type MessageData,
  type QuestionData,
  type SetData,
} from './graph.js'
import { matchChoice, readAnswer } from './answers.js'
import { findFlow, findVersion, publishedFlows, type Flow } from './flow_service.js'
import {
  acknowledgeTaskWait,
  movePicked,
  offeredChoices,
  runBooking,
  runEnroll,
  runLookup,
  runTask,
} from './runtime_nodes.js'

/*
| The runtime. A session stands at one node of its version's graph. Each
| move to a node schedules one due row of kind `flow.step` (key
| `flow:<session>:<step_no>`) in the same transaction as the move; its
| handler runs the node (a send guarded by the row: one message however
| often the row runs) and makes the next move, conditional on the session
| still standing where the row found it. A row run twice (its worker died
| before "done") finds the session moved on, or meets its first message by
| the idempotency key. A node that asks waits (`awaiting`) for the
| customer's message, read by the `message:received` listener; each
| inbound message is read once (its id is unique in the step log). Expiry
| is a `flow.expire` row, pushed back on every answer. The lookup, task,
| enroll and booking nodes run in runtime_nodes.ts, with the same rows; what
| they keep between runs is the session's `state`.
*/

export const STEP_KIND = 'flow.step'
export const EXPIRE_KIND = 'flow.expire'

export type SessionStatus = 'active' | 'paused' | 'completed' | 'expired' | 'stopped' | 'handed_off'
export type SessionSource =
  | 'keyword'
  | 'first_message'
  | 'payload'
  | 'referral'
  | 'campaign_reply'
  | 'webchat_start'
  | 'api'
  /** A member trying the draft in the sandbox ("Try it"); left out of the figures. */
  | 'try'

export interface FlowSession {
  id: string
  flowId: string
  versionId: string
  conversationId: string
  contactId: string
  status: SessionStatus
  source: SessionSource
  currentNode: string | null
  awaiting: boolean
  stepNo: number
  variables: Record<string, unknown>
  answers: Record<string, unknown>
  retries: number
  /** What the current node keeps between its runs (see runtime_nodes.ts). */
  state: Record<string, any>
  endReason: string | null
  expiresAt: DateTime
  startedAt: DateTime
  endedAt: DateTime | null
  /** Since when a person has the conversation (status paused). */
  pausedAt: DateTime | null
  /** Until when the session stands in a wait node (the flow does not hold the conversation). */
  waitingUntil: DateTime | null
}

export interface FlowCompletedEvent {
  tenant: string
  tenantId: string
  flowId: string
  sessionId: string
  contactId: string
}

declare module '@adonisjs/core/types' {
  interface EventsList {
    'flow:completed': FlowCompletedEvent
  }
}

export class FlowSessionError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 422
  ) {
    super(message)
  }
}

function json<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

function dt(value: unknown) {
  return DateTime.fromJSDate(value instanceof Date ? value : new Date(value as string))
}

export function sessionOf(row: any): FlowSession {
  return {
    id: row.id,
    flowId: row.flow_id,
    versionId: row.version_id,
    conversationId: row.conversation_id,
    contactId: row.contact_id,
    status: row.status,
    source: row.source,
    currentNode: row.current_node ?? null,
    awaiting: Boolean(row.awaiting),
    stepNo: Number(row.step_no),
    variables: json(row.variables, {}),
    answers: json(row.answers, {}),
    retries: Number(row.retries ?? 0),
    state: json(row.state, {}),
    endReason: row.end_reason ?? null,
    expiresAt: dt(row.expires_at),
    startedAt: dt(row.started_at),
    endedAt: row.ended_at ? dt(row.ended_at) : null,
    pausedAt: row.paused_at ? dt(row.paused_at) : null,
    waitingUntil: row.waiting_until ? dt(row.waiting_until) : null,
  }
}

export async function findSession(tenant: TenantContext, id: string) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null
  const result = await db.rawQuery(`select * from ${tenant.table('flow_sessions')} where id = ?`, [
    id,
  ])
  return result.rows[0] ? sessionOf(result.rows[0]) : null
}

export async function activeSessionOn(tenant: TenantContext, conversationId: string) {
  const result = await db.rawQuery(
    `select * from ${tenant.table('flow_sessions')} where conversation_id = ? and status = 'active'`,
    [conversationId]
  )
  return result.rows[0] ? sessionOf(result.rows[0]) : null
}

/** The session that has not ended on the conversation: active, or paused while a person has it. */
export async function liveSessionOn(tenant: TenantContext, conversationId: string) {
  const result = await db.rawQuery(
    `select * from ${tenant.table('flow_sessions')}
      where conversation_id = ? and status in ('active', 'paused')`,
    [conversationId]
  )
  return result.rows[0] ? sessionOf(result.rows[0]) : null
}

export async function sessionsOfFlow(tenant: TenantContext, flowId: string, limit = 50) {
  const result = await db.rawQuery(
    `select * from ${tenant.table('flow_sessions')} where flow_id = ?
      order by started_at desc, id limit ?`,
    [flowId, limit]
  )
  return result.rows.map(sessionOf)
}

const stepKey = (sessionId: string, stepNo: number) => `flow:${sessionId}:${stepNo}`
const expireKey = (sessionId: string) => `flowexp:${sessionId}`

export function logStep(
  trx: TransactionClientContract,
  session: { id: string; flowId: string },
  nodeId: string | null,
  event: string,
  at: DateTime,
  detail: Record<string, unknown> | null = null,
  inboundMessageId: string | null = null
) {
  return trx.rawQuery(
    `insert into flow_steps (session_id, flow_id, node_id, event, inbound_message_id, detail, at)
     values (?, ?, ?, ?, ?, ?::jsonb, ?)
     on conflict (inbound_message_id) where inbound_message_id is not null do nothing
     returning id`,
    [
      session.id,
      session.flowId,
      nodeId,
      event,
      inboundMessageId,
      detail ? JSON.stringify(detail) : null,
      at.toJSDate(),
    ] as any[]
  )
}

/* ------------------------------------------------------------------ start */

export interface StartInput {
  conversationId: string
  contactId: string
  source: SessionSource
  variables?: Record<string, unknown>
  /** The customer message that started it (read once: a redelivery starts nothing). */
  inboundMessageId?: string | null
  now?: DateTime
  /** Run this version of the flow instead of the published one (Try it's draft snapshot). */
  versionId?: string
}

/**
 * Starts a session of the flow's published version on the conversation.
 * Refused (FlowSessionError) when the flow is not published or the
 * conversation already has an active session; null when the starting
 * message was already read.
 */
export async function startSession(
  tenant: TenantContext,
  flow: Flow,
  input: StartInput
): Promise<FlowSession | null> {
  const versionId =
    input.versionId ?? (flow.status === 'published' ? flow.publishedVersionId : null)
  const version = versionId ? await findVersion(tenant, versionId) : null
  const start = version?.graph.nodes[0]
  if (!version || version.flowId !== flow.id || !start) {
    throw new FlowSessionError('not_published', 'This flow has no published version', 409)
  }
  const now = input.now ?? clock.now()
  const expiresAt = now.plus({ hours: flow.expiryHours })
  const id = await tenant.transaction(async (trx) => {
    const inserted = await trx.rawQuery(
      `insert into flow_sessions
         (flow_id, version_id, conversation_id, contact_id, status, source, current_node,
          step_no, variables, expires_at, started_at)
       values (?, ?, ?, ?, 'active', ?, ?, 1, ?::jsonb, ?, ?)
       on conflict (conversation_id) where status in ('active', 'paused') do nothing
       returning id`,
      [
        flow.id,
        version.id,
        input.conversationId,
        input.contactId,
        input.source,
        start.id,
        JSON.stringify(input.variables ?? {}),
        expiresAt.toJSDate(),
        now.toJSDate(),
      ] as any[]
    )
    const sessionId = inserted.rows[0]?.id as string | undefined
    if (!sessionId) return 'busy' as const
    const session = { id: sessionId, flowId: flow.id }
    const logged = await logStep(
      trx,
      session,
      null,
      'started',
      now,
      { source: input.source },
      input.inboundMessageId ?? null
    )
    if (!logged.rows.length) {
      // The starting message was read before: undo this start.
      await trx.rawQuery(`delete from flow_sessions where id = ?`, [sessionId])
      return null
    }
    await logStep(trx, session, start.id, 'entered', now)
    await scheduleDue(
      tenant,
      {
        kind: STEP_KIND,
        dedupeKey: stepKey(sessionId, 1),
        dueAt: now,
        contactId: input.contactId,
        refId: flow.id,
        payload: { sessionId, nodeId: start.id, stepNo: 1 },
      },
      { client: trx }
    )
    await scheduleDue(
      tenant,
      {
        kind: EXPIRE_KIND,
        dedupeKey: expireKey(sessionId),
        dueAt: expiresAt,
        contactId: input.contactId,
        refId: flow.id,
        payload: { sessionId },
      },
      { client: trx }
    )
    return sessionId
  })
  if (id === 'busy') {
    throw new FlowSessionError(
      'session_active',
      'This conversation is already in a flow; it must end first',
      409
    )
  }
  return id ? findSession(tenant, id) : null
}

/* ------------------------------------------------------------------ moves */

export interface Move {
  /** The node to go to; null ends the session completed. */
  to: string | null
  dueAt?: DateTime
  variables?: Record<string, unknown>
  answers?: Record<string, unknown>
  /** Run the same node again (a retry prompt) instead of moving on. */
  reprompt?: boolean
  retries?: number
  /** The next node's state (see FlowSession.state); empty when not given. */
  state?: Record<string, unknown>
  /** Logged for the node left, before the move (what it did). */
  log?: { event: string; detail: Record<string, unknown> }
  /** Leaving a wait node: the flow does not hold the conversation until `dueAt`. */
  waits?: boolean
}

/**
 * Moves the session from step `fromStep` as `move` says, in one
 * transaction with the next step's due row; false when something else
 * moved it first (a second run, a stop, an expiry).
 */
export async function moveSession(
  tenant: TenantContext,
  session: FlowSession,
  fromStep: number,
  move: Move,
  now: DateTime
): Promise<boolean> {
  if (move.to === null) return completeSession(tenant, session, fromStep, move, now)
  const nextStep = fromStep + 1
  return tenant.transaction(async (trx) => {
    const moved = await trx.rawQuery(
      `update flow_sessions
          set current_node = ?, step_no = ?, awaiting = false, retries = ?, state = ?::jsonb,
              waiting_until = ?,
              variables = variables || ?::jsonb, answers = answers || ?::jsonb, updated_at = now()
        where id = ? and step_no = ? and status = 'active' returning id`,
      [
        move.to,
        nextStep,
        move.retries ?? 0,
        JSON.stringify(move.state ?? {}),
        move.waits && move.dueAt ? move.dueAt.toJSDate() : null,
        JSON.stringify(move.variables ?? {}),
        JSON.stringify(move.answers ?? {}),
        session.id,
        fromStep,
      ] as any[]
    )
    if (!moved.rows.length) return false
    if (move.log)
      await logStep(trx, session, session.currentNode, move.log.event, now, move.log.detail)
    await logStep(trx, session, move.to, move.reprompt ? 'retried' : 'entered', now)
    await scheduleDue(
      tenant,
      {
        kind: STEP_KIND,
        dedupeKey: stepKey(session.id, nextStep),
        dueAt: move.dueAt ?? now,
        contactId: session.contactId,
        refId: session.flowId,
        payload: {
          sessionId: session.id,
          nodeId: move.to,
          stepNo: nextStep,
          ...(move.reprompt ? { reprompt: true } : {}),
          ...(move.waits ? { afterWait: true } : {}),
        },
      },
      { client: trx }
    )
    return true
  })
}

async function completeSession(
  tenant: TenantContext,
  session: FlowSession,
  fromStep: number,
  move: Move,
  now: DateTime
) {
  const done = await tenant.transaction(async (trx) => {
    const ended = await trx.rawQuery(
      `update flow_sessions
          set status = 'completed', awaiting = false, ended_at = ?, end_reason = 'completed',
              variables = variables || ?::jsonb, answers = answers || ?::jsonb, updated_at = now()
        where id = ? and step_no = ? and status = 'active' returning id`,
      [
        now.toJSDate(),
        JSON.stringify(move.variables ?? {}),
        JSON.stringify(move.answers ?? {}),
        session.id,
        fromStep,
      ]
    )
    if (!ended.rows.length) return false
    if (move.log)
      await logStep(trx, session, session.currentNode, move.log.event, now, move.log.detail)
    await logStep(trx, session, session.currentNode, 'completed', now)
    await cancelDue(
      tenant,
      { dedupePrefix: expireKey(session.id) },
      { client: trx, reason: 'completed' }
    )
    return true
  })
  if (done) {
    await emitter.emit('flow:completed', {
      tenant: tenant.slug,
      tenantId: tenant.id,
      flowId: session.flowId,
      sessionId: session.id,
      contactId: session.contactId,
    })
  }
  return done
}

/**
 * Ends an active or paused session (stopped, expired, handed off) wherever it
 * stands, cancelling its pending rows. `onlyStep`: only if it is still at
 * that step. False when it had ended already.
 */
export async function endSession(
  tenant: TenantContext,
  sessionId: string,
  status: Exclude<SessionStatus, 'active' | 'paused' | 'completed'>,
  reason: string,
  now: DateTime,
  options: { onlyStep?: number; inboundMessageId?: string | null } = {}
) {
  return tenant.transaction(async (trx) => {
    const ended = await trx.rawQuery(
      `update flow_sessions
          set status = ?, awaiting = false, ended_at = ?, end_reason = ?, updated_at = now()
        where id = ? and status in ('active', 'paused')
          ${options.onlyStep ? 'and step_no = ?' : ''}
        returning id, flow_id, current_node`,
      [status, now.toJSDate(), reason, sessionId, ...(options.onlyStep ? [options.onlyStep] : [])]
    )
    const row = ended.rows[0]
    if (!row) return false
    await logStep(
      trx,
      { id: sessionId, flowId: row.flow_id },
      row.current_node,
      status,
      now,
      { reason },
      options.inboundMessageId ?? null
    )
    await cancelDue(tenant, { dedupePrefix: `flow:${sessionId}:` }, { client: trx, reason })
    if (status !== 'expired') {
      await cancelDue(tenant, { dedupePrefix: expireKey(sessionId) }, { client: trx, reason })
    }
    return true
  })
}

/* ------------------------------------------------------------ pause, resume */

/*
| A person taking the conversation (assigned, or an agent writing to the
| customer) pauses its session: it keeps its place, sends nothing (its
| pending step rows are cancelled) and holds nothing (the person has the
| conversation, so the assistant is silent too). Handed back (nobody
| assigned, the assistant's again), it resumes at the node it stood at,
| asking a pending question once more. Expiry goes on while paused: a
| session the person kept past it ends expired, without the flow's
| message (the person spoke last), and is never resumed.
*/

/** Pauses the conversation's session (active or in a wait); false when there is none to pause. */
export async function pauseSession(
  tenant: TenantContext,
  sessionId: string,
  reason: string,
  now: DateTime
) {
  return tenant.transaction(async (trx) => {
    const paused = await trx.rawQuery(
      `update flow_sessions set status = 'paused', paused_at = ?, awaiting = false, updated_at = now()
        where id = ? and status = 'active' returning id, flow_id, current_node`,
      [now.toJSDate(), sessionId]
    )
    const row = paused.rows[0]
    if (!row) return false
    await logStep(trx, { id: sessionId, flowId: row.flow_id }, row.current_node, 'paused', now, {
      reason,
    })
    await cancelDue(tenant, { dedupePrefix: `flow:${sessionId}:` }, { client: trx, reason })
    return true
  })
}

/**
 * Resumes a paused session where it stood: its node runs again (a
 * question is asked again), at the end of a wait it was in, or now. False
 * when it is not paused (resumed already, ended, expired meanwhile).
 */
export async function resumeSession(tenant: TenantContext, sessionId: string, now: DateTime) {
  return tenant.transaction(async (trx) => {
    const resumed = await trx.rawQuery(
      `update flow_sessions
          set status = 'active', paused_at = null, awaiting = false, retries = 0,
              step_no = step_no + 1, updated_at = now()
        where id = ? and status = 'paused' and expires_at > ?
        returning id, flow_id, contact_id, current_node, step_no, waiting_until`,
      [sessionId, now.toJSDate()]
    )
    const row = resumed.rows[0]
    if (!row?.current_node) return false
    const session = { id: sessionId, flowId: row.flow_id as string }
    await logStep(trx, session, row.current_node, 'resumed', now)
    const waitingUntil = row.waiting_until ? dt(row.waiting_until) : null
    await scheduleDue(
      tenant,
      {
        kind: STEP_KIND,
        dedupeKey: stepKey(sessionId, Number(row.step_no)),
        dueAt: waitingUntil && waitingUntil > now ? waitingUntil : now,
        contactId: row.contact_id,
        refId: row.flow_id,
        payload: {
          sessionId,
          nodeId: row.current_node,
          stepNo: Number(row.step_no),
          ...(waitingUntil ? { afterWait: true } : {}),
        },
      },
      { client: trx }
    )
    return true
  })
}

/**
 * Whether a person has the conversation: someone is assigned, the
 * assistant handed it to a person (or an agent wrote), or it is resolved.
 */
export async function personHas(tenant: TenantContext, conversation: Conversation) {
  if (conversation.assigneeId || conversation.status === 'resolved') return true
  const owner = await assistantStateOf(tenant, conversation.id)
  return owner.state === 'human'
}

/* ------------------------------------------------------------------ steps */

export interface Loaded {
  flow: Flow
  graph: FlowGraph
  contact: Contact
  conversation: Conversation
}

export async function load(tenant: TenantContext, session: FlowSession): Promise<Loaded | null> {
  const [flow, version, contact, conversation] = await Promise.all([
    findFlow(tenant, session.flowId),
    findVersion(tenant, session.versionId),
    contactById(tenant, session.contactId),
    conversationById(tenant, session.conversationId),
  ])
  if (!flow || !version || !contact || !conversation) return null
  return { flow, graph: version.graph, contact, conversation }
}

export function contactValues(contact: Contact): Record<string, unknown> {
  return {
    ...(contact.attributes ?? {}),
    name: contact.name ?? contact.profileName,
    phone: contact.phone,
    email: contact.email,
    language: contact.language,
    time_zone: contact.timeZone,
  }
}

export function fill(text: string, session: FlowSession, contact: Contact) {
  return fillText(text, { ...session.variables, ...session.answers }, contactValues(contact))
}

/** What a message or question node sends (a retry prompt when `reprompt`). */
export function contentOf(
  node: FlowNode,
  session: FlowSession,
  contact: Contact,
  reprompt: boolean
): OutboundContent | null {
  const data = node.data
  const retry = reprompt && typeof data.retry_text === 'string' && data.retry_text.trim()
  const body = fill(retry ? data.retry_text : String(data.text ?? ''), session, contact)
  if (node.type === 'message') {
    const message = data as MessageData
    if (message.buttons?.length) {
      return {
        type: 'buttons',
        body,
        buttons: message.buttons.map((b) => ({ id: b.id, title: fill(b.title, session, contact) })),
      }
    }
    if (message.list?.rows?.length) {
      return {
        type: 'list',
        body,
        button: message.list.button,
        sections: [
          {
            rows: message.list.rows.map((r) => ({
              id: r.id,
              title: fill(r.title, session, contact),
              ...(r.description ? { description: fill(r.description, session, contact) } : {}),
            })),
          },
        ],
      }
    }
    if (message.media?.link) {
      return {
        type: message.media.type,
        link: message.media.link,
        ...(body.trim() ? { caption: body } : {}),
        ...(message.media.type === 'document' && message.media.filename
          ? { filename: message.media.filename }
          : {}),
      }
    }
    if (message.url) {
      return {
        type: 'cta_url',
        body,
        displayText: fill(message.url.title, session, contact),
        url: message.url.url,
      }
    }
  }
  if (node.type === 'question' && (data as QuestionData).kind === 'choice') {
    const choices = (data as QuestionData).choices ?? []
    return { type: 'text', text: `${body}\n${choices.map((c, i) => `${i + 1}. ${c}`).join('\n')}` }
  }
  return body.trim() ? { type: 'text', text: body } : null
}

export async function send(
  tenant: TenantContext,
  row: DueRow,
  loaded: Loaded,
  content: OutboundContent
): Promise<{ sent: boolean; reason?: string; messageId?: string }> {
  if (row.messageId) return { sent: true, messageId: row.messageId }
  try {
    const message = await queueOutboundMessage(tenant, {
      conversationId: loaded.conversation.id,
      content,
      authorType: 'system',
      ...sendGuard(tenant, row),
    })
    return { sent: true, messageId: message.id }
  } catch (error) {
    if (error instanceof ChannelError) {
      return { sent: false, reason: error.code ?? 'channel_error' }
    }
    throw error
  }
}

function labelsOf(loaded: Loaded) {
  return new Set(
    [...(loaded.contact.tags ?? []), ...(loaded.conversation.labels ?? [])].map((l) =>
      l.toLowerCase()
    )
  )
}

export function ruleHolds(
  rule: ConditionRule,
  values: {
    variables: Record<string, unknown>
    contact: Record<string, unknown>
    labels: Set<string>
    consent: Record<string, string>
  }
) {
  if (rule.on === 'label') {
    const has = values.labels.has(String(rule.value || rule.key || '').toLowerCase())
    return rule.op === 'neq' || rule.op === 'not_exists' ? !has : has
  }
  const source =
    rule.on === 'variable'
      ? values.variables
      : rule.on === 'consent'
        ? values.consent
        : values.contact
  const raw = source[rule.key]
  const actual = raw === null || raw === undefined || raw === '' ? null : String(raw).toLowerCase()
  const expected = String(rule.value ?? '').toLowerCase()
  switch (rule.op) {
    case 'exists':
      return actual !== null
    case 'not_exists':
      return actual === null
    case 'neq':
      return actual !== expected
    case 'contains':
      return actual !== null && actual.includes(expected)
    case 'gt':
    case 'lt': {
      const a = Number(actual)
      const b = Number(expected)
      if (actual === null || !Number.isFinite(a) || !Number.isFinite(b)) return false
      return rule.op === 'gt' ? a > b : a < b
    }
    default:
      return actual === expected
  }
}

function conditionHolds(data: ConditionData, session: FlowSession, loaded: Loaded) {
  const values = {
    variables: { ...session.variables, ...session.answers },
    contact: contactValues(loaded.contact),
    labels: labelsOf(loaded),
    consent: {
      service: loaded.contact.optIn,
      marketing: loaded.contact.marketingConsent,
    } as Record<string, string>,
  }
  const results = (data.rules ?? []).map((rule) => ruleHolds(rule, values))
  return data.match === 'any' ? results.some(Boolean) : results.every(Boolean)
}

const BUILT_IN_FIELDS = new Set(['name', 'email'])

/** Writes a value to a contact field (name, email or a custom field). */
async function saveContactField(
  tenant: TenantContext,
  contact: Contact,
  key: string,
  value: unknown
) {
  try {
    if (BUILT_IN_FIELDS.has(key)) {
      await updateContact(tenant, contact.id, { optIn: contact.optIn, [key]: String(value) })
    } else {
      await updateContact(tenant, contact.id, {
        optIn: contact.optIn,
        attributes: { [key]: value },
      })
    }
    return null
  } catch (error) {
    return (error as Error).message
  }
}

/** A step whose send took longer than this before it waited may have missed an answer. */
const SLOW_WAIT_MS = 1_000

/**
 * The step's message is out: the session waits for the answer. A message
 * the customer sent before the session waited was held by handleInbound
 * (not awaiting); when that can have happened (the row runs again after
 * its worker died between the send and this, or the step was slow), the
 * first unread message after the step's own is read now, once (read-once
 * by its id, as the listener reads it).
 */
export async function awaitAnswer(
  tenant: TenantContext,
  row: DueRow,
  session: FlowSession,
  sentMessageId: string | null,
  now: DateTime,
  startedAt = performance.now()
) {
  const waited = await db.rawQuery(
    `update ${tenant.table('flow_sessions')} set awaiting = true, updated_at = now()
      where id = ? and step_no = ? and status = 'active' returning id`,
    [session.id, session.stepNo]
  )
  if (!waited.rows.length || !sentMessageId) return
  if (row.attempts <= 1 && performance.now() - startedAt < SLOW_WAIT_MS) return
  const sent = await messageById(tenant, sentMessageId)
  if (!sent) return
  const since = await tenant.transaction((trx) =>
    contactMessagesSince(trx, session.contactId, Number(sent.seq), 20)
  )
  const inbound = since.filter(
    (m) => m.direction === 'inbound' && m.conversationId === session.conversationId
  )
  if (!inbound.length) return
  const read = await db.rawQuery(
    `select inbound_message_id as id from ${tenant.table('flow_steps')}
      where inbound_message_id = any(?::uuid[])`,
    [inbound.map((m) => m.id)]
  )
  const readIds = new Set(read.rows.map((r: { id: string }) => r.id))
  const unread = inbound.find((m) => !readIds.has(m.id))
  const message = unread ? await messageById(tenant, unread.id) : null
  if (!message) return
  await handleInbound(
    tenant,
    {
      tenant: tenant.slug,
      tenantId: tenant.id,
      messageId: message.id,
      externalId: message.externalId,
      conversationId: message.conversationId,
      contactId: message.contactId,
      channelId: message.channelId,
      type: message.type,
      text: message.body,
      providerTimestamp: message.providerTimestamp?.toISO() ?? null,
    },
    now
  )
}

/** The due handler of `flow.step`: runs the node the session stands at. */
export async function runFlowStep(tenant: TenantContext, row: DueRow, now: DateTime) {
  const startedAt = performance.now()
  const { sessionId, nodeId, stepNo, reprompt, afterWait } = row.payload as {
    sessionId: string
    nodeId: string
    stepNo: number
    reprompt?: boolean
    afterWait?: boolean
  }
  const session = await findSession(tenant, sessionId)
  if (!session || session.status !== 'active' || session.stepNo !== stepNo) return { stale: true }
  if (session.currentNode !== nodeId) return { stale: true }
  const loaded = await load(tenant, session)
  if (!loaded) {
    await endSession(tenant, session.id, 'stopped', 'missing', now)
    return { ended: 'missing' }
  }
  const node = nodeById(loaded.graph, nodeId)
  if (!node) {
    await endSession(tenant, session.id, 'stopped', 'missing_node', now)
    return { ended: 'missing_node' }
  }
  const next = (port: string) => targetOf(loaded.graph, node, port)
  // During a wait the flow held nothing: the assistant may have handed the
  // customer to a person meanwhile, who keeps them (handed back, it goes on).
  if (afterWait && (await personHas(tenant, loaded.conversation))) {
    await pauseSession(tenant, session.id, 'person_has_it', now)
    return { paused: 'person_has_it' }
  }

  switch (node.type) {
    case 'message':
    case 'question': {
      const content = contentOf(node, session, loaded.contact, Boolean(reprompt))
      let sent: Awaited<ReturnType<typeof send>> | null = null
      if (content) {
        sent = await send(tenant, row, loaded, content)
        if (!sent.sent) {
          await endSession(tenant, session.id, 'stopped', sent.reason ?? 'not_sent', now, {
            onlyStep: stepNo,
          })
          return { ended: sent.reason }
        }
      }
      if (waitsForAnswer(node)) {
        await awaitAnswer(tenant, row, session, sent?.messageId ?? null, now, startedAt)
        return { waiting: node.id }
      }
      await moveSession(tenant, session, stepNo, { to: next('next') }, now)
      return { sent: true }
    }
    case 'condition': {
      const holds = conditionHolds(node.data as ConditionData, session, loaded)
      await moveSession(tenant, session, stepNo, { to: next(holds ? 'true' : 'false') }, now)
      return { condition: holds }
    }
    case 'set': {
      const data = node.data as SetData
      const value =
        data.value === undefined ? '' : fill(String(data.value), session, loaded.contact)
      let problem: string | null = null
      if (data.target === 'field')
        problem = await saveContactField(tenant, loaded.contact, data.key, value)
      if (data.target === 'label_add' || data.target === 'label_remove') {
        await editConversationLabels(
          tenant,
          loaded.conversation.id,
          data.target === 'label_add' ? { add: [data.key] } : { remove: [data.key] },
          null
        )
      }
      await moveSession(
        tenant,
        session,
        stepNo,
        { to: next('next'), variables: data.target === 'variable' ? { [data.key]: value } : {} },
        now
      )
      return problem ? { set: data.key, problem } : { set: data.key }
    }
    case 'wait': {
      const minutes = Number(node.data.minutes ?? 1)
      await moveSession(
        tenant,
        session,
        stepNo,
        { to: next('next'), dueAt: now.plus({ minutes }), waits: true },
        now
      )
      return { waited: minutes }
    }
    case 'jump':
      await moveSession(tenant, session, stepNo, { to: String(node.data.to) }, now)
      return { jumped: node.data.to }
    case 'handoff': {
      if (typeof node.data.text === 'string' && node.data.text.trim()) {
        await send(tenant, row, loaded, {
          type: 'text',
          text: fill(node.data.text, session, loaded.contact),
        })
      }
      await endSession(tenant, session.id, 'handed_off', 'handoff_node', now, { onlyStep: stepNo })
      await handOffFromFlow(tenant, session.conversationId)
      return { handedOff: true }
    }
    case 'end': {
      if (typeof node.data.text === 'string' && node.data.text.trim()) {
        const sent = await send(tenant, row, loaded, {
          type: 'text',
          text: fill(node.data.text, session, loaded.contact),
        })
        if (!sent.sent)
          logger.info({ reason: sent.reason }, 'flows: the closing message was not sent')
      }
      await completeSession(tenant, session, stepNo, { to: null }, now)
      return { completed: true }
    }
    case 'lookup':
      return runLookup(tenant, row, session, loaded, node, now, Boolean(reprompt))
    case 'task':
      return runTask(tenant, row, session, loaded, node, now)
    case 'enroll':
      return runEnroll(tenant, row, session, loaded, node, now)
    case 'booking':
      return runBooking(tenant, row, session, loaded, node, now, Boolean(reprompt))
    default:
      await endSession(tenant, session.id, 'stopped', `unsupported_${node.type}`, now, {
        onlyStep: stepNo,
      })
      return { ended: 'unsupported', type: node.type }
  }
}

/** The due handler of `flow.expire`: ends a session left unanswered, with the flow's message. */
export async function runFlowExpiry(tenant: TenantContext, row: DueRow, now: DateTime) {
  const session = await findSession(tenant, String(row.payload.sessionId))
  if (!session || (session.status !== 'active' && session.status !== 'paused')) {
    return { stale: true }
  }
  if (session.expiresAt > now) return deferDue(session.expiresAt, 'extended')
  const paused = session.status === 'paused'
  const ended = await endSession(
    tenant,
    session.id,
    'expired',
    paused ? 'expired_paused' : 'expired',
    now
  )
  if (!ended) return { stale: true }
  // A person had the conversation: the flow's goodbye is not theirs to send.
  if (paused) return { expired: true, paused: true }
  const loaded = await load(tenant, session)
  if (loaded?.flow.expiryMessage?.trim()) {
    const sent = await send(tenant, row, loaded, {
      type: 'text',
      text: fill(loaded.flow.expiryMessage, session, loaded.contact),
    })
    return { expired: true, message: sent.sent }
  }
  return { expired: true }
}

registerDueHandler(STEP_KIND, (tenant, row, { now }) => runFlowStep(tenant, row, now))
registerDueHandler(EXPIRE_KIND, (tenant, row, { now }) => runFlowExpiry(tenant, row, now))

/* ---------------------------------------------------------------- inbound */

const READABLE = ['text', 'button', 'interactive']
/** What a file question takes. */
const FILES = ['image', 'document', 'video', 'audio']

export function choiceIdOf(payload: Record<string, any> | null | undefined) {
  if (!payload) return null
  if (payload.interactiveType === 'list_reply' || payload.interactiveType === 'button_reply') {
    return typeof payload.id === 'string' ? payload.id : null
  }
  if (typeof payload.payload === 'string') return payload.payload
  const webchat = payload.webchat as Record<string, unknown> | undefined
  return typeof webchat?.choiceId === 'string' ? webchat.choiceId : null
}

async function isStopWord(tenant: TenantContext, channelId: string, text: string | null) {
  if (!text) return false
  const said = normalizeKeyword(text)
  if (!said || said.length > 60) return false
  const channel = await findTenantChannel(tenant.id, channelId)
  const words = [...(channel?.settings.optOutWords ?? DEFAULT_OPT_OUT_WORDS), 'stop']
  return words.map(normalizeKeyword).includes(said)
}

export type InboundOutcome =
  | { kind: 'ignored' }
  | { kind: 'stopped'; sessionId: string }
  | { kind: 'started'; sessionId: string }
  | { kind: 'answered'; sessionId: string; port: string }
  | { kind: 'retry'; sessionId: string }
  | { kind: 'fallback'; sessionId: string; to: 'node' | 'handoff' | 'assistant' }
  | { kind: 'held'; sessionId: string }
  /** Read while the session waits for a person's task: acknowledged once per wait. */
  | { kind: 'acknowledged'; sessionId: string; sent: boolean }
  | { kind: 'paused'; sessionId: string }
  | { kind: 'passed'; sessionId: string }

/**
 * A customer's message: "stop" (or an opt-out word) ends the session; an
 * answer to the step that waits moves the session on; without a session,
 * a trigger may start one. Read once per message. A paused session (a
 * person has the conversation) reads nothing; one in a wait node passes
 * the message on (the assistant or the team answers it) and goes on when
 * the wait ends.
 */
export async function handleInbound(
  tenant: TenantContext,
  event: MessageReceivedEvent,
  now: DateTime = clock.now()
): Promise<InboundOutcome> {
  const session = await liveSessionOn(tenant, event.conversationId)
  if (!session) return startByTrigger(tenant, event, now)
  if (await isStopWord(tenant, event.channelId, event.text)) {
    await endSession(tenant, session.id, 'stopped', 'stop_word', now, {
      inboundMessageId: event.messageId,
    })
    return { kind: 'stopped', sessionId: session.id }
  }
  if (session.status === 'paused') return { kind: 'paused', sessionId: session.id }
  if (session.waitingUntil && session.waitingUntil > now) {
    // Logged as read by the wait, so the assistant's hold knows it is not the flow's.
    await tenant.transaction((trx) =>
      logStep(
        trx,
        session,
        session.currentNode,
        'passed',
        now,
        { reason: 'waiting' },
        event.messageId
      )
    )
    return { kind: 'passed', sessionId: session.id }
  }
  if (!session.awaiting && session.state?.task_id) {
    const acknowledged = await acknowledgeTaskWait(tenant, session, event, now)
    return acknowledged
      ? { kind: 'acknowledged', sessionId: session.id, ...acknowledged }
      : { kind: 'ignored' }
  }
  const isFile = FILES.includes(event.type)
  if (!(READABLE.includes(event.type) || isFile) || !session.awaiting) {
    return { kind: 'held', sessionId: session.id }
  }
  const loaded = await load(tenant, session)
  const node = loaded ? nodeById(loaded.graph, session.currentNode) : null
  if (!loaded || !node) return { kind: 'held', sessionId: session.id }

  const message = await messageById(tenant, event.messageId)
  const choiceId = choiceIdOf(message?.payload as Record<string, any> | undefined)
  let port: string | null = null
  let value: unknown = null
  let variable: string | null = null
  let pickMove: Move | null = null
  let fileAnswer: Record<string, unknown> | null = null
  if (isFile && node.type !== 'question') {
    // A picture where a pick was asked for: not understood (asked again, then the fallback).
  } else if (node.type === 'lookup' || node.type === 'booking') {
    const picked = matchChoice({ text: event.text, choiceId }, offeredChoices(session))
    if (picked) {
      port = 'next'
      pickMove = movePicked(loaded.graph, node, session, picked)
    }
  } else if (node.type === 'question') {
    const data = node.data as QuestionData
    variable = data.variable
    if (data.kind === 'file') {
      if (isFile && message) {
        port = 'next'
        fileAnswer = {
          message_id: message.id,
          type: message.type,
          ...(message.media?.filename ? { filename: message.media.filename } : {}),
          ...(message.media?.caption ? { caption: message.media.caption } : {}),
        }
        value = message.media?.filename || message.type
      }
    } else if (!isFile) {
      const read = readAnswer(data, event.text)
      if (read !== null) {
        port = 'next'
        value = read
      }
    }
  } else {
    const picked = matchChoice({ text: event.text, choiceId }, choicesOf(node))
    variable =
      typeof node.data.variable === 'string' && node.data.variable ? node.data.variable : node.id
    if (picked) {
      port = picked.id
      value = picked.title
    }
  }

  const maxRetries =
    node.type === 'question' && Number.isInteger(node.data.max_retries)
      ? Number(node.data.max_retries)
      : 1
  let outcome: InboundOutcome
  let move: Move
  if (port) {
    move = pickMove ?? {
      to: targetOf(loaded.graph, node, port),
      answers: { [variable!]: value, ...(fileAnswer ? { [`${variable}_file`]: fileAnswer } : {}) },
    }
    outcome = { kind: 'answered', sessionId: session.id, port }
  } else if (session.retries < maxRetries) {
    move = { to: node.id, reprompt: true, retries: session.retries + 1, state: session.state }
    outcome = { kind: 'retry', sessionId: session.id }
  } else {
    const target = targetOf(loaded.graph, node, 'fallback')
    if (target) {
      move = { to: target }
      outcome = { kind: 'fallback', sessionId: session.id, to: 'node' }
    } else {
      const handoff = loaded.flow.fallback === 'handoff'
      const ended = await endSession(
        tenant,
        session.id,
        handoff ? 'handed_off' : 'stopped',
        handoff ? 'fallback_handoff' : 'fallback_assistant',
        now,
        { onlyStep: session.stepNo, inboundMessageId: event.messageId }
      )
      if (!ended) return { kind: 'ignored' }
      if (handoff) await handOffFromFlow(tenant, session.conversationId)
      return { kind: 'fallback', sessionId: session.id, to: handoff ? 'handoff' : 'assistant' }
    }
  }

  // Read once: the message's step-log row is written with the move.
  const read = await tenant
    .transaction(async (trx) => {
      const claimed = await trx.rawQuery(
        `update flow_sessions set awaiting = false, expires_at = ?
        where id = ? and step_no = ? and awaiting and status = 'active' returning id`,
        [now.plus({ hours: loaded.flow.expiryHours }).toJSDate(), session.id, session.stepNo]
      )
      if (!claimed.rows.length) return false
      const logged = await logStep(
        trx,
        session,
        node.id,
        port ? 'answered' : 'unmatched',
        now,
        { text: event.text?.slice(0, 500) ?? null, port },
        event.messageId
      )
      if (!logged.rows.length) throw new AlreadyRead()
      return true
    })
    .catch((error) => {
      if (error instanceof AlreadyRead) return false
      throw error
    })
  if (!read) return { kind: 'ignored' }
  await scheduleDue(tenant, {
    kind: EXPIRE_KIND,
    dedupeKey: expireKey(session.id),
    dueAt: now.plus({ hours: loaded.flow.expiryHours }),
    contactId: session.contactId,
    refId: session.flowId,
    payload: { sessionId: session.id },
  })
  if (port && node.type === 'question') {
    const field = (node.data as QuestionData).contact_field
    if (field) await saveContactField(tenant, loaded.contact, field, value)
  }
  await moveSession(tenant, session, session.stepNo, move, now)
  return outcome
}

class AlreadyRead extends Error {}

/**
 * Which published flow a message starts, if any. Triggers are tried from
 * the most specific to the least, the first that matches wins:
 *   1. payload        a tapped button's payload or list row's id
 *   2. referral       the click-to-WhatsApp ad or post it came from (its
 *                     source_id named, before a flow on any ad, "*";
 *                     a post only by its id)
 *   3. campaign_reply the first reply to a campaign message sent in the
 *                     72 hours before (that campaign named, before "*")
 *   4. keyword        the whole message is one of the flow's keywords
 *   5. first_message  the contact's first message on a channel (web chat:
 *                     webchat_start)
 * Among flows of one kind, the most recently changed wins.
 */
async function startByTrigger(
  tenant: TenantContext,
  event: MessageReceivedEvent,
  now: DateTime
): Promise<InboundOutcome> {
  if (!READABLE.includes(event.type)) return { kind: 'ignored' }
  const published = await publishedFlows(tenant)
  const flows = published.filter(
    (f) => !f.triggers.channel_ids.length || f.triggers.channel_ids.includes(event.channelId)
  )
  if (!flows.length) return { kind: 'ignored' }
  // A stop word starts nothing (and never a flow keyed on it).
  if (await isStopWord(tenant, event.channelId, event.text)) return { kind: 'ignored' }
  const said = event.text ? normalizeKeyword(event.text) : ''
  let chosen: { flow: Flow; source: SessionSource } | null = null
  const message = await messageById(tenant, event.messageId)
  const payloadId = choiceIdOf(message?.payload as Record<string, any> | undefined)
  if (payloadId) {
    const flow = flows.find((f) => f.triggers.payloads.includes(payloadId))
    if (flow) chosen = { flow, source: 'payload' }
  }
  if (!chosen) {
    const referral = message?.payload?.referral as Record<string, string> | undefined
    // "*" is any ad; a post is started only by a flow naming it.
    const flow =
      referral &&
      specificOrAny(
        flows,
        (f) => f.triggers.referrals,
        referral.source_id,
        referral.source_type !== 'post'
      )
    if (flow) chosen = { flow, source: 'referral' }
  }
  if (!chosen && flows.some((f) => f.triggers.campaign_ids.length)) {
    const campaignId = await campaignAnswered(
      tenant,
      event,
      message ? Number(message.seq) : null,
      now
    )
    const flow = campaignId && specificOrAny(flows, (f) => f.triggers.campaign_ids, campaignId)
    if (flow) chosen = { flow, source: 'campaign_reply' }
  }
  if (!chosen && said) {
    const flow = flows.find((f) => f.triggers.keywords.includes(said))
    if (flow) chosen = { flow, source: 'keyword' }
  }
  if (!chosen) {
    const firsts = flows.filter((f) => f.triggers.first_message || f.triggers.webchat_start)
    if (firsts.length && (await isFirstMessage(tenant, event))) {
      const channel = await findTenantChannel(tenant.id, event.channelId)
      const webchat = channel?.type === 'webchat'
      const flow = firsts.find((f) =>
        webchat ? f.triggers.webchat_start : f.triggers.first_message
      )
      if (flow) chosen = { flow, source: webchat ? 'webchat_start' : 'first_message' }
    }
  }
  if (!chosen) return { kind: 'ignored' }
  try {
    const session = await startSession(tenant, chosen.flow, {
      conversationId: event.conversationId,
      contactId: event.contactId,
      source: chosen.source,
      inboundMessageId: event.messageId,
      now,
    })
    return session ? { kind: 'started', sessionId: session.id } : { kind: 'ignored' }
  } catch (error) {
    if (error instanceof FlowSessionError) return { kind: 'ignored' }
    throw error
  }
}

/** The flow naming `id` among `listed(flow)`, else (when `any` allows) one listing "*". */
function specificOrAny(
  flows: Flow[],
  listed: (flow: Flow) => string[],
  id: string | undefined,
  any = true
) {
  return (
    (id ? flows.find((f) => listed(f).includes(id)) : undefined) ??
    (any ? flows.find((f) => listed(f).includes('*')) : undefined)
  )
}

/**
 * The campaign a message answers: the latest campaign message that reached
 * the contact in the 72 hours before, when this is their first message
 * since it (a later message in the same exchange starts nothing).
 */
async function campaignAnswered(
  tenant: TenantContext,
  event: MessageReceivedEvent,
  seq: number | null,
  now: DateTime
) {
  const latest = await latestCampaignMessageTo(tenant, event.contactId, now)
  if (!latest || seq === null) return null
  const sent = await messageById(tenant, latest.messageId)
  if (!sent || Number(sent.seq) >= Number(seq)) return null
  const since = await tenant.transaction((trx) =>
    contactMessagesSince(trx, event.contactId, Number(sent.seq), 20)
  )
  const earlier = since.some(
    (m) => m.direction === 'inbound' && m.id !== event.messageId && Number(m.seq) < Number(seq)
  )
  return earlier ? null : latest.campaignId
}

/** The contact's first message: none other of theirs (inbound) was stored before it. */
async function isFirstMessage(tenant: TenantContext, event: MessageReceivedEvent) {
  const messages = await tenant.transaction((trx) =>
    contactMessagesSince(trx, event.contactId, 0, 20)
  )
  return !messages.some((m) => m.direction === 'inbound' && m.id !== event.messageId)
}

/** Messages a flow read but left to the assistant: one it gave up on, one sent during a wait. */
const NOT_HELD = ['fallback_assistant', 'waiting']

/**
 * For the assistant: whether a flow holds the conversation (an active
 * session, not standing in a wait) or read this message (a flow's answer,
 * or the message that started it). A message a flow gave up on to the
 * assistant, or one that came during a wait, is not held; nor is a paused
 * session's conversation (a person has it: the assistant is silent anyway).
 */
export async function flowHolds(tenant: TenantContext, conversationId: string, messageId: string) {
  const result = await db.rawQuery(
    `select exists (select 1 from ${tenant.table('flow_sessions')}
                     where conversation_id = ? and status = 'active'
                       and (waiting_until is null or waiting_until <= ?)) as active,
            (select coalesce(f.detail->>'reason', f.event) from ${tenant.table('flow_steps')} f
              where f.inbound_message_id = ?) as read_as`,
    [conversationId, clock.now().toJSDate(), messageId]
  )
  const row = result.rows[0] ?? {}
  if (row.read_as === undefined || row.read_as === null) return Boolean(row.active)
  return !NOT_HELD.includes(row.read_as)
}
