import emitter from '@adonisjs/core/services/emitter'
import i18nManager from '@adonisjs/i18n/services/main'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { clock } from '#app/clock'
import { systemActor, usableTenantContext, type TenantContext } from '#modules/tenancy/index'
import {
  ChannelError,
  queueOutboundMessage,
  type MessageReceivedEvent,
  type OutboundContent,
} from '#modules/channels/index'
import { handOffFromFlow } from '#modules/brain/index'
import {
  callConnector,
  clip,
  displayValue,
  fillReply,
  findConnector,
  findDataset,
  rowCard,
  searchDataset,
  LIST_LIMITS,
  type Connector,
  type Dataset,
  type RowRecord,
} from '#modules/data_engine/index'
import { TaskError, cancelTask, createTask, findTask, type Task } from '#modules/hitl/index'
import {
  SequenceError,
  cancelDue,
  enrollInSequence,
  enrollmentsOfContact,
  registerDueHandler,
  scheduleDue,
  type DueRow,
} from '#modules/pulse/index'
import {
  BOOKING_DAYS,
  LOOKUP_LIMIT,
  TASK_TIMEOUT,
  fillText,
  nodeById,
  targetOf,
  type BookingData,
  type Choice,
  type EnrollData,
  type FlowGraph,
  type FlowNode,
  type LookupData,
  type TaskData,
} from './graph.js'
import {
  awaitAnswer,
  contactValues,
  endSession,
  fill,
  findSession,
  load,
  logStep,
  moveSession,
  send,
  type FlowSession,
  type Loaded,
  type Move,
} from './runtime.js'
import {
  BookingError,
  bookSlot,
  findBookingService,
  findSlots,
  holdSlots,
  HOLD_MINUTES,
  upcomingBookingsOf,
  type Booking,
  type BookingServiceRecord,
} from './booking_service.js'
import { bookingIcsUrl, bookingMessageText, customerTime } from './booking_reminders.js'
import { bookingLocaleOf, slotRowTitle, type BookingLocale } from './booking_locale.js'
import { validZone } from './booking_slots.js'

/*
| The runtime of the nodes that reach outside the flow: lookup (a dataset
| search or an API connector), task (a person's approval), enroll (a
| journey sequence) and booking (the session booker). Each runs in the due
| row of its step like every node (runtime.ts): what a node must remember
| between its runs (the rows or slots it offered, the pick to book, the
| task it waits for) is the session's `state`, written conditionally on the
| step; a row run again after a crash finds it and does not search, offer,
| open or book a second time. A list the customer picks from waits
| (`awaiting`) like a message's buttons: the pick (a row's id, its title,
| number or a close spelling) is read by handleInbound through
| offeredChoices and movePicked; not understood twice, the `fallback` port.
*/

export const TASK_KIND = 'flow_task'
export const TASK_TIMEOUT_KIND = 'flow.task_timeout'
/** Who cancels a task the flow stopped waiting for. */
const TIMEOUT_RESOLVER = { type: 'system' as const, id: null, name: 'flow timeout' }
/** Times a picked slot may turn out taken before the booking node gives up. */
const TAKEN_LIMIT = 2

/** One result of a lookup: its columns as text, and the line that sums it up. */
interface LookupRow {
  summary: string
  values: Record<string, string>
}

/** A list a lookup or booking node sent and waits on (in the session's state). */
interface Offer {
  /** The step it was made at (a run of that step again sends it again, nothing else). */
  step: number
  body: string
  button: string
  choices: Choice[]
  rows?: LookupRow[]
  slots?: Array<{ start: string; memberId: string }>
}

type Result = Record<string, unknown>

/* ------------------------------------------------------------- helpers */

function offerOf(session: FlowSession): Offer | null {
  const offer = session.state?.offer
  return offer && Array.isArray(offer.choices) ? (offer as Offer) : null
}

/** What the customer may pick at a lookup or booking node waiting on its list. */
export function offeredChoices(session: FlowSession): Choice[] {
  return offerOf(session)?.choices ?? []
}

