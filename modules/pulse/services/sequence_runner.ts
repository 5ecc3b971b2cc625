import emitter from '@adonisjs/core/services/emitter'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { ChannelError, queueOutboundMessage, type OutboundContent } from '#modules/channels/index'
import {
  contactAudienceSql,
  contactForSend,
  contactsForSend,
  contactById,
  conversationForSend,
  editConversationLabels,
  updateContact,
  type Contact,
} from '#modules/inbox/index'
import { createTask } from '#modules/hitl/index'
import Segment from '../models/segment.js'
import {
  cancelDue,
  deferDue,
  registerDueHandler,
  scheduleDue,
  scheduleDueSql,
  scheduleDueSelectSql,
  sendGuard,
  type DueRow,
} from './scheduler.js'
import { addLocal, nextLocalTime } from './local_time.js'
import { quietUntil } from './campaign_schedule.js'
import {
  cachedChannel,
  cachedSequence,
  renderText,
  sendInBulk,
  sendPlan,
  type BulkOutcome,
  type BulkSend,
  type Loaded,
} from './sequence_sends.js'
import {
  END_STEP,
  SEGMENT_SWEEP_KIND,
  STEP_KIND,
  SequenceError,
  announceCompleted,
  completeEnrollment,
  enrollContact,
  enrollmentOf,
  exitEnrollment,
  findEnrollment,
  findSequence,
  eventSql,
  recordEvent,
  sequenceOf,
  stepKey,
  type Enrollment,
  type Sequence,
} from './sequence_service.js'
import { enterBranch, findStep, stepAfter, type Step } from './sequence_steps.js'

/*
| The sequence engine: each step of an enrollment is one due row of kind
| `sequence.step` (key `seq:<enrollment>:<step>[:<branch>]`). Its handler
| runs the step the enrollment stands at (a row for any other step is
| stale and does nothing), then moves the enrollment on and schedules the
| next step in one transaction. A row run twice (a worker died before
| "done") finds the enrollment already moved on, or re-sends nothing
| because the send is guarded by the row (scheduler.sendGuard).
*/

/**
 * What a batch of `sequence.step` rows needs, read in a few statements
 * (the prepare of the kind): their enrollments, and each contact with its
 * conversation on the sequence's channel. An enrollment with more than one
 * row in the batch is left out (its rows read it afresh, as one may move it).
 * The batch's template sends are then made in bulk (sequence_sends.ts): a
 * row's handler finds its outcome in `bulk` and only moves its enrollment on.
 */
export interface PreparedSteps {
  enrollments: Map<string, Enrollment>
  /** By `<channel id>:<contact id>`; null: no such contact. */
  loaded: Map<string, Loaded | null>
  /** By due row id: what the bulk send did for the row's send step. */
  bulk: Map<string, BulkOutcome>
  /** By due row id: rows the batch already moved on (advanceInSet), with their result. */
  advanced: Map<string, unknown>
}

