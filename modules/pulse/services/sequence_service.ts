import { Exception } from '@adonisjs/core/exceptions'
import { errors as lucidErrors } from '@adonisjs/lucid'
import db from '@adonisjs/lucid/services/db'
import emitter from '@adonisjs/core/services/emitter'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { DateTime } from 'luxon'
import { clock } from '#app/clock'
import type { TenantContext } from '#modules/tenancy/index'
import { contactById } from '#modules/inbox/index'
import { cancelDue, dueRowsFor, scheduleDue } from './scheduler.js'
import { cleanSteps, type Step } from './sequence_steps.js'
import { clockMinutes } from './campaign_schedule.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const STEP_KIND = 'sequence.step'
export const SEGMENT_SWEEP_KIND = 'sequence.segment_sweep'
export const SEQUENCE_STATUSES = ['draft', 'active', 'paused', 'archived'] as const
export type SequenceStatus = (typeof SEQUENCE_STATUSES)[number]
export const ENROLL_SOURCES = [
  'label',
  'segment',
  'keyword',
  'campaign_reply',
  'api',
  'manual',
  'sequence',
  'flow',
] as const
export type EnrollSource = (typeof ENROLL_SOURCES)[number]
/** The step id of "finished waiting at the end": completes the enrollment. */
export const END_STEP = '$end'

/** A sequence or enrollment the rules refuse; `fields` by input name, for forms and the API. */
export class SequenceError extends Exception {
  constructor(
    code: string,
    message: string,
    readonly fields: Record<string, string> = {},
    status = 422
  ) {
    super(message, { code, status })
  }
}

export interface SequenceTriggers {
  labels: string[]
  segment_ids: string[]
  keywords: string[]
  campaign_ids: string[]
}

export interface Sequence {
  id: string
  name: string
  status: SequenceStatus
  channelId: string | null
  steps: Step[]
  triggers: SequenceTriggers
  exitOnReply: boolean
  goal: { label?: string; field?: string; value?: string } | null
  reentry: 'never' | 'after_cooldown'
  cooldownDays: number
  quietStart: number | null
  quietEnd: number | null
  createdAt: DateTime
  updatedAt: DateTime
}

export interface Enrollment {
  id: string
  sequenceId: string
  contactId: string
  status: 'active' | 'completed' | 'exited'
  source: EnrollSource
  currentStep: string | null
  waitingStep: string | null
  exitReason: string | null
  lastReply: { text: string | null; type: string; at: string } | null
  enrolledAt: DateTime
  endedAt: DateTime | null
}

const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value)
const when = (value: unknown) =>
  value ? DateTime.fromJSDate(value instanceof Date ? value : new Date(value as string)) : null

export function sequenceOf(row: any): Sequence {
  const triggers = json(row.triggers) ?? {}
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    channelId: row.channel_id ?? null,
    steps: json(row.steps) ?? [],
    triggers: {
      labels: triggers.labels ?? [],
      segment_ids: triggers.segment_ids ?? [],
      keywords: triggers.keywords ?? [],
      campaign_ids: triggers.campaign_ids ?? [],
    },
    exitOnReply: row.exit_on_reply,
    goal: json(row.goal) ?? null,
    reentry: row.reentry,
    cooldownDays: Number(row.cooldown_days ?? 0),
    quietStart: row.quiet_start ?? null,
    quietEnd: row.quiet_end ?? null,
    createdAt: when(row.created_at)!,
    updatedAt: when(row.updated_at)!,
  }
}

export function enrollmentOf(row: any): Enrollment {
  return {
    id: row.id,
    sequenceId: row.sequence_id,
    contactId: row.contact_id,
    status: row.status,
    source: row.source,
    currentStep: row.current_step ?? null,
    waitingStep: row.waiting_step ?? null,
    exitReason: row.exit_reason ?? null,
    lastReply: json(row.last_reply) ?? null,
    enrolledAt: when(row.enrolled_at)!,
    endedAt: when(row.ended_at),
  }
}

