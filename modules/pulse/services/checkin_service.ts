import { errors as lucidErrors } from '@adonisjs/lucid'
import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { DateTime } from 'luxon'
import { clock } from '#app/clock'
import { messageById, type MessageReceivedEvent } from '#modules/channels/index'
import { contactAudienceSql, contactById, contactIn } from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import CheckinPlan from '../models/checkin_plan.js'
import { cancelDue, scheduleDue, sendGuard, type DueRow } from './scheduler.js'
import { sendOutreach } from './outreach_send.js'
import { localDate, localWeek, nextLocalSlot } from './rule_times.js'

/*
| Daily check-ins (accountability). A plan asks its enrolled contacts a
| question with reply buttons on chosen weekdays at a local time; each
| (plan, contact, local day) is one due row and one `checkins` row, so it
| is asked once a day. The tapped button (its id names the check-in) is the
| answer; a template's quick reply or a typed answer is matched by its
| title to the contact's open check-in of the last 24 hours. The first
| button keeps the streak going, a third "Skip" button neither keeps nor
| breaks it, anything else (or no answer) breaks it. No answer after N
| hours earns one nudge; an answer other than the first gets the plan's
| follow-up question.
*/

export const CHECKIN_KIND = 'pulse.checkin'
export const CHECKIN_NUDGE_KIND = 'pulse.checkin_nudge'
/** A contact who left this many asked check-ins in a row unanswered has gone quiet. */
export const QUIET_AFTER = 3

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const BUTTON_ID = /^checkin:(\d+):(\d)$/

export interface CheckinAnsweredEvent {
  tenant: string
  tenantId: string
  checkinId: string
  planId: string
  contactId: string
  answer: string
}

declare module '@adonisjs/core/types' {
  interface EventsList {
    'checkin:answered': CheckinAnsweredEvent
  }
}

export interface CheckinPlanInput {
  name: string
  enabled: boolean
  days: number[]
  localTime: string
  question: string
  answers: string[]
  followUp: string | null
  nudgeAfterHours: number | null
  nudgeText: string | null
  tag: string | null
  channelId: string | null
  templateName: string | null
  templateLanguage: string | null
  templateVariables: string[]
}

export function listCheckinPlans(tenant: TenantContext) {
  return tenant.transaction((trx) =>
    CheckinPlan.query({ client: trx }).orderBy('created_at').orderBy('id')
  )
}

export async function findCheckinPlanOrFail(tenant: TenantContext, id: string) {
  const plan = UUID.test(id)
    ? await tenant.transaction((trx) => CheckinPlan.find(id, { client: trx }))
    : null
  if (!plan) throw new lucidErrors.E_ROW_NOT_FOUND()
  return plan
}

export async function saveCheckinPlan(
  tenant: TenantContext,
  id: string | null,
  input: CheckinPlanInput
) {
  const plan = id ? await findCheckinPlanOrFail(tenant, id) : new CheckinPlan()
  await tenant.transaction(async (trx) => {
    plan.useTransaction(trx)
    plan.merge({
      ...input,
      tag: input.tag?.trim().toLowerCase() || null,
      days: [...new Set(input.days)].sort(),
    })
    await plan.save()
  })
  if (plan.tag) await enrollTagged(tenant, plan)
  await rescheduleAll(tenant, plan)
  return plan
}

/** Everyone tagged with the plan's tag is enrolled (those already in stay). */
async function enrollTagged(tenant: TenantContext, plan: CheckinPlan) {
  await tenant.transaction(async (trx) => {
    const select = await contactAudienceSql(trx, {
      filter: { match: 'all', conditions: [{ field: 'tag', op: 'has', value: plan.tag! }] },
    })
    await trx.rawQuery(
      `insert into checkin_enrollments (plan_id, contact_id, active)
       select ?, a.contact_id, true from (${select.sql}) a
       on conflict (plan_id, contact_id) do update set active = true`,
      [plan.id, ...select.bindings] as any[]
    )
  })
}