/** The values a text of the session is filled from, with `extra` over them. */
function valuesOf(session: FlowSession, extra: Record<string, unknown> = {}) {
  return { ...session.variables, ...session.answers, ...extra }
}

/**
 * The language the runtime's own words go in: the contact's, else the
 * language the flow's node (or the flow) is written in, else English.
 */
function localeOf(loaded: Loaded, node: FlowNode): BookingLocale {
  const data = node.data as Record<string, unknown>
  const written = [data.text, data.taken_text, data.confirm_text, loaded.flow.name]
    .filter((value) => typeof value === 'string' && value.trim())
    .join(' ')
  return bookingLocaleOf(loaded.contact, written)
}

function say(locale: BookingLocale, key: string, data: Record<string, unknown> = {}) {
  return i18nManager.locale(locale).t(`flows.runtime.${key}`, data)
}

/** Keeps `state` (and `variables`) on the session if it still stands at `stepNo`. */
async function saveState(
  tenant: TenantContext,
  session: FlowSession,
  state: Record<string, unknown>,
  variables: Record<string, unknown> = {},
  extra: { expiresAt?: DateTime } = {}
) {
  const result = await db.rawQuery(
    `update ${tenant.table('flow_sessions')}
        set state = ?::jsonb, variables = variables || ?::jsonb,
            expires_at = greatest(expires_at, coalesce(?::timestamptz, expires_at)), updated_at = now()
      where id = ? and step_no = ? and status = 'active' returning id`,
    [
      JSON.stringify(state),
      JSON.stringify(variables),
      extra.expiresAt?.toJSDate() ?? null,
      session.id,
      session.stepNo,
    ]
  )
  return result.rows.length > 0
}

/**
 * Leaves the node by `fallback`: its edge, or without one the flow's own
 * fallback (a person, or the assistant), as an answer not understood does.
 */
async function fallBack(
  tenant: TenantContext,
  session: FlowSession,
  loaded: Loaded,
  node: FlowNode,
  now: DateTime,
  log: { event: string; detail: Record<string, unknown> }
): Promise<Result> {
  const target = targetOf(loaded.graph, node, 'fallback')
  if (target) {
    await moveSession(tenant, session, session.stepNo, { to: target, log }, now)
    return { fallback: log.event, ...log.detail }
  }
  const handoff = loaded.flow.fallback === 'handoff'
  const ended = await endSession(
    tenant,
    session.id,
    handoff ? 'handed_off' : 'stopped',
    handoff ? 'fallback_handoff' : 'fallback_assistant',
    now,
    { onlyStep: session.stepNo }
  )
  if (!ended) return { stale: true }
  await tenant.transaction((trx) => logStep(trx, session, node.id, log.event, now, log.detail))
  if (handoff) await handOffFromFlow(tenant, session.conversationId)
  return { fallback: log.event, ended: handoff ? 'handoff' : 'assistant', ...log.detail }
}

/** Sends the offer's list and waits for the pick; a refused send ends the session. */
async function sendOffer(
  tenant: TenantContext,
  row: DueRow,
  session: FlowSession,
  loaded: Loaded,
  node: FlowNode,
  offer: Offer,
  now: DateTime
): Promise<Result> {
  const content: OutboundContent = {
    type: 'list',
    body: offer.body,
    button: offer.button,
    sections: [
      {
        rows: offer.choices.map((choice) => ({
          id: choice.id,
          title: choice.title,
          ...(choice.description ? { description: choice.description } : {}),
        })),
      },
    ],
  }
  const sent = await send(tenant, row, loaded, content)
  if (!sent.sent) {
    await endSession(tenant, session.id, 'stopped', sent.reason ?? 'not_sent', now, {
      onlyStep: session.stepNo,
    })
    return { ended: sent.reason }
  }
  await awaitAnswer(tenant, row, session, sent.messageId ?? null, now)
  return { waiting: node.id, offered: offer.choices.length }
}

/** A list row's text: one line, cut to WhatsApp's limit; never empty. */
function rowText(text: string, limit: number, otherwise = '') {
  const line = clip(text, limit)
  return line || otherwise
}