function notFound(): never {
  throw new lucidErrors.E_ROW_NOT_FOUND()
}

export async function listSequences(
  tenant: TenantContext
): Promise<Array<Sequence & { activeCount: number; completedCount: number }>> {
  const result = await db.rawQuery(
    `select s.*,
            (select count(*)::int from ${tenant.table('sequence_enrollments')} e
              where e.sequence_id = s.id and e.status = 'active') as active_count,
            (select count(*)::int from ${tenant.table('sequence_enrollments')} e
              where e.sequence_id = s.id and e.status = 'completed') as completed_count
       from ${tenant.table('sequences')} s order by s.created_at desc, s.id`
  )
  return result.rows.map((row: any) => ({
    ...sequenceOf(row),
    activeCount: row.active_count as number,
    completedCount: row.completed_count as number,
  }))
}

export async function findSequence(tenant: TenantContext, id: string, client?: Client) {
  if (!UUID.test(id)) return null
  const result = await (client ?? db).rawQuery(
    `select * from ${tenant.table('sequences')} where id = ?`,
    [id]
  )
  return result.rows[0] ? sequenceOf(result.rows[0]) : null
}

export async function findSequenceOrFail(tenant: TenantContext, id: string) {
  return (await findSequence(tenant, id)) ?? notFound()
}

type Client = TransactionClientContract | typeof db

export interface SequenceInput {
  name: string
  channelId?: string | null
  steps?: unknown
  triggers?: Partial<SequenceTriggers>
  exitOnReply?: boolean
  goal?: { label?: string; field?: string; value?: string } | null
  reentry?: 'never' | 'after_cooldown'
  cooldownDays?: number
  quiet?: { start: string | number | null; end: string | number | null }
  createdBy?: string | null
}

function list(values: unknown, max = 20) {
  const given = Array.isArray(values) ? values : typeof values === 'string' ? values.split(',') : []
  return [
    ...new Set(
      given
        .map((v) => (typeof v === 'string' ? v.trim().toLowerCase() : ''))
        .filter((v) => v.length && v.length <= 64)
    ),
  ].slice(0, max)
}

function minutesOf(value: string | number | null | undefined) {
  if (value === null || value === undefined || value === '') return null
  if (typeof value === 'number') return value >= 0 && value < 1440 ? Math.floor(value) : null
  return clockMinutes(value)
}

/** The columns of a sequence from its input, or a SequenceError naming the fields. */
function columnsOf(input: SequenceInput, current?: Sequence) {
  const fields: Record<string, string> = {}
  const name = (input.name ?? '').trim()
  if (!name) fields.name = 'Give the sequence a name'
  if (name.length > 120) fields.name = 'At most 120 characters'
  const stepProblems: Record<string, string> = {}
  const steps =
    input.steps === undefined ? (current?.steps ?? []) : cleanSteps(input.steps, stepProblems)
  Object.assign(fields, stepProblems)
  if (input.channelId && !UUID.test(input.channelId)) fields.channel_id = 'Choose a channel'
  const triggers = {
    labels: list(input.triggers?.labels ?? current?.triggers.labels),
    segment_ids: (input.triggers?.segment_ids ?? current?.triggers.segment_ids ?? []).filter(
      (id: string) => UUID.test(id)
    ),
    keywords: list(input.triggers?.keywords ?? current?.triggers.keywords),
    campaign_ids: (input.triggers?.campaign_ids ?? current?.triggers.campaign_ids ?? []).filter(
      (id: string) => UUID.test(id)
    ),
  }
  const cooldown = Number(input.cooldownDays ?? current?.cooldownDays ?? 0)
  if (!Number.isInteger(cooldown) || cooldown < 0 || cooldown > 3650) {
    fields.cooldown_days = 'From 0 to 3650 days'
  }
  const quietStart = input.quiet ? minutesOf(input.quiet.start) : (current?.quietStart ?? 21 * 60)
  const quietEnd = input.quiet ? minutesOf(input.quiet.end) : (current?.quietEnd ?? 9 * 60)
  if (input.quiet && (quietStart === null) !== (quietEnd === null)) {
    fields.quiet_start = 'Give both ends of the quiet hours, or neither'
  }
  let goal = input.goal === undefined ? (current?.goal ?? null) : input.goal
  if (goal && !goal.label?.trim() && !goal.field?.trim()) goal = null
  if (goal) {
    goal = goal.label?.trim()
      ? { label: goal.label.trim().toLowerCase() }
      : { field: goal.field!.trim(), value: (goal.value ?? '').trim() }
  }
  if (Object.keys(fields).length) {
    throw new SequenceError('validation_failed', Object.values(fields)[0], fields)
  }
  return {
    name,
    channel_id:
      input.channelId === undefined ? (current?.channelId ?? null) : input.channelId || null,
    steps: JSON.stringify(steps),
    triggers: JSON.stringify(triggers),
    exit_on_reply: input.exitOnReply ?? current?.exitOnReply ?? true,
    goal: goal ? JSON.stringify(goal) : null,
    reentry:
      input.reentry === 'after_cooldown'
        ? 'after_cooldown'
        : (input.reentry ?? current?.reentry ?? 'never'),
    cooldown_days: cooldown,
    quiet_start: quietStart,
    quiet_end: quietEnd,
  }
}