export async function prepareSteps(
  tenant: TenantContext,
  rows: DueRow[],
  now: DateTime
): Promise<PreparedSteps> {
  const counts = new Map<string, number>()
  for (const row of rows) {
    const id = String(row.payload.enrollmentId ?? '')
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  const ids = [...counts].filter(([id, n]) => n === 1 && /^[0-9a-f-]{36}$/i.test(id))
  const enrollments = new Map<string, Enrollment>()
  const loaded = new Map<string, Loaded | null>()
  const prepared: PreparedSteps = { enrollments, loaded, bulk: new Map(), advanced: new Map() }
  if (!ids.length) return prepared
  const result = await db.rawQuery(
    `select * from ${tenant.table('sequence_enrollments')} where id = any(?::uuid[])`,
    [ids.map(([id]) => id)]
  )
  const byChannel = new Map<string, string[]>()
  for (const row of result.rows) {
    const enrollment = enrollmentOf(row)
    enrollments.set(enrollment.id, enrollment)
    if (enrollment.status !== 'active') continue
    const sequence = await cachedSequence(tenant, enrollment.sequenceId)
    if (!sequence?.channelId) continue
    byChannel.set(sequence.channelId, [
      ...(byChannel.get(sequence.channelId) ?? []),
      enrollment.contactId,
    ])
  }
  for (const [channelId, contactIds] of byChannel) {
    const found = await contactsForSend(tenant, contactIds, channelId)
    for (const contactId of contactIds) {
      loaded.set(`${channelId}:${contactId}`, found.get(contactId) ?? null)
    }
  }
  // Rows whose step runs as their handler would run it are done here, in
  // sets: the batch's template sends in bulk, then every plain move on
  // (after a send, at the end of a wait) in one statement.
  const sends: BulkSend[] = []
  const moves: Move[] = []
  for (const row of rows) {
    const plain = await plainStep(tenant, row, prepared)
    if (plain?.step.type === 'send') {
      const send = await bulkSendOf(tenant, row, plain, now)
      if (send) sends.push(send)
    } else if (plain?.step.type === 'wait') {
      const { enrollment, sequence, step } = plain
      const until = waitEnds(step, now, plain.loaded.contact.timeZone)
      const next = stepAfter(sequence.steps, step.id)
      // As advance(): no step after a wait already over completes (its handler).
      if (!next && until <= now) continue
      moves.push({
        row,
        enrollment,
        from: step,
        nextId: next ? next.id : END_STEP,
        dueAt: until,
        kind: 'waiting',
        detail: { type: step.type, until: until.toUTC().toISO() },
        result: { until: until.toISO() },
      })
    }
  }
  prepared.bulk = await sendInBulk(tenant, sends)
  for (const { row } of sends) {
    const outcome = prepared.bulk.get(row.id)
    const plain = outcome && !('retry' in outcome) && (await plainStep(tenant, row, prepared))
    const next = plain ? stepAfter(plain.sequence.steps, plain.step.id) : null
    // A send that ends the sequence completes through its handler.
    if (!plain || !next || !outcome) continue
    const kind = 'sent' in outcome && outcome.sent ? 'sent' : 'skipped'
    moves.push({
      row,
      enrollment: plain.enrollment,
      from: plain.step,
      nextId: next.id,
      dueAt: now,
      kind,
      detail: { type: plain.step.type, ...outcome },
      result: outcome,
    })
  }
  prepared.advanced = await advanceInSet(tenant, moves, now)
  return prepared
}

interface Plain {
  enrollment: Enrollment
  sequence: Sequence
  step: Step
  loaded: Loaded
}

/**
 * The row's enrollment, sequence, step and contact when its handler would
 * run the step itself (every check runSequenceStep makes before it, in the
 * same order, passes), else null: the handler then runs the row alone.
 */
async function plainStep(
  tenant: TenantContext,
  row: DueRow,
  prepared: PreparedSteps
): Promise<Plain | null> {
  const { enrollmentId, stepId, branch } = row.payload as Record<string, string | undefined>
  const enrollment = prepared.enrollments.get(enrollmentId ?? '')
  if (branch || !enrollment || !stepId || stepId === END_STEP) return null
  if (enrollment.status !== 'active' || enrollment.currentStep !== stepId) return null
  const sequence = await cachedSequence(tenant, enrollment.sequenceId)
  if (!sequence?.channelId || sequence.status !== 'active') return null
  const step = findStep(sequence.steps, stepId)
  if (!step) return null
  const loaded = prepared.loaded.get(`${sequence.channelId}:${enrollment.contactId}`)
  if (!loaded || loaded.contact.optIn === 'opted_out' || goalReached(sequence, loaded)) return null
  return { enrollment, sequence, step, loaded }
}

/** The row's template message when its send step would send one now, else null. */
async function bulkSendOf(
  tenant: TenantContext,
  row: DueRow,
  { sequence, step, loaded }: Plain,
  now: DateTime
): Promise<BulkSend | null> {
  if (row.messageId || !loaded.conversation || !sequence.channelId) return null
  const quiet = quietUntil(now, loaded.contact.timeZone, {
    start: sequence.quietStart,
    end: sequence.quietEnd,
  })
  if (quiet) return null
  const plan = await sendPlan(tenant, sequence, step, loaded, now)
  if (!('mode' in plan) || plan.mode !== 'template') return null
  const channel = await cachedChannel(tenant, sequence.channelId)
  const to = loaded.contact.phone ?? loaded.contact.waId
  if (channel?.type !== 'whatsapp' || channel.status !== 'active' || !to) return null
  if (loaded.conversation.channelId !== channel.id) return null
  return {
    row,
    channel,
    conversationId: loaded.conversation.id,
    contact: loaded.contact,
    name: plan.name,
    language: plan.language,
    variables: plan.variables,
  }
}

/** An enrollment's move on from a step, as advance() makes it. */
interface Move {
  row: DueRow
  enrollment: Enrollment
  from: Step
  nextId: string
  dueAt: DateTime
  /** The step's timeline entry. */
  kind: string
  detail: Record<string, unknown>
  /** What the row's handler returns. */
  result: unknown
}

/**
 * The batch's moves as advance() makes each (the step's timeline entry,
 * the conditional move, the next step's row), in one statement. Returns
 * each moved row's result; a row whose enrollment did not move (another
 * run got there first) is left to its handler.
 */
async function advanceInSet(
  tenant: TenantContext,
  moves: Move[],
  now: DateTime
): Promise<Map<string, unknown>> {
  if (!moves.length) return new Map()
  const result = await db.rawQuery(
    `with v as (
       select * from unnest(?::bigint[], ?::uuid[], ?::uuid[], ?::uuid[], ?::text[], ?::text[],
                            ?::timestamptz[], ?::text[], ?::jsonb[], ?::text[], ?::text[],
                            ?::jsonb[])
         as v(row_id, enrollment_id, contact_id, sequence_id, from_step, next_step,
              next_due, next_key, next_payload, event_kind, event_key, event_detail)),
     entries as (
       insert into ${tenant.table('sequence_events')}
         (enrollment_id, contact_id, step_id, kind, detail, at, dedupe_key)
       select enrollment_id, contact_id, from_step, event_kind, event_detail, ?::timestamptz,
              event_key
         from v
       on conflict (dedupe_key) do nothing),
     moved as (
       update ${tenant.table('sequence_enrollments')} e
          set current_step = v.next_step, waiting_step = null, updated_at = now()
         from v where e.id = v.enrollment_id and e.current_step = v.from_step and e.status = 'active'
       returning e.id),
     scheduled as (${scheduleDueSelectSql(
       tenant,
       `select ?::text, v.next_key, v.contact_id, v.sequence_id::text, v.next_due, v.next_payload
          from v join moved on moved.id = v.enrollment_id`
     )})
     select v.row_id from v join moved on moved.id = v.enrollment_id`,
    [
      moves.map((m) => m.row.id),
      moves.map((m) => m.enrollment.id),
      moves.map((m) => m.enrollment.contactId),
      moves.map((m) => m.enrollment.sequenceId),
      moves.map((m) => m.from.id),
      moves.map((m) => m.nextId),
      moves.map((m) => m.dueAt.toJSDate()),
      moves.map((m) => stepKey(m.enrollment.id, m.nextId)),
      moves.map((m) => JSON.stringify({ enrollmentId: m.enrollment.id, stepId: m.nextId })),
      moves.map((m) => m.kind),
      moves.map((m) => `${m.row.dedupeKey}:${m.kind}`),
      moves.map((m) => JSON.stringify(m.detail)),
      now.toJSDate(),
      STEP_KIND,
    ]
  )
  const byRow = new Map(moves.map((m) => [m.row.id, m.result]))
  return new Map(
    (result.rows as Array<{ row_id: string }>).map((r) => [
      String(r.row_id),
      byRow.get(String(r.row_id)),
    ])
  )
}

async function load(
  tenant: TenantContext,
  sequence: Sequence,
  contactId: string,
  prepared?: PreparedSteps
): Promise<Loaded | null> {
  const key = `${sequence.channelId}:${contactId}`
  if (sequence.channelId && prepared?.loaded.has(key)) return prepared.loaded.get(key)!
  if (sequence.channelId) {
    const { found } = await contactForSend(tenant, { id: contactId }, sequence.channelId)
    return found ? { contact: found.contact, conversation: found.conversation } : null
  }
  const contact = await contactById(tenant, contactId)
  return contact ? { contact, conversation: null } : null
}

function labelsOf(loaded: Loaded) {
  return new Set(
    [...(loaded.contact.tags ?? []), ...(loaded.conversation?.labels ?? [])].map((l) =>
      l.toLowerCase()
    )
  )
}

function fieldOf(contact: Contact, key: string): string | null {
  const builtIn: Record<string, unknown> = {
    name: contact.name,
    email: contact.email,
    phone: contact.phone,
    language: contact.language,
    time_zone: contact.timeZone,
  }
  const value = key in builtIn ? builtIn[key] : contact.attributes?.[key]
  return value === null || value === undefined || value === '' ? null : String(value)
}

export function goalReached(sequence: Sequence, loaded: Loaded) {
  const goal = sequence.goal
  if (!goal) return false
  if (goal.label) return labelsOf(loaded).has(goal.label)
  if (goal.field) {
    const value = fieldOf(loaded.contact, goal.field)
    return goal.value ? value?.toLowerCase() === goal.value.toLowerCase() : value !== null
  }
  return false
}

/** Whether a condition step holds for the contact (and the reply the enrollment last had). */
export function conditionHolds(step: Step, loaded: Loaded, reply: Enrollment['lastReply']) {
  let actual: string | null
  switch (step.on) {
    case 'label': {
      const label = (step.value || step.key || '').toLowerCase()
      const has = labelsOf(loaded).has(label)
      return step.op === 'neq' || step.op === 'not_exists' ? !has : has
    }
    case 'consent':
      actual = step.key === 'marketing' ? loaded.contact.marketingConsent : loaded.contact.optIn
      break
    case 'reply_text':
      actual = reply?.text ?? null
      break
    case 'reply_button':
      actual = reply && reply.type !== 'text' ? reply.text : null
      break
    default:
      actual = fieldOf(loaded.contact, step.key ?? '')
  }
  const expected = (step.value ?? '').toLowerCase()
  const value = actual?.toLowerCase() ?? null
  switch (step.op) {
    case 'exists':
      return value !== null
    case 'not_exists':
      return value === null
    case 'neq':
      return value !== expected
    case 'contains':
      return value !== null && value.includes(expected)
    default:
      return value === expected
  }
}

/** When a wait step ends, in the contact's zone (a weekday and time, or an amount of time). */
export function waitEnds(step: Step, from: DateTime, timeZone: string | null) {
  if (step.until) return nextLocalTime(from, timeZone, step.until.at, step.until.weekdays)
  return addLocal(from, timeZone, step.amount ?? 1, step.unit ?? 'days')
}

/**
 * Moves the enrollment from `fromId` to `next` (due at `dueAt`) in one
 * transaction; false when another run moved it first. No next step: the
 * enrollment completes (now, or after a final wait at `dueAt`).
 */
async function advance(
  tenant: TenantContext,
  enrollment: Enrollment,
  fromId: string,
  next: Step | null,
  dueAt: DateTime,
  now: DateTime,
  rowId: string,
  entry?: { sql: string; bindings: unknown[] }
) {
  if (!next && dueAt <= now) {
    if (entry) await db.rawQuery(entry.sql, entry.bindings as any[])
    const done = await tenant.transaction(async (trx) => {
      const result = await trx.rawQuery(
        `select 1 from sequence_enrollments where id = ? and current_step = ? and status = 'active' for update`,
        [enrollment.id, fromId]
      )
      if (!result.rows.length) return null
      return completeEnrollment(tenant, enrollment.id, now, trx, rowId)
    })
    if (done) await announceCompleted(tenant, done)
    return Boolean(done)
  }
  const nextId = next ? next.id : END_STEP
  // The move and the next step's row in one statement (atomic, one round trip).
  const schedule = scheduleDueSql(
    tenant,
    {
      kind: STEP_KIND,
      dedupeKey: stepKey(enrollment.id, nextId),
      dueAt,
      contactId: enrollment.contactId,
      refId: enrollment.sequenceId,
      payload: { enrollmentId: enrollment.id, stepId: nextId },
    },
    { gate: 'moved' }
  )
  // The step's timeline entry (when given) is written by the same statement.
  const result = await db.rawQuery(
    `with ${entry ? `entry as (${entry.sql}),` : ''}
     moved as (
       update ${tenant.table('sequence_enrollments')}
          set current_step = ?, waiting_step = null, updated_at = now()
        where id = ? and current_step = ? and status = 'active' returning id),
     scheduled as (${schedule.sql})
     select count(*)::int as moved from moved`,
    [...(entry?.bindings ?? []), nextId, enrollment.id, fromId, ...schedule.bindings] as any[]
  )
  return Number(result.rows[0]?.moved ?? 0) > 0
}

type Outcome = Record<string, unknown>

/** The due handler of `sequence.step`. */
export async function runSequenceStep(
  tenant: TenantContext,
  row: DueRow,
  now: DateTime,
  prepared?: PreparedSteps
): Promise<unknown> {
  // Run with its batch (prepareSteps): sent in bulk and moved on.
  if (prepared?.advanced.has(row.id)) return prepared.advanced.get(row.id)
  const { enrollmentId, stepId, branch } = row.payload as {
    enrollmentId: string
    stepId: string
    branch?: 'replied' | 'timeout'
  }
  const enrollment =
    prepared?.enrollments.get(enrollmentId) ?? (await findEnrollment(tenant, enrollmentId))
  if (!enrollment || enrollment.status !== 'active' || enrollment.currentStep !== stepId) {
    return { stale: true }
  }
  const sequence = await cachedSequence(tenant, enrollment.sequenceId)
  if (!sequence || sequence.status === 'archived') {
    await exitEnrollment(tenant, enrollment.id, 'sequence_archived', now, row.id)
    return { exited: 'sequence_archived' }
  }
  if (sequence.status === 'paused') return deferDue(now.plus({ minutes: 15 }), 'sequence paused')
  if (stepId === END_STEP) {
    await advance(tenant, enrollment, END_STEP, null, now, now, row.id)
    return { completed: true }
  }
  const step = findStep(sequence.steps, stepId)
  if (!step) {
    await exitEnrollment(tenant, enrollment.id, 'step_removed', now, row.id)
    return { exited: 'step_removed' }
  }
  const loaded = await load(tenant, sequence, enrollment.contactId, prepared)
  if (!loaded) {
    await exitEnrollment(tenant, enrollment.id, 'contact_deleted', now, row.id)
    return { exited: 'contact_deleted' }
  }
  if (loaded.contact.optIn === 'opted_out') {
    await exitEnrollment(tenant, enrollment.id, 'opted_out', now, row.id)
    return { exited: 'opted_out' }
  }
  if (goalReached(sequence, loaded)) {
    await exitEnrollment(tenant, enrollment.id, 'goal', now, row.id)
    return { exited: 'goal' }
  }
  const event = (kind: string, detail: Outcome = {}, suffix = '') =>
    recordEvent(tenant, {
      enrollmentId: enrollment.id,
      contactId: enrollment.contactId,
      stepId: step.id,
      kind,
      detail: { type: step.type, ...detail },
      at: now,
      dedupeKey: `${row.dedupeKey}:${kind}${suffix}`,
    })
  const next = () => stepAfter(sequence.steps, step.id)
  // The same entry as a statement for advance to run with its move.
  const entry = (kind: string, detail: Outcome = {}) =>
    eventSql(tenant, {
      enrollmentId: enrollment.id,
      contactId: enrollment.contactId,
      stepId: step.id,
      kind,
      detail: { type: step.type, ...detail },
      at: now,
      dedupeKey: `${row.dedupeKey}:${kind}`,
    })

  // A wait_reply's branch row: the reply (or the timeout) chose.
  if (branch) {
    if (branch === 'timeout') {
      const claimed = await db.rawQuery(
        `update ${tenant.table('sequence_enrollments')} set waiting_step = null, updated_at = now()
          where id = ? and waiting_step = ? and status = 'active' returning id`,
        [enrollment.id, step.id]
      )
      // A reply got there first: its own row goes on.
      if (!claimed.rows.length) return { stale: true }
    }
    await event('branch', { branch })
    const to = enterBranch(sequence.steps, step, branch)
    await advance(tenant, enrollment, step.id, to, now, now, row.id)
    return { branch }
  }

  switch (step.type) {
    case 'send': {
      // Sent with the batch (prepareSteps), or one at a time here.
      const bulk = prepared?.bulk.get(row.id)
      if (bulk && 'retry' in bulk) throw new Error(`WhatsApp send failed: ${bulk.retry}`)
      const quiet = quietUntil(now, loaded.contact.timeZone, {
        start: sequence.quietStart,
        end: sequence.quietEnd,
      })
      if (quiet && !bulk) return deferDue(quiet, 'quiet hours')
      const outcome: Outcome = bulk ?? (await sendStep(tenant, sequence, step, loaded, row, now))
      await advance(
        tenant,
        enrollment,
        step.id,
        next(),
        now,
        now,
        row.id,
        entry(outcome.sent ? 'sent' : 'skipped', outcome)
      )
      return outcome
    }
    case 'wait': {
      const until = waitEnds(step, now, loaded.contact.timeZone)
      await advance(
        tenant,
        enrollment,
        step.id,
        next(),
        until,
        now,
        row.id,
        entry('waiting', { until: until.toUTC().toISO() })
      )
      return { until: until.toISO() }
    }
    case 'wait_reply': {
      const until = waitEnds(step, now, loaded.contact.timeZone)
      await tenant.transaction(async (trx) => {
        const result = await trx.rawQuery(
          `update sequence_enrollments set waiting_step = ?, updated_at = now()
            where id = ? and current_step = ? and status = 'active' and waiting_step is null returning id`,
          [step.id, enrollment.id, step.id]
        )
        if (!result.rows.length) return
        await scheduleDue(
          tenant,
          {
            kind: STEP_KIND,
            dedupeKey: stepKey(enrollment.id, step.id, 'timeout'),
            dueAt: until,
            contactId: enrollment.contactId,
            refId: enrollment.sequenceId,
            payload: { enrollmentId: enrollment.id, stepId: step.id, branch: 'timeout' },
          },
          { client: trx }
        )
      })
      await event('waiting', { for: 'reply', until: until.toUTC().toISO() })
      return { waiting: until.toISO() }
    }
    case 'condition': {
      const holds = conditionHolds(step, loaded, enrollment.lastReply)
      await event('branch', { branch: holds ? 'then' : 'else' })
      await advance(
        tenant,
        enrollment,
        step.id,
        enterBranch(sequence.steps, step, holds ? 'then' : 'else'),
        now,
        now,
        row.id
      )
      return { branch: holds ? 'then' : 'else' }
    }
    case 'add_label':
    case 'remove_label': {
      const conversation =
        loaded.conversation ??
        (sequence.channelId
          ? await conversationOn(tenant, loaded.contact.id, sequence.channelId)
          : null)
      if (conversation) {
        await editConversationLabels(
          tenant,
          conversation.id,
          step.type === 'add_label' ? { add: [step.label!] } : { remove: [step.label!] },
          null
        )
        await event('ran', { label: step.label })
      } else {
        await event('skipped', { reason: 'no_conversation' })
      }
      await advance(tenant, enrollment, step.id, next(), now, now, row.id)
      return { label: step.label }
    }
    case 'set_field': {
      try {
        await updateContact(tenant, loaded.contact.id, {
          optIn: loaded.contact.optIn,
          attributes: { ...(loaded.contact.attributes ?? {}), [step.key!]: step.value },
        })
        await event('ran', { key: step.key, value: step.value })
      } catch (error) {
        await event('skipped', { reason: 'invalid_field', message: (error as Error).message })
      }
      await advance(tenant, enrollment, step.id, next(), now, now, row.id)
      return { field: step.key }
    }
    case 'create_task': {
      // Keyed by the step's row: a run after a crash (the task made, the
      // entry or the move not yet) meets the first task instead of opening another.
      const { task } = await createTask(
        tenant,
        {
          kind: 'sequence_task',
          title: renderText(step.title!, loaded.contact),
          description: step.note ? renderText(step.note, loaded.contact) : null,
          contact_id: loaded.contact.id,
          conversation_id: loaded.conversation?.id ?? null,
          components: [
            { type: 'text', text: renderText(step.note || step.title!, loaded.contact) },
          ],
          allowed: { edit: false },
          source: { type: 'pulse', ref: enrollment.id },
          idempotency_key: `pulse:${row.dedupeKey}`,
        },
        systemActor
      )
      await advance(
        tenant,
        enrollment,
        step.id,
        next(),
        now,
        now,
        row.id,
        entry('ran', { task_id: task.id })
      )
      return { task: true }
    }
    case 'handoff': {
      const conversation =
        loaded.conversation ??
        (sequence.channelId
          ? await conversationOn(tenant, loaded.contact.id, sequence.channelId)
          : null)
      await event('ran', { note: step.note ?? null })
      await exitEnrollment(tenant, enrollment.id, 'handoff', now, row.id)
      if (conversation) {
        await emitter.emit('handoff:requested', {
          tenant: tenant.slug,
          tenantId: tenant.id,
          conversationId: conversation.id,
          reason: 'sequence',
          requestedBy: 'assistant',
        })
      }
      return { handoff: true }
    }
    case 'enroll': {
      try {
        const other = await enrollContact(
          tenant,
          step.sequence_id!,
          loaded.contact.id,
          'sequence',
          { now }
        )
        await event('ran', { enrollment_id: other.id, sequence_id: step.sequence_id })
      } catch (error) {
        const reason =
          error instanceof SequenceError ? (error.code ?? 'refused') : 'sequence_not_found'
        await event('skipped', { reason, sequence_id: step.sequence_id })
      }
      await advance(tenant, enrollment, step.id, next(), now, now, row.id)
      return { enrolled: step.sequence_id }
    }
    case 'end': {
      await event('ran')
      await advance(tenant, enrollment, step.id, null, now, now, row.id)
      return { completed: true }
    }
  }
  return null
}

/**
 * A send step: free-form inside the 24-hour window, else its template
 * fallback, else skipped with the reason. Guarded by the due row: one
 * message however often the row runs.
 */
async function sendStep(
  tenant: TenantContext,
  sequence: Sequence,
  step: Step,
  loaded: Loaded,
  row: DueRow,
  now: DateTime
): Promise<Outcome> {
  if (row.messageId) return { sent: true, message_id: row.messageId, mode: 'again' }
  const plan = await sendPlan(tenant, sequence, step, loaded, now)
  if ('skip' in plan) return { sent: false, reason: plan.skip }
  const content: OutboundContent =
    plan.mode === 'free_form'
      ? { type: 'text', text: plan.text }
      : ({
          type: 'template',
          name: plan.name,
          language: plan.language,
          variables: plan.variables,
        } as OutboundContent)
  const conversation =
    loaded.conversation ?? (await conversationOn(tenant, loaded.contact.id, sequence.channelId!))
  if (!conversation) return { sent: false, reason: 'no_conversation' }
  // The rows already read go along: the send does not read them again.
  const channel = await cachedChannel(tenant, sequence.channelId!)
  try {
    const message = await queueOutboundMessage(tenant, {
      conversationId: conversation.id,
      content,
      authorType: 'system',
      ...(channel && conversation.channelId === channel.id
        ? { loaded: { conversation, contact: loaded.contact, channel } }
        : {}),
      ...sendGuard(tenant, row),
    })
    return { sent: true, mode: plan.mode, message_id: message.id }
  } catch (error) {
    if (error instanceof ChannelError) {
      if (error.code === 'precondition_failed') return { sent: false, reason: 'cancelled' }
      return { sent: false, reason: error.code ?? 'channel_error', message: error.message }
    }
    throw error
  }
}

/** A customer's message: the reply branch of a waiting enrollment, or the exit "when they reply". */
export async function onContactReply(
  tenant: TenantContext,
  contactId: string,
  reply: { text: string | null; type: string },
  now: DateTime
) {
  const result = await db.rawQuery(
    `select e.*, s.exit_on_reply from ${tenant.table('sequence_enrollments')} e
       join ${tenant.table('sequences')} s on s.id = e.sequence_id
      where e.contact_id = ? and e.status = 'active'`,
    [contactId]
  )
  for (const row of result.rows) {
    if (row.waiting_step) {
      const stepId = row.waiting_step as string
      await tenant.transaction(async (trx) => {
        const claimed = await trx.rawQuery(
          `update sequence_enrollments set waiting_step = null, last_reply = ?::jsonb, updated_at = now()
            where id = ? and waiting_step = ? and status = 'active' returning id`,
          [JSON.stringify({ ...reply, at: now.toISO() }), row.id, stepId]
        )
        if (!claimed.rows.length) return
        await cancelDue(
          tenant,
          { dedupePrefix: stepKey(row.id, stepId, 'timeout') },
          { client: trx, reason: 'replied' }
        )
        await scheduleDue(
          tenant,
          {
            kind: STEP_KIND,
            dedupeKey: stepKey(row.id, stepId, 'replied'),
            dueAt: now,
            contactId,
            refId: row.sequence_id,
            payload: { enrollmentId: row.id, stepId, branch: 'replied' },
          },
          { client: trx }
        )
      })
    } else if (row.exit_on_reply) {
      await exitEnrollment(tenant, row.id, 'replied', now)
    } else {
      await db.rawQuery(
        `update ${tenant.table('sequence_enrollments')} set last_reply = ?::jsonb where id = ?`,
        [JSON.stringify({ ...reply, at: now.toISO() }), row.id]
      )
    }
  }
}

/** Sequences whose triggers a moment matches, among those switched on. */
export async function activeSequencesWith(
  tenant: TenantContext,
  trigger: 'labels' | 'keywords' | 'campaign_ids' | 'segment_ids'
): Promise<Sequence[]> {
  const result = await db.rawQuery(
    `select * from ${tenant.table('sequences')}
      where status = 'active' and jsonb_array_length(coalesce(triggers->?, '[]'::jsonb)) > 0`,
    [trigger]
  )
  return result.rows.map(sequenceOf)
}

/** Enrolls unless the rules refuse; the refusal is not an error here (triggers fire often). */
export async function enrollQuietly(
  tenant: TenantContext,
  sequenceId: string,
  contactId: string,
  source: Parameters<typeof enrollContact>[3],
  now?: DateTime
) {
  try {
    return await enrollContact(tenant, sequenceId, contactId, source, { now })
  } catch (error) {
    if (error instanceof SequenceError) return null
    throw error
  }
}

/** The `sequence.segment_sweep` handler: contacts now in a trigger segment enter, then again in 5 minutes. */
async function sweepSegments(tenant: TenantContext, row: DueRow, now: DateTime) {
  const sequence = await findSequence(tenant, row.payload.sequenceId)
  if (!sequence || sequence.status !== 'active') return { stopped: true }
  let enrolled = 0
  for (const segmentId of sequence.triggers.segment_ids) {
    const ids = await tenant.transaction(async (trx) => {
      const segment = await Segment.find(segmentId, { client: trx })
      if (!segment) return []
      const audience = await contactAudienceSql(trx, { filter: segment.filter })
      const result = await trx.rawQuery(
        `select a.contact_id from (${audience.sql}) a
          where a.opt_in <> 'opted_out'
            and not exists (select 1 from sequence_enrollments e
                             where e.sequence_id = ? and e.contact_id = a.contact_id)
          limit 500`,
        [...audience.bindings, sequence.id] as any[]
      )
      return result.rows.map((r: any) => r.contact_id as string)
    })
    for (const id of ids)
      if (await enrollQuietly(tenant, sequence.id, id, 'segment', now)) enrolled++
  }
  const at = now.plus({ minutes: 5 })
  await scheduleDue(tenant, {
    kind: SEGMENT_SWEEP_KIND,
    dedupeKey: `seqseg:${sequence.id}:${at.toMillis()}`,
    dueAt: at,
    refId: sequence.id,
    payload: { sequenceId: sequence.id },
  })
  return { enrolled }
}

registerDueHandler(
  STEP_KIND,
  (tenant, row, { now, prepared }) =>
    runSequenceStep(tenant, row, now, prepared as PreparedSteps | undefined),
  { prepare: (tenant, rows, { now }) => prepareSteps(tenant, rows, now) }
)
registerDueHandler(SEGMENT_SWEEP_KIND, (tenant, row, { now }) => sweepSegments(tenant, row, now))

/** The contact's conversation on the channel (opened when there is none), or null. */
async function conversationOn(tenant: TenantContext, contactId: string, channelId: string) {
  const opened = await conversationForSend(tenant, contactId, channelId)
  return opened?.conversation ?? null
}