/**
 * The move a pick makes: a lookup's row fills its variable and goes on by
 * `next`; a booking's slot is booked by the node's next run (so a crash
 * between the pick and the booking books once).
 */
export function movePicked(
  graph: FlowGraph,
  node: FlowNode,
  session: FlowSession,
  picked: Choice
): Move {
  const offer = offerOf(session)!
  const index = offer.choices.findIndex((choice) => choice.id === picked.id)
  if (node.type === 'lookup') {
    const data = node.data as LookupData
    const row = offer.rows![index]
    const variables = rowVariables(data.variable, row)
    return {
      to: targetOf(graph, node, 'next'),
      variables,
      answers: { [data.variable]: row.summary },
      log: { event: 'picked', detail: { row: index + 1 } },
    }
  }
  return {
    to: node.id,
    state: { ...session.state, pick: picked.id },
    log: { event: 'picked', detail: { slot: offer.slots![index].start } },
  }
}

/* -------------------------------------------------------------- lookup */

/** Letters, digits and _ of a column's name, so `{{listing.monthly_rent}}` can name "Monthly rent". */
function keyOf(name: string) {
  return name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase()
}

function withKeys(values: Record<string, string>) {
  const out: Record<string, string> = { ...values }
  for (const [name, value] of Object.entries(values)) {
    const key = keyOf(name)
    if (key && !(key in out)) out[key] = value
  }
  return out
}

function datasetRow(dataset: Dataset, row: RowRecord): LookupRow {
  const card = rowCard(dataset, row)
  const values = Object.fromEntries(
    dataset.columns.map((column) => [column.name, displayValue(column, row.values[column.name])])
  )
  return { summary: [card.title, ...card.lines].join(' · '), values: withKeys(values) }
}