export async function createSequence(tenant: TenantContext, input: SequenceInput) {
  const columns = columnsOf(input)
  const result = await db
    .insertQuery()
    .withSchema(tenant.schema)
    .table('sequences')
    .insert({ ...columns, created_by: input.createdBy ?? null })
    .returning('*')
  return sequenceOf(result[0])
}

export async function updateSequence(tenant: TenantContext, id: string, input: SequenceInput) {
  const current = await findSequenceOrFail(tenant, id)
  const columns = columnsOf(input, current)
  const result = await db
    .from('sequences')
    .withSchema(tenant.schema)
    .where('id', id)
    .update({ ...columns, updated_at: new Date() })
    .returning('*')
  const sequence = sequenceOf(result[0])
  await scheduleSegmentSweep(tenant, sequence)
  return sequence
}

/** Replaces the steps only (the list editor's every change). */
export async function saveSteps(tenant: TenantContext, id: string, steps: Step[]) {
  const current = await findSequenceOrFail(tenant, id)
  return updateSequence(tenant, id, { name: current.name, steps })
}

export async function setSequenceStatus(tenant: TenantContext, id: string, status: SequenceStatus) {
  const current = await findSequenceOrFail(tenant, id)
  if (status === 'active' && !current.steps.length) {
    throw new SequenceError('no_steps', 'Add a step before turning the sequence on', {
      steps: 'Add a step first',
    })
  }
  await db
    .from('sequences')
    .withSchema(tenant.schema)
    .where('id', id)
    .update({ status, updated_at: new Date() })
  const sequence = { ...current, status }
  if (status === 'archived') {
    const active = await db
      .from('sequence_enrollments')
      .withSchema(tenant.schema)
      .where({ sequence_id: id, status: 'active' })
      .select('id')
    for (const row of active) await exitEnrollment(tenant, row.id, 'sequence_archived')
  }
  await scheduleSegmentSweep(tenant, sequence)
  return sequence
}

/** Segment entry is checked every five minutes while the sequence is on. */
export async function scheduleSegmentSweep(tenant: TenantContext, sequence: Sequence) {
  await cancelDue(tenant, { kind: SEGMENT_SWEEP_KIND, refId: sequence.id })
  if (sequence.status !== 'active' || !sequence.triggers.segment_ids.length) return
  const now = clock.now()
  await scheduleDue(tenant, {
    kind: SEGMENT_SWEEP_KIND,
    dedupeKey: `seqseg:${sequence.id}:${now.toMillis()}`,
    dueAt: now,
    refId: sequence.id,
    payload: { sequenceId: sequence.id },
  })
}