/** Every active enrollment's next check-in, from now (a plan's days or time changed). */
async function rescheduleAll(tenant: TenantContext, plan: CheckinPlan) {
  await cancelDue(tenant, { kind: CHECKIN_KIND, refId: plan.id }, { reason: 'the plan changed' })
  if (!plan.enabled) return
  const rows = await db.rawQuery(
    `select contact_id from ${tenant.table('checkin_enrollments')} where plan_id = ? and active`,
    [plan.id]
  )
  const now = clock.now()
  for (const row of rows.rows as Array<{ contact_id: string }>) {
    await scheduleNext(tenant, plan, row.contact_id, now)
  }
}

async function scheduleNext(
  tenant: TenantContext,
  plan: CheckinPlan,
  contactId: string,
  after: DateTime,
  client?: TransactionClientContract
) {
  const contact = await contactById(tenant, contactId)
  if (!contact || !plan.enabled || !plan.days.length) return null
  const slot = nextLocalSlot(after, contact.timeZone, plan.localTime, plan.days)
  await scheduleDue(
    tenant,
    {
      kind: CHECKIN_KIND,
      dedupeKey: `checkin:${plan.id}:${contactId}:${slot.day}`,
      dueAt: slot.at,
      contactId,
      refId: plan.id,
      payload: { planId: plan.id, contactId, day: slot.day },
    },
    { client, revive: true }
  )
  return slot
}

export async function enrollContact(tenant: TenantContext, planId: string, contactId: string) {
  const plan = await findCheckinPlanOrFail(tenant, planId)
  const contact = UUID.test(contactId) ? await contactById(tenant, contactId) : null
  if (!contact) throw new lucidErrors.E_ROW_NOT_FOUND()
  await db.rawQuery(
    `insert into ${tenant.table('checkin_enrollments')} (plan_id, contact_id, active)
     values (?, ?, true) on conflict (plan_id, contact_id) do update set active = true`,
    [plan.id, contact.id]
  )
  return scheduleNext(tenant, plan, contact.id, clock.now())
}

export async function unenrollContact(tenant: TenantContext, planId: string, contactId: string) {
  const plan = await findCheckinPlanOrFail(tenant, planId)
  if (!UUID.test(contactId)) throw new lucidErrors.E_ROW_NOT_FOUND()
  await db.rawQuery(
    `update ${tenant.table('checkin_enrollments')} set active = false
      where plan_id = ? and contact_id = ?`,
    [plan.id, contactId]
  )
  await cancelDue(tenant, { kind: CHECKIN_KIND, refId: plan.id, contactId })
}

/** A contact's tags (or zone) changed: tag-driven plans enroll or drop them, and re-time. */
export async function syncTagEnrollments(tenant: TenantContext, contactId: string) {
  const plans = await tenant.transaction((trx) =>
    CheckinPlan.query({ client: trx }).whereNotNull('tag').where('enabled', true)
  )
  if (!plans.length) return
  const contact = await contactById(tenant, contactId)
  if (!contact) return
  for (const plan of plans) {
    if ((contact.tags ?? []).map((t) => t.toLowerCase()).includes(plan.tag!)) {
      await enrollContact(tenant, plan.id, contact.id)
    } else {
      await unenrollContact(tenant, plan.id, contact.id)
    }
  }
}