function textOf(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/**
 * A connector's mapped fields as rows: a field whose path reached a list
 * gives one row per item (fields side by side), a single value is in every
 * row. A row with no value at all is no result.
 */
export function connectorRows(
  connector: Pick<Connector, 'replyTemplate'>,
  inputs: Record<string, string>,
  fields: Record<string, unknown>
): LookupRow[] {
  const entries = Object.entries(fields)
  const lists = entries.filter(([, value]) => Array.isArray(value)) as Array<[string, unknown[]]>
  const count = lists.length ? Math.max(...lists.map(([, list]) => list.length)) : 1
  const rows: LookupRow[] = []
  for (let i = 0; i < count; i++) {
    const values = Object.fromEntries(
      entries.map(([name, value]) => [name, textOf(Array.isArray(value) ? value[i] : value)])
    )
    if (!Object.values(values).some((value) => value !== '')) continue
    const summary =
      fillReply(connector.replyTemplate, { ...inputs, ...values }) ||
      Object.values(values).filter(Boolean).join(' · ')
    rows.push({ summary, values: withKeys(values) })
  }
  return rows
}

/** `{{variable}}` the row's summary, `{{variable.column}}` its columns. */
function rowVariables(variable: string, row: LookupRow) {
  const variables: Record<string, unknown> = { [variable]: row.summary }
  for (const [name, value] of Object.entries(row.values)) variables[`${variable}.${name}`] = value
  return variables
}

function resultVariables(variable: string, rows: LookupRow[]) {
  return {
    ...rowVariables(variable, rows[0]),
    [`${variable}.count`]: rows.length,
    [`${variable}.rows`]: rows.map((row) => ({ summary: row.summary, ...row.values })),
  }
}

async function lookUp(
  tenant: TenantContext,
  data: LookupData,
  session: FlowSession,
  loaded: Loaded
): Promise<{ rows: LookupRow[]; error: string | null }> {
  const limit = data.limit ?? LOOKUP_LIMIT.default
  if (data.source === 'dataset') {
    const dataset = await findDataset(tenant, data.source_id)
    if (!dataset || dataset.status !== 'ready') return { rows: [], error: 'dataset_unavailable' }
    const query = fill(data.query ?? '', session, loaded.contact)
    const found = await searchDataset(tenant, dataset, query, { k: limit })
    return { rows: found.results.map((hit) => datasetRow(dataset, hit.row)), error: null }
  }
  const connector = await findConnector(tenant, data.source_id)
  if (!connector) return { rows: [], error: 'connector_not_found' }
  const inputs = Object.fromEntries(
    Object.entries(data.params ?? {}).map(([name, template]) => [
      name,
      fill(String(template), session, loaded.contact),
    ])
  )
  const call = await callConnector(tenant, connector, inputs)
  if (!call.ok) return { rows: [], error: call.error?.code ?? 'connector_failed' }
  return { rows: connectorRows(connector, inputs, call.fields).slice(0, limit), error: null }
}

export async function runLookup(
  tenant: TenantContext,
  row: DueRow,
  session: FlowSession,
  loaded: Loaded,
  node: FlowNode,
  now: DateTime,
  reprompt: boolean
): Promise<Result> {
  const data = node.data as LookupData
  const earlier = offerOf(session)
  if (earlier && (reprompt || earlier.step === session.stepNo)) {
    return sendOffer(tenant, row, session, loaded, node, earlier, now)
  }
  const found = await lookUp(tenant, data, session, loaded)
  const detail = { source: data.source, found: found.rows.length, error: found.error }
  if (!found.rows.length) {
    return fallBack(tenant, session, loaded, node, now, { event: 'looked_up', detail })
  }
  const variables = resultVariables(data.variable, found.rows)
  if (!data.list) {
    const to = targetOf(loaded.graph, node, 'next')
    await moveSession(
      tenant,
      session,
      session.stepNo,
      { to, variables, log: { event: 'looked_up', detail } },
      now
    )
    return { found: found.rows.length }
  }
  const offered = found.rows.slice(0, LIST_LIMITS.rows)
  const values = valuesOf(session, variables)
  const contact = contactValues(loaded.contact)
  const offer: Offer = {
    step: session.stepNo,
    body: rowText(fillText(data.list.text, values, contact), LIST_LIMITS.body, '…'),
    button: rowText(data.list.button, LIST_LIMITS.button, '…'),
    choices: offered.map((result, i) => {
      // A row's own columns, and `summary`: its title and lines as the dataset's card shows them.
      const own = { ...values, summary: result.summary, ...result.values }
      const description = data.list!.description
        ? clip(fillText(data.list!.description, own, contact), LIST_LIMITS.rowDescription)
        : ''
      return {
        id: `row${session.stepNo}_${i + 1}`,
        title: rowText(fillText(data.list!.title, own, contact), LIST_LIMITS.rowTitle, `${i + 1}`),
        ...(description ? { description } : {}),
      }
    }),
    rows: offered,
  }
  if (!(await saveState(tenant, session, { offer }, variables))) return { stale: true }
  await tenant.transaction((trx) => logStep(trx, session, node.id, 'looked_up', now, detail))
  return sendOffer(tenant, row, session, loaded, node, offer, now)
}

/* ---------------------------------------------------------------- task */

/** What a resolved task says back to the flow: the outcome written, else the comment. */
function outcomeOf(task: Task) {
  const response = task.response
  const written = response?.values?.outcome
  if (typeof written === 'string' && written.trim()) return written.trim()
  return response?.comment?.trim() || response?.reason?.trim() || task.status
}

export async function runTask(
  tenant: TenantContext,
  row: DueRow,
  session: FlowSession,
  loaded: Loaded,
  node: FlowNode,
  now: DateTime
): Promise<Result> {
  const data = node.data as TaskData
  const minutes = data.timeout_minutes ?? TASK_TIMEOUT.default
  // From when the step was due, so a run again after a crash keeps the same timeout.
  const timeoutAt = row.dueAt.plus({ minutes })
  const title = fill(data.title, session, loaded.contact).slice(0, 200)
  const details = data.details ? fill(data.details, session, loaded.contact) : ''
  const input = {
    kind: TASK_KIND,
    title,
    description: details || null,
    contact_id: session.contactId,
    conversation_id: session.conversationId,
    components: [
      { type: 'text', text: details || title },
      {
        type: 'editable_text',
        name: 'outcome',
        label: 'Outcome (the flow continues with it)',
        value: '',
        multiline: true,
        max_length: 1000,
      },
    ],
    allowed: { edit: true },
    source: { type: 'flow' as const, ref: session.id },
    idempotency_key: `flow:${session.id}:${session.stepNo}`,
  }
  const assignee = loaded.conversation.assigneeId
  let opened
  try {
    opened = await createTask(
      tenant,
      { ...input, assignee: assignee ? { user_id: assignee } : null },
      systemActor
    )
  } catch (error) {
    // The conversation's assignee left the workspace: the task is the team's.
    if (!(error instanceof TaskError) || !assignee) throw error
    opened = await createTask(tenant, input, systemActor)
  }
  const task = opened.task
  const first = session.state?.task_id !== task.id
  const saved = await saveState(
    tenant,
    session,
    { task_id: task.id },
    {},
    // The session outlives the wait: its expiry runs from the timeout on.
    { expiresAt: timeoutAt.plus({ hours: loaded.flow.expiryHours }) }
  )
  if (!saved) return { stale: true }
  await tenant.transaction(async (trx) => {
    if (first) await logStep(trx, session, node.id, 'task_opened', now, { task_id: task.id })
    await scheduleDue(
      tenant,
      {
        kind: TASK_TIMEOUT_KIND,
        dedupeKey: `flowtask:${session.id}:${session.stepNo}`,
        dueAt: timeoutAt,
        contactId: session.contactId,
        refId: session.flowId,
        payload: { sessionId: session.id, stepNo: session.stepNo, taskId: task.id },
      },
      { client: trx }
    )
  })
  if (typeof data.text === 'string' && data.text.trim()) {
    const sent = await send(tenant, row, loaded, {
      type: 'text',
      text: fill(data.text, session, loaded.contact),
    })
    if (!sent.sent) logger.info({ reason: sent.reason }, 'flows: the waiting message was not sent')
  }
  // Resolved already (a run again after a crash, after a quick person): go on now.
  if (task.status !== 'pending') return resumeFromTask(tenant, session.id, task.id, now)
  return { waiting: node.id, task: task.id }
}

/**
 * A customer's message while the session waits at a task node for a
 * person: read by the flow (logged once by its id, so the assistant stays
 * silent as on the flow's own answers; the inbox shows it as any message,
 * and the task beside it), and answered by one acknowledgement per wait in
 * the customer's language: the next messages wait quietly for the person.
 * Null when the message was read before.
 */
export async function acknowledgeTaskWait(
  tenant: TenantContext,
  session: FlowSession,
  event: MessageReceivedEvent,
  now: DateTime
): Promise<{ sent: boolean } | null> {
  const logged = await tenant.transaction((trx) =>
    logStep(
      trx,
      session,
      session.currentNode,
      'held',
      now,
      { reason: 'task_wait', task_id: session.state.task_id },
      event.messageId
    )
  )
  if (!logged.rows.length) return null
  const loaded = await load(tenant, session)
  const node = loaded ? nodeById(loaded.graph, session.currentNode) : null
  if (!loaded || node?.type !== 'task') return { sent: false }
  // The customer's own words first (they wrote in Arabic: the answer is Arabic).
  const written = bookingLocaleOf(loaded.contact, event.text)
  const locale = written === 'ar' ? written : localeOf(loaded, node)
  try {
    // One per wait, however many messages and however often this runs: the key.
    await queueOutboundMessage(tenant, {
      conversationId: session.conversationId,
      content: { type: 'text', text: say(locale, 'task_ack') },
      authorType: 'system',
      idempotencyKey: `flowack:${session.id}:${session.stepNo}`,
    })
    return { sent: true }
  } catch (error) {
    if (!(error instanceof ChannelError)) throw error
    logger.info({ reason: error.code }, 'flows: the task wait was not acknowledged')
    return { sent: false }
  }
}

/**
 * Moves a session waiting at a task node on, by the task's resolution:
 * approved `next` (the outcome into the node's variable), else `fallback`.
 * Driven by `hitl:task_resolved` and by the timeout's due row; the move is
 * conditional on the step, so whichever comes first moves it, once.
 */
export async function resumeFromTask(
  tenant: TenantContext,
  sessionId: string,
  taskId: string,
  now: DateTime
): Promise<Result> {
  const session = await findSession(tenant, sessionId)
  if (!session || session.status !== 'active' || session.state?.task_id !== taskId) {
    return { stale: true }
  }
  const task = await findTask(tenant, taskId)
  if (!task) return { stale: true }
  if (task.status === 'pending') return { waiting: taskId }
  const loaded = await load(tenant, session)
  const node = loaded ? nodeById(loaded.graph, session.currentNode) : null
  if (!loaded || node?.type !== 'task') return { stale: true }
  const data = node.data as TaskData
  const timedOut = task.response?.by?.name === TIMEOUT_RESOLVER.name
  const outcome = outcomeOf(task)
  const log = {
    event: 'task_resolved',
    detail: { task_id: task.id, status: task.status, timed_out: timedOut },
  }
  let result: Result
  if (task.status === 'approved') {
    const variables = data.variable ? { [data.variable]: outcome } : {}
    const to = targetOf(loaded.graph, node, 'next')
    const moved = await moveSession(
      tenant,
      session,
      session.stepNo,
      { to, variables, answers: variables, log },
      now
    )
    result = moved ? { resumed: 'next' } : { stale: true }
  } else {
    result = await fallBack(tenant, session, loaded, node, now, log)
  }
  await cancelDue(
    tenant,
    { dedupePrefix: `flowtask:${session.id}:${session.stepNo}` },
    { reason: 'task resolved' }
  )
  return result
}

/** The timeout's due row: the flow stops waiting (the task is cancelled) and falls back. */
export async function runTaskTimeout(tenant: TenantContext, row: DueRow, now: DateTime) {
  const { sessionId, stepNo, taskId } = row.payload as {
    sessionId: string
    stepNo: number
    taskId: string
  }
  const session = await findSession(tenant, sessionId)
  const waiting = session?.status === 'active' && session.stepNo === stepNo
  // Pending still at its timeout, the task is cancelled: also when the
  // session ended meanwhile (stopped, handed off), no one waits for it.
  const task = await findTask(tenant, taskId)
  if (task?.status === 'pending') {
    try {
      await cancelTask(
        tenant,
        taskId,
        { by: TIMEOUT_RESOLVER, audit: systemActor },
        waiting
          ? 'The flow stopped waiting: the task timed out'
          : 'The flow this task was for has ended'
      )
    } catch (error) {
      // Resolved by a person at this very moment: their decision stands.
      if (!(error instanceof TaskError)) throw error
    }
  }
  if (!waiting) return { stale: true }
  return resumeFromTask(tenant, sessionId, taskId, now)
}

registerDueHandler(TASK_TIMEOUT_KIND, (tenant, row, { now }) => runTaskTimeout(tenant, row, now))

/** A flow's task resolved (by a person, the API, the timeout): its session goes on. */
export function registerFlowNodeListeners() {
  emitter.on('hitl:task_resolved', async (event) => {
    if (event.kind !== TASK_KIND || event.sourceType !== 'flow' || !event.sourceRef) return
    try {
      const tenant = await usableTenantContext(event.tenant)
      if (tenant) await resumeFromTask(tenant, event.sourceRef, event.taskId, clock.now())
    } catch (error) {
      logger.error({ err: error }, 'flows: resuming after a task failed')
    }
  })
}

/* -------------------------------------------------------------- enroll */

export async function runEnroll(
  tenant: TenantContext,
  row: DueRow,
  session: FlowSession,
  loaded: Loaded,
  node: FlowNode,
  now: DateTime
): Promise<Result> {
  const sequenceId = String((node.data as EnrollData).sequence_id ?? '')
  let detail: Record<string, unknown>
  try {
    const enrollment = await enrollInSequence(tenant, sequenceId, session.contactId, 'flow', {
      now,
    })
    detail = { enrolled: true, enrollment_id: enrollment.id, sequence_id: sequenceId }
  } catch (error) {
    const code =
      error instanceof SequenceError
        ? String(error.code ?? 'refused')
        : (error as { code?: string })?.code === 'E_ROW_NOT_FOUND'
          ? 'sequence_not_found'
          : null
    if (!code) throw error
    // A run again after a crash meets the enrollment its first run made.
    const enrollments =
      code === 'already_enrolled' ? await enrollmentsOfContact(tenant, session.contactId) : []
    const mine = enrollments.find(
      (e) =>
        e.sequenceId === sequenceId &&
        e.status === 'active' &&
        e.source === 'flow' &&
        e.enrolledAt >= row.dueAt
    )
    detail = mine
      ? { enrolled: true, enrollment_id: mine.id, sequence_id: sequenceId }
      : { enrolled: false, reason: code, sequence_id: sequenceId }
  }
  const to = targetOf(loaded.graph, node, 'next')
  await moveSession(
    tenant,
    session,
    session.stepNo,
    { to, log: { event: detail.enrolled ? 'enrolled' : 'not_enrolled', detail } },
    now
  )
  return detail
}

/* ------------------------------------------------------------- booking */

function bookingVariables(
  tenant: TenantContext,
  variable: string,
  booking: Booking,
  service: BookingServiceRecord,
  locale: BookingLocale
) {
  const start = customerTime(booking, locale)
  return {
    [variable]: `${service.name}, ${start}`,
    [`${variable}.id`]: booking.id,
    [`${variable}.start`]: start,
    [`${variable}.start_iso`]: booking.startsAt.toISOString(),
    [`${variable}.end_iso`]: booking.endsAt.toISOString(),
    [`${variable}.service`]: service.name,
    [`${variable}.time_zone`]: booking.timeZone,
    [`${variable}.ics`]: bookingIcsUrl(tenant, booking.id),
  }
}

export async function runBooking(
  tenant: TenantContext,
  row: DueRow,
  session: FlowSession,
  loaded: Loaded,
  node: FlowNode,
  now: DateTime,
  reprompt: boolean
): Promise<Result> {
  const earlier = offerOf(session)
  if (earlier && typeof session.state.pick === 'string') {
    return bookPicked(tenant, row, session, loaded, node, earlier, now)
  }
  if (earlier && (reprompt || earlier.step === session.stepNo)) {
    return sendOffer(tenant, row, session, loaded, node, earlier, now)
  }
  return offerSlots(tenant, row, session, loaded, node, now)
}

async function offerSlots(
  tenant: TenantContext,
  row: DueRow,
  session: FlowSession,
  loaded: Loaded,
  node: FlowNode,
  now: DateTime
): Promise<Result> {
  const data = node.data as BookingData
  const taken = Number(session.state?.taken ?? 0)
  const service = await findBookingService(tenant, data.service_id)
  if (!service || !service.active) {
    return fallBack(tenant, session, loaded, node, now, {
      event: 'no_slots',
      detail: { reason: 'service_unavailable' },
    })
  }
  const zone = validZone(loaded.contact.timeZone)
  const days = Math.min(data.days ?? BOOKING_DAYS.default, BOOKING_DAYS.max)
  const free = await findSlots(tenant, {
    serviceId: service.id,
    from: now.toJSDate(),
    to: now.plus({ days }).toJSDate(),
    timeZone: zone,
    contactId: session.contactId,
    memberId: data.member_id || null,
  })
  const slots = free.slice(0, LIST_LIMITS.rows)
  if (!slots.length) {
    return fallBack(tenant, session, loaded, node, now, {
      event: 'no_slots',
      detail: { reason: 'none_free', days },
    })
  }
  await holdSlots(tenant, {
    serviceId: service.id,
    contactId: session.contactId,
    slots: slots.map((slot) => ({ start: slot.start, memberId: slot.memberIds[0] })),
  })
  const intro = taken ? data.taken_text : data.text
  const words = { service: service.name, zone, minutes: HOLD_MINUTES }
  const locale = localeOf(loaded, node)
  const body = intro?.trim()
    ? fill(intro, session, loaded.contact)
    : say(locale, taken ? 'booking_taken' : 'booking_offer', words)
  const offer: Offer = {
    step: session.stepNo,
    body: rowText(body, LIST_LIMITS.body, '…'),
    button: rowText(say(locale, 'booking_button'), LIST_LIMITS.button, '…'),
    choices: slots.map((slot, i) => ({
      id: `slot${session.stepNo}_${i + 1}`,
      title: slotRowTitle(slot.start, zone, locale),
      description: clip(`${service.name} · ${zone}`, LIST_LIMITS.rowDescription),
    })),
    slots: slots.map((slot) => ({ start: slot.start.toISOString(), memberId: slot.memberIds[0] })),
  }
  if (!(await saveState(tenant, session, { offer, taken }))) return { stale: true }
  return sendOffer(tenant, row, session, loaded, node, offer, now)
}

async function bookPicked(
  tenant: TenantContext,
  row: DueRow,
  session: FlowSession,
  loaded: Loaded,
  node: FlowNode,
  offer: Offer,
  now: DateTime
): Promise<Result> {
  const data = node.data as BookingData
  const variable = data.variable || 'booking'
  const index = offer.choices.findIndex((choice) => choice.id === session.state.pick)
  const slot = offer.slots?.[index]
  const service = await findBookingService(tenant, data.service_id)
  if (!slot || !service) {
    return fallBack(tenant, session, loaded, node, now, {
      event: 'no_slots',
      detail: { reason: 'service_unavailable' },
    })
  }
  const start = new Date(slot.start)
  // A run again after a crash meets the booking its first run made.
  const upcoming = await upcomingBookingsOf(tenant, session.contactId)
  let booking: Booking | undefined = upcoming.find(
    (b) => b.serviceId === service.id && b.startsAt.getTime() === start.getTime()
  )
  if (!booking) {
    try {
      booking = await bookSlot(tenant, {
        serviceId: service.id,
        contactId: session.contactId,
        start,
        memberId: data.member_id || null,
        source: 'flow',
        confirm: false,
      })
    } catch (error) {
      if (!(error instanceof BookingError) || error.code === 'invalid') throw error
      const taken = Number(session.state.taken ?? 0) + 1
      const log = { event: 'slot_taken', detail: { start: slot.start, taken, code: error.code } }
      if (error.code === 'not_found' || taken >= TAKEN_LIMIT) {
        // The times still held for the customer go back to everyone.
        if (error.code !== 'not_found') {
          await holdSlots(tenant, {
            serviceId: service.id,
            contactId: session.contactId,
            slots: [],
          })
        }
        return fallBack(tenant, session, loaded, node, now, log)
      }
      // Offered again: the times free now, with a word on the one lost.
      await moveSession(
        tenant,
        session,
        session.stepNo,
        { to: node.id, state: { taken }, log },
        now
      )
      return { taken }
    }
  }
  const variables = bookingVariables(tenant, variable, booking, service, localeOf(loaded, node))
  const text = data.confirm_text?.trim()
    ? fillText(data.confirm_text, valuesOf(session, variables), contactValues(loaded.contact))
    : bookingMessageText(booking, service.name, 'confirmation', tenant, localeOf(loaded, node))
  const sent = await send(tenant, row, loaded, { type: 'text', text })
  if (!sent.sent)
    logger.info({ reason: sent.reason }, 'flows: the booking confirmation was not sent')
  const to = targetOf(loaded.graph, node, 'next')
  await moveSession(
    tenant,
    session,
    session.stepNo,
    {
      to,
      variables,
      answers: { [variable]: variables[variable] },
      log: { event: 'booked', detail: { booking_id: booking.id, start: slot.start } },
    },
    now
  )
  return { booked: booking.id }
}