export async function deleteSequence(tenant: TenantContext, id: string) {
  await findSequenceOrFail(tenant, id)
  await cancelDue(tenant, { refId: id })
  await db.from('sequences').withSchema(tenant.schema).where('id', id).delete()
}

/** A timeline entry; with a dedupe key, written once however often the step runs. */
export interface EventEntry {
  enrollmentId: string
  contactId: string
  stepId?: string | null
  kind: string
  detail?: Record<string, unknown>
  at?: DateTime
  dedupeKey?: string | null
}

/** recordEvent's insert as a statement (for a CTE of the caller's own). */
export function eventSql(tenant: TenantContext, entry: EventEntry) {
  return {
    sql: `insert into ${tenant.table('sequence_events')}
            (enrollment_id, contact_id, step_id, kind, detail, at, dedupe_key)
          values (?::uuid, ?::uuid, ?::text, ?::text, ?::jsonb, ?::timestamptz, ?::text)
          on conflict (dedupe_key) do nothing`,
    bindings: [
      entry.enrollmentId,
      entry.contactId,
      entry.stepId ?? null,
      entry.kind,
      JSON.stringify(entry.detail ?? {}),
      (entry.at ?? clock.now()).toJSDate(),
      entry.dedupeKey ?? null,
    ] as unknown[],
  }
}

export async function recordEvent(tenant: TenantContext, entry: EventEntry, client?: Client) {
  const statement = eventSql(tenant, entry)
  await (client ?? db).rawQuery(statement.sql, statement.bindings as any[])
}

export function stepKey(enrollmentId: string, stepId: string, branch?: string) {
  return `seq:${enrollmentId}:${stepId}${branch ? `:${branch}` : ''}`
}

/**
 * Enrolls a contact: refused when the sequence is not on, the contact is
 * unknown or opted out, already enrolled, or its re-entry rule or cooldown
 * forbids another round. The first step is due at once.
 */
export async function enrollContact(
  tenant: TenantContext,
  sequenceId: string,
  contactId: string,
  source: EnrollSource,
  options: { now?: DateTime } = {}
): Promise<Enrollment> {
  const now = options.now ?? clock.now()
  const sequence = await findSequence(tenant, sequenceId)
  if (!sequence) notFound()
  const contact = await contactById(tenant, contactId)
  if (!contact) {
    throw new SequenceError(
      'contact_not_found',
      'No such contact',
      { contact_id: 'No such contact' },
      404
    )
  }
  if (sequence.status !== 'active') {
    throw new SequenceError('sequence_not_active', 'This sequence is not on', {}, 409)
  }
  if (contact.optIn === 'opted_out') {
    throw new SequenceError('contact_opted_out', 'This contact has opted out of messages', {}, 409)
  }
  const first = sequence.steps[0]
  const enrollment = await tenant.transaction(async (trx) => {
    const last = await trx.rawQuery(
      `select status, coalesce(ended_at, enrolled_at) as ended from sequence_enrollments
        where sequence_id = ? and contact_id = ? order by enrolled_at desc limit 1`,
      [sequenceId, contactId]
    )
    const previous = last.rows[0]
    if (previous?.status === 'active') {
      throw new SequenceError(
        'already_enrolled',
        'This contact is in the sequence already',
        {},
        409
      )
    }
    if (previous && sequence.reentry === 'never') {
      throw new SequenceError(
        'reentry_refused',
        'This sequence does not take a contact twice',
        {},
        409
      )
    }
    if (previous && sequence.cooldownDays > 0) {
      const ends = when(previous.ended)!.plus({ days: sequence.cooldownDays })
      if (ends > now) {
        throw new SequenceError(
          'cooldown',
          `This contact may enter again from ${ends.toUTC().toFormat('yyyy-MM-dd HH:mm')} UTC`,
          {},
          409
        )
      }
    }
    const inserted = await trx.rawQuery(
      `insert into sequence_enrollments (sequence_id, contact_id, status, source, current_step, enrolled_at)
       values (?, ?, 'active', ?, ?, ?)
       on conflict (sequence_id, contact_id) where status = 'active' do nothing
       returning *`,
      [sequenceId, contactId, source, first?.id ?? null, now.toJSDate()]
    )
    if (!inserted.rows[0]) {
      throw new SequenceError(
        'already_enrolled',
        'This contact is in the sequence already',
        {},
        409
      )
    }
    const row = enrollmentOf(inserted.rows[0])
    await recordEvent(
      tenant,
      { enrollmentId: row.id, contactId, kind: 'enrolled', detail: { source }, at: now },
      trx
    )
    if (first) {
      await scheduleDue(
        tenant,
        {
          kind: STEP_KIND,
          dedupeKey: stepKey(row.id, first.id),
          dueAt: now,
          contactId,
          refId: sequenceId,
          payload: { enrollmentId: row.id, stepId: first.id },
        },
        { client: trx }
      )
    }
    return row
  })
  if (!first) await completeEnrollment(tenant, enrollment.id, now)
  return enrollment
}