/** The scheduler's handler: ask today's check-in, then schedule the next one. */
export async function runCheckin(tenant: TenantContext, row: DueRow, { now }: { now: DateTime }) {
  const { planId, contactId, day } = row.payload as {
    planId: string
    contactId: string
    day: string
  }
  const plan = await tenant.transaction((trx) => CheckinPlan.find(planId, { client: trx }))
  if (!plan || !plan.enabled) return { skipped: 'plan_disabled' }
  const enrolled = await db.rawQuery(
    `select 1 from ${tenant.table('checkin_enrollments')}
      where plan_id = ? and contact_id = ? and active`,
    [planId, contactId]
  )
  if (!enrolled.rows.length) return { skipped: 'not_enrolled' }
  const checkinResult = await db.rawQuery(
    `insert into ${tenant.table('checkins')} (plan_id, contact_id, day, status)
     values (?, ?, ?, 'sending')
     on conflict (plan_id, contact_id, day) do update set day = excluded.day
     returning id, status, message_id`,
    [planId, contactId, day]
  )
  const checkin = checkinResult.rows[0] as { id: string; status: string; message_id: string | null }
  const id = String(checkin.id)
  let result: Record<string, unknown> = { checkin: id }
  if (checkin.status === 'sending') {
    const outcome = row.messageId
      ? { sent: true as const, messageId: row.messageId }
      : await sendOutreach(tenant, {
          contactId,
          channelId: plan.channelId,
          text: plan.question,
          buttons: plan.answers.map((title, index) => ({ id: `checkin:${id}:${index}`, title })),
          template: {
            name: plan.templateName,
            language: plan.templateLanguage,
            variables: plan.templateVariables ?? [],
          },
          guard: sendGuard(tenant, row),
        })
    await db.rawQuery(
      `update ${tenant.table('checkins')}
          set status = ?, skip_reason = ?, message_id = ?, sent_at = ?
        where id = ? and status = 'sending'`,
      [
        outcome.sent ? 'sent' : 'skipped',
        outcome.sent ? null : outcome.reason,
        outcome.sent ? outcome.messageId : null,
        outcome.sent ? now.toJSDate() : null,
        id,
      ]
    )
    result = outcome.sent
      ? { ...result, sent: outcome.messageId }
      : { ...result, skipped: outcome.reason }
    if (outcome.sent && plan.nudgeAfterHours && plan.nudgeText?.trim()) {
      await scheduleDue(tenant, {
        kind: CHECKIN_NUDGE_KIND,
        dedupeKey: `checkin-nudge:${id}`,
        dueAt: now.plus({ hours: plan.nudgeAfterHours }),
        contactId,
        refId: plan.id,
        payload: { checkinId: id },
      })
    }
  }
  // The next one from this one's due time, so the chain keeps its local hour.
  await scheduleNext(tenant, plan, contactId, row.dueAt.plus({ minutes: 1 }))
  return result
}

/** The scheduler's handler: one reminder when a check-in is still unanswered. */
export async function runCheckinNudge(tenant: TenantContext, row: DueRow) {
  const checkinId = String(row.payload.checkinId)
  const checkinResult = await db.rawQuery(
    `select * from ${tenant.table('checkins')} where id = ?`,
    [checkinId]
  )
  const checkin = checkinResult.rows[0]
  if (!checkin || checkin.status !== 'sent') return { skipped: 'answered' }
  const plan = await tenant.transaction((trx) => CheckinPlan.find(checkin.plan_id, { client: trx }))
  if (!plan?.nudgeText?.trim()) return { skipped: 'no_nudge' }
  const outcome = row.messageId
    ? { sent: true as const, messageId: row.messageId }
    : await sendOutreach(tenant, {
        contactId: checkin.contact_id,
        channelId: plan.channelId,
        text: plan.nudgeText,
        buttons: plan.answers.map((title, index) => ({
          id: `checkin:${checkinId}:${index}`,
          title,
        })),
        guard: sendGuard(tenant, row),
      })
  if (outcome.sent) {
    await db.rawQuery(`update ${tenant.table('checkins')} set nudged_at = now() where id = ?`, [
      checkinId,
    ])
    return { sent: outcome.messageId }
  }
  return { skipped: outcome.reason }
}

/**
 * A customer's message may answer a check-in: a tapped button whose id
 * names it, or a quick reply / typed word matching one of the plan's
 * answers on the contact's open check-in of the last 24 hours.
 */