/** Ends an active enrollment early (reply, opt-out, handoff, goal, removed); false if it was not active. */
export async function exitEnrollment(
  tenant: TenantContext,
  enrollmentId: string,
  reason: string,
  now: DateTime = clock.now(),
  runningRowId: string | null = null
) {
  const ended = await tenant.transaction(async (trx) => {
    const result = await trx.rawQuery(
      `update sequence_enrollments
          set status = 'exited', exit_reason = ?, ended_at = ?, waiting_step = null, updated_at = now()
        where id = ? and status = 'active' returning *`,
      [reason, now.toJSDate(), enrollmentId]
    )
    const row = result.rows[0]
    if (!row) return null
    await cancelDue(
      tenant,
      { dedupePrefix: `seq:${enrollmentId}:` },
      { client: trx, reason, exceptId: runningRowId }
    )
    await recordEvent(
      tenant,
      {
        enrollmentId,
        contactId: row.contact_id,
        kind: 'exited',
        detail: { reason },
        at: now,
        dedupeKey: `end:${enrollmentId}`,
      },
      trx
    )
    return enrollmentOf(row)
  })
  return ended
}

export async function completeEnrollment(
  tenant: TenantContext,
  enrollmentId: string,
  now: DateTime = clock.now(),
  client?: TransactionClientContract,
  runningRowId: string | null = null
) {
  const work = async (trx: TransactionClientContract) => {
    const result = await trx.rawQuery(
      `update ${tenant.table('sequence_enrollments')}
          set status = 'completed', ended_at = ?, current_step = null, waiting_step = null,
              updated_at = now()
        where id = ? and status = 'active' returning *`,
      [now.toJSDate(), enrollmentId]
    )
    const row = result.rows[0]
    if (!row) return null
    await cancelDue(
      tenant,
      { dedupePrefix: `seq:${enrollmentId}:` },
      { client: trx, exceptId: runningRowId }
    )
    await recordEvent(
      tenant,
      {
        enrollmentId,
        contactId: row.contact_id,
        kind: 'completed',
        at: now,
        dedupeKey: `end:${enrollmentId}`,
      },
      trx
    )
    return enrollmentOf(row)
  }
  // Inside the caller's transaction the caller announces it once committed.
  if (client) return work(client)
  const done = await tenant.transaction(work)
  if (done) await announceCompleted(tenant, done)
  return done
}

export async function announceCompleted(tenant: TenantContext, done: Enrollment) {
  await emitter.emit('sequence:completed', {
    tenant: tenant.slug,
    tenantId: tenant.id,
    sequenceId: done.sequenceId,
    enrollmentId: done.id,
    contactId: done.contactId,
  })
}

/** Removes a contact from a sequence (the API's DELETE and the panel's button). */
export async function unenrollContact(
  tenant: TenantContext,
  sequenceId: string,
  contactId: string
) {
  await findSequenceOrFail(tenant, sequenceId)
  const active = await db
    .from('sequence_enrollments')
    .withSchema(tenant.schema)
    .where({ sequence_id: sequenceId, contact_id: contactId, status: 'active' })
    .select('id')
    .first()
  if (!active) return null
  return exitEnrollment(tenant, active.id, 'removed')
}

export async function activeEnrollmentsOf(
  tenant: TenantContext,
  contactId: string
): Promise<Enrollment[]> {
  if (!UUID.test(contactId)) return []
  const result = await db.rawQuery(
    `select * from ${tenant.table('sequence_enrollments')} where contact_id = ? and status = 'active'`,
    [contactId]
  )
  return result.rows.map(enrollmentOf)
}

/** A contact's enrollments, newest first, with their sequence's name. */
export async function enrollmentsOfContact(
  tenant: TenantContext,
  contactId: string
): Promise<Array<Enrollment & { sequenceName: string }>> {
  if (!UUID.test(contactId)) return []
  const result = await db.rawQuery(
    `select e.*, s.name as sequence_name from ${tenant.table('sequence_enrollments')} e
       join ${tenant.table('sequences')} s on s.id = e.sequence_id
      where e.contact_id = ? order by e.enrolled_at desc, e.id limit 100`,
    [contactId]
  )
  return result.rows.map((row: any) => ({
    ...enrollmentOf(row),
    sequenceName: row.sequence_name as string,
  }))
}

export async function findEnrollment(tenant: TenantContext, id: string, client?: Client) {
  const result = await (client ?? db).rawQuery(
    `select * from ${tenant.table('sequence_enrollments')} where id = ?`,
    [id]
  )
  return result.rows[0] ? enrollmentOf(result.rows[0]) : null
}

export interface TimelineEntry {
  at: DateTime
  sequenceName: string
  stepId: string | null
  kind: string
  detail: Record<string, any>
  upcoming: boolean
}

/** What ran for a contact, newest first, after what is next (pending steps, soonest first). */
export async function contactTimeline(tenant: TenantContext, contactId: string) {
  if (!UUID.test(contactId)) return { upcoming: [], past: [] }
  const past = await db.rawQuery(
    `select ev.*, s.name as sequence_name from ${tenant.table('sequence_events')} ev
       join ${tenant.table('sequence_enrollments')} e on e.id = ev.enrollment_id
       join ${tenant.table('sequences')} s on s.id = e.sequence_id
      where ev.contact_id = ? order by ev.at desc, ev.id desc limit 100`,
    [contactId]
  )
  const names = new Map<string, string>()
  const pending = await dueRowsFor(tenant, {
    contactId,
    kind: STEP_KIND,
    statuses: ['pending', 'claimed'],
  })
  for (const row of pending) {
    const id = row.refId!
    if (!names.has(id)) {
      const sequence = await findSequence(tenant, id)
      names.set(id, sequence?.name ?? '')
    }
  }
  const stepTypes = new Map<string, string>()
  for (const row of pending) {
    const sequence = row.refId ? await findSequence(tenant, row.refId) : null
    const { findStep } = await import('./sequence_steps.js')
    const step = sequence ? findStep(sequence.steps, row.payload.stepId) : null
    stepTypes.set(row.id, step?.type ?? (row.payload.stepId === END_STEP ? 'end' : ''))
  }
  return {
    upcoming: pending
      .sort((a, b) => a.dueAt.toMillis() - b.dueAt.toMillis())
      .map((row) => ({
        at: row.dueAt,
        sequenceName: names.get(row.refId!) ?? '',
        stepId: row.payload.stepId as string,
        kind: row.payload.branch ? `branch_${row.payload.branch}` : 'next',
        detail: { type: stepTypes.get(row.id) ?? '', branch: row.payload.branch ?? null },
        upcoming: true,
      })),
    past: past.rows.map((row: any) => ({
      at: when(row.at)!,
      sequenceName: row.sequence_name,
      stepId: row.step_id,
      kind: row.kind,
      detail: json(row.detail) ?? {},
      upcoming: false,
    })),
  }
}