export async function recordCheckinAnswer(tenant: TenantContext, event: MessageReceivedEvent) {
  if (!['interactive', 'button', 'text'].includes(event.type)) return null
  let target: { id: string; index: number | null } | null = null
  if (event.type === 'interactive') {
    const message = await messageById(tenant, event.messageId)
    const match = String(message?.payload?.id ?? '').match(BUTTON_ID)
    if (match) target = { id: match[1], index: Number(match[2]) }
  }
  if (!target) {
    const text = event.text?.trim().toLowerCase()
    if (!text || text.length > 40) return null
    const openResult = await db.rawQuery(
      `select c.id, p.answers from ${tenant.table('checkins')} c
         join ${tenant.table('checkin_plans')} p on p.id = c.plan_id
        where c.contact_id = ? and c.status = 'sent' and c.sent_at >= ?
        order by c.sent_at desc limit 1`,
      [event.contactId, clock.now().minus({ hours: 24 }).toJSDate()]
    )
    const open = openResult.rows[0] as { id: string; answers: string[] } | undefined
    if (!open) return null
    const index = open.answers.findIndex((answer) => answer.trim().toLowerCase() === text)
    if (index < 0) return null
    target = { id: String(open.id), index }
  }
  const answeredResult = await db.rawQuery(
    `update ${tenant.table('checkins')} c
        set status = 'answered', answer = p.answers ->> ?::int, answer_index = ?,
            answered_at = ?
       from ${tenant.table('checkin_plans')} p
      where c.id = ? and p.id = c.plan_id and c.contact_id = ? and c.status = 'sent'
      returning c.id, c.plan_id, c.contact_id, c.answer`,
    [target.index, target.index, clock.now().toJSDate(), target.id, event.contactId]
  )
  const answered = answeredResult.rows[0] as
    { id: string; plan_id: string; contact_id: string; answer: string } | undefined
  if (!answered) return null
  await cancelDue(tenant, { dedupePrefix: `checkin-nudge:${answered.id}` })
  const plan = await tenant.transaction((trx) =>
    CheckinPlan.find(answered.plan_id, { client: trx })
  )
  if (plan?.followUp?.trim() && target.index !== 0 && !isSkip(plan, target.index)) {
    await sendOutreach(tenant, {
      contactId: answered.contact_id,
      conversationId: event.conversationId,
      text: plan.followUp,
      guard: { idempotencyKey: `checkin-follow-up:${answered.id}` },
    })
  }
  try {
    await emitter.emit('checkin:answered', {
      tenant: tenant.slug,
      tenantId: tenant.id,
      checkinId: String(answered.id),
      planId: answered.plan_id,
      contactId: answered.contact_id,
      answer: answered.answer,
    })
  } catch (error) {
    logger.error({ err: error }, 'checkin:answered listener failed')
  }
  return String(answered.id)
}

/** Three buttons: the last is "Skip", which neither keeps nor breaks a streak. */
function isSkip(plan: Pick<CheckinPlan, 'answers'>, index: number | null) {
  return plan.answers.length >= 3 && index === plan.answers.length - 1
}

export interface CheckinDay {
  day: string
  status: string
  answerIndex: number | null
}

/**
 * The run of check-ins kept, newest first: the first answer counts, a
 * "Skip" is neutral, anything else (or a past one unanswered) ends it.
 * Today's unanswered one does not break it yet.
 */
export function streakOf(
  plan: Pick<CheckinPlan, 'answers'>,
  days: CheckinDay[],
  today: string
): number {
  let streak = 0
  for (const day of [...days].sort((a, b) => (a.day < b.day ? 1 : -1))) {
    if (day.status === 'skipped') continue
    if (day.status !== 'answered') {
      if (day.day === today) continue
      break
    }
    if (day.answerIndex === 0) streak++
    else if (isSkip(plan, day.answerIndex)) continue
    else break
  }
  return streak
}

export interface CoachRow {
  contactId: string
  name: string | null
  phone: string | null
  today: { status: string; answer: string | null } | null
  streak: number
  lastAnsweredAt: string | null
  quiet: boolean
  week: { asked: number; done: number }
}

/** The coach's page: each enrolled client with today's answer, the streak, and who went quiet. */
export async function coachBoard(tenant: TenantContext, planId: string): Promise<CoachRow[]> {
  const plan = await findCheckinPlanOrFail(tenant, planId)
  const now = clock.now()
  return tenant.transaction(async (trx) => {
    const enrolledResult = await trx.rawQuery(
      `select e.contact_id from checkin_enrollments e where e.plan_id = ? and e.active
        order by e.created_at, e.contact_id limit 500`,
      [plan.id]
    )
    const enrolled = enrolledResult.rows as Array<{ contact_id: string }>
    const rows: CoachRow[] = []
    for (const { contact_id: contactId } of enrolled) {
      const contact = await contactIn(trx, contactId)
      if (!contact) continue
      const historyResult = await trx.rawQuery(
        `select to_char(day, 'YYYY-MM-DD') as day, status, answer, answer_index, answered_at
           from checkins where plan_id = ? and contact_id = ?
          order by day desc limit 60`,
        [plan.id, contactId]
      )
      const history = historyResult.rows as Array<Record<string, any>>
      const today = localDate(now, contact.timeZone)
      const weekStart = localWeek(now, contact.timeZone)
      const days = history.map((h) => ({
        day: h.day as string,
        status: h.status as string,
        answerIndex: h.answer_index as number | null,
      }))
      const todays = history.find((h) => h.day === today)
      const asked = history.filter((h) => h.status === 'sent' || h.status === 'answered')
      const recent = asked.filter((h) => h.day !== today).slice(0, QUIET_AFTER)
      const answeredAt = history.find((h) => h.answered_at)?.answered_at
      const thisWeek = asked.filter((h) => h.day >= weekStart)
      rows.push({
        contactId,
        name: contact.name || contact.profileName,
        phone: contact.phone,
        today: todays ? { status: todays.status, answer: todays.answer } : null,
        streak: streakOf(plan, days, today),
        lastAnsweredAt: answeredAt ? new Date(answeredAt).toISOString() : null,
        quiet: recent.length >= QUIET_AFTER && recent.every((h) => h.status !== 'answered'),
        week: {
          asked: thisWeek.length,
          done: thisWeek.filter((h) => h.status === 'answered' && h.answer_index === 0).length,
        },
      })
    }
    return rows
  })
}

/** The week in words, for the coach to send: asked, done, the streak. */
export function weeklySummaryText(
  row: Pick<CoachRow, 'name' | 'streak' | 'week'>,
  t: (key: string, values: Record<string, unknown>) => string
) {
  return t('outreach.checkins.summary_text', {
    name: row.name || '',
    done: row.week.done,
    asked: row.week.asked,
    streak: row.streak,
  })
}

/** Sends a client their weekly summary (once per plan, client and week). */
export async function sendWeeklySummary(
  tenant: TenantContext,
  planId: string,
  contactId: string,
  text: string
) {
  const plan = await findCheckinPlanOrFail(tenant, planId)
  const contact = UUID.test(contactId) ? await contactById(tenant, contactId) : null
  if (!contact) throw new lucidErrors.E_ROW_NOT_FOUND()
  const week = localWeek(clock.now(), contact.timeZone)
  return sendOutreach(tenant, {
    contactId,
    channelId: plan.channelId,
    text,
    template: {
      name: plan.templateName,
      language: plan.templateLanguage,
      variables: plan.templateVariables ?? [],
    },
    guard: { idempotencyKey: `checkin-summary:${plan.id}:${contactId}:${week}` },
  })
}

/** A check-in as its webhook presents it. */
export async function presentCheckin(trx: TransactionClientContract, checkinId: string) {
  const rowResult = await trx.rawQuery(
    `select c.id, c.plan_id, p.name as plan_name, c.contact_id, to_char(c.day, 'YYYY-MM-DD') as day,
            c.status, c.answer, c.answer_index, c.answered_at, c.sent_at, c.message_id
       from checkins c join checkin_plans p on p.id = c.plan_id where c.id = ?`,
    [checkinId]
  )
  const row = rowResult.rows[0]
  if (!row) return null
  const contact = await contactIn(trx, row.contact_id)
  return {
    id: String(row.id),
    plan: { id: row.plan_id, name: row.plan_name },
    contact: contact
      ? { id: contact.id, name: contact.name || contact.profileName, phone: contact.phone }
      : { id: row.contact_id, name: null, phone: null },
    day: row.day,
    status: row.status,
    answer: row.answer,
    answer_index: row.answer_index,
    sent_at: row.sent_at ? new Date(row.sent_at).toISOString() : null,
    answered_at: row.answered_at ? new Date(row.answered_at).toISOString() : null,
    message_id: row.message_id,
  }
}
