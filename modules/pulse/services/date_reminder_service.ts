import { errors as lucidErrors } from '@adonisjs/lucid'
import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { clock } from '#app/clock'
import {
  contactAudienceSql,
  contactById,
  lastConversationOfContact,
  listContactFields,
  type Contact,
} from '#modules/inbox/index'
import { createTask } from '#modules/hitl/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import DateRule from '../models/date_rule.js'
import { cancelDue, scheduleDue, sendGuard, type DueRow } from './scheduler.js'
import { sendOutreach } from './outreach_send.js'
import { localDayAt } from './rule_times.js'

/*
| Date reminders (renewals). A rule names a contact date field and offsets
| in days (-60, -30, -7) at a local time (10:00 in the contact's zone).
| Each (rule, contact, field value, offset) is one due row with that key,
| so it runs exactly once; when the date changes, the old value's pending
| rows are cancelled and the new value's scheduled (a time-zone change
| moves the pending ones). A reminder sends the rule's message (free-form
| in the window, its template after) and/or opens a "call about renewal"
| task for the conversation's assignee, marks the renewal "reminded" on
| the Renewals page and raises `renewal:due`.
*/

export const REMINDER_KIND = 'pulse.date_reminder'
export const RENEWAL_TASK_KIND = 'renewal_call'
export const RENEWAL_STATUSES = ['reminded', 'in_talks', 'renewed', 'lost'] as const
export type RenewalStatus = (typeof RENEWAL_STATUSES)[number]
export const RENEWALS_WINDOW_DAYS = 90

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DAY = /^\d{4}-\d{2}-\d{2}$/

export interface RenewalDueEvent {
  tenant: string
  tenantId: string
  ruleId: string
  contactId: string
  fieldKey: string
  fieldValue: string
  offsetDays: number
  reminderId: string
}

declare module '@adonisjs/core/types' {
  interface EventsList {
    'renewal:due': RenewalDueEvent
  }
}

export interface DateRuleInput {
  name: string
  enabled: boolean
  fieldKey: string
  offsets: number[]
  localTime: string
  channelId: string | null
  message: string | null
  templateName: string | null
  templateLanguage: string | null
  templateVariables: string[]
  createTask: boolean
  taskTitle: string | null
}

export function listDateRules(tenant: TenantContext) {
  return tenant.transaction((trx) =>
    DateRule.query({ client: trx }).orderBy('created_at').orderBy('id')
  )
}

export async function findDateRuleOrFail(tenant: TenantContext, id: string) {
  const rule = UUID.test(id)
    ? await tenant.transaction((trx) => DateRule.find(id, { client: trx }))
    : null
  if (!rule) throw new lucidErrors.E_ROW_NOT_FOUND()
  return rule
}

/** The workspace's date fields (what a rule may watch). */
export async function dateFieldsOf(tenant: TenantContext) {
  const fields = await listContactFields(tenant)
  return fields.filter((field) => field.type === 'date')
}

/** Saves a rule and brings every contact's reminders in line with it. */
export async function saveDateRule(tenant: TenantContext, id: string | null, input: DateRuleInput) {
  const rule = id ? await findDateRuleOrFail(tenant, id) : new DateRule()
  await tenant.transaction(async (trx) => {
    rule.useTransaction(trx)
    rule.merge({
      ...input,
      offsets: [...new Set(input.offsets)].sort((a, b) => a - b),
    })
    await rule.save()
  })
  await syncRuleReminders(tenant, rule)
  return rule
}

export async function deleteDateRule(tenant: TenantContext, id: string) {
  const rule = await findDateRuleOrFail(tenant, id)
  await cancelDue(tenant, { kind: REMINDER_KIND, refId: rule.id })
  await tenant.transaction((trx) => DateRule.query({ client: trx }).where('id', rule.id).delete())
  return rule
}

function reminderKey(ruleId: string, contactId: string, value: string, offset: number) {
  return `renewal:${ruleId}:${contactId}:${value}:${offset}`
}

/** The field's value as a day (YYYY-MM-DD), or null. */
export function dayValue(contact: Pick<Contact, 'attributes'>, fieldKey: string): string | null {
  const raw = contact.attributes?.[fieldKey]
  if (typeof raw !== 'string' || !DAY.test(raw)) return null
  return DateTime.fromISO(raw).isValid ? raw : null
}

/**
 * One contact's reminders of one rule, as the date now stands: pending rows
 * of another value are cancelled, each future offset of this value is
 * scheduled (or moved, or brought back); a row that already ran stays run.
 */
async function syncOne(
  tenant: TenantContext,
  rule: DateRule,
  contact: Pick<Contact, 'id' | 'attributes' | 'timeZone'>,
  now: DateTime
) {
  const value = rule.enabled ? dayValue(contact, rule.fieldKey) : null
  await tenant.transaction(async (trx) => {
    await cancelDue(
      tenant,
      { kind: REMINDER_KIND, dedupePrefix: `renewal:${rule.id}:${contact.id}:` },
      { client: trx, reason: 'the date or the rule changed' }
    )
    await trx.rawQuery(
      `update date_reminders set status = 'cancelled'
        where rule_id = ? and contact_id = ? and status = 'scheduled'`,
      [rule.id, contact.id]
    )
    if (!value) return
    for (const offset of rule.offsets) {
      const dueAt = localDayAt(value, contact.timeZone, rule.localTime, offset)
      if (!dueAt || dueAt <= now) continue
      const scheduled = await scheduleDue(
        tenant,
        {
          kind: REMINDER_KIND,
          dedupeKey: reminderKey(rule.id, contact.id, value, offset),
          dueAt,
          contactId: contact.id,
          refId: rule.id,
          payload: { ruleId: rule.id, contactId: contact.id, value, offset },
        },
        { client: trx, revive: true }
      )
      if (scheduled.status !== 'pending') continue
      await trx.rawQuery(
        `insert into date_reminders (rule_id, contact_id, field_value, offset_days, due_at, status)
         values (?, ?, ?, ?, ?, 'scheduled')
         on conflict (rule_id, contact_id, field_value, offset_days) do update
           set due_at = excluded.due_at, status = 'scheduled'
           where date_reminders.status in ('scheduled', 'cancelled')`,
        [rule.id, contact.id, value, offset, dueAt.toJSDate()]
      )
    }
  })
}

/** A contact was created or changed: its reminders follow its dates and zone. */
export async function syncContactReminders(tenant: TenantContext, contactId: string) {
  const rules = await listDateRules(tenant)
  if (!rules.length) return
  const contact = await contactById(tenant, contactId)
  if (!contact) return
  const now = clock.now()
  for (const rule of rules) await syncOne(tenant, rule, contact, now)
}

/** Every contact with the rule's field set, brought in line with the rule (a rule saved). */
export async function syncRuleReminders(tenant: TenantContext, rule: DateRule) {
  const now = clock.now()
  const rows = await tenant.transaction(async (trx) => {
    const select = await contactAudienceSql(trx, {
      filter: { match: 'all', conditions: [{ field: `attr.${rule.fieldKey}`, op: 'not_empty' }] },
    })
    const found = await trx.rawQuery(
      `select a.contact_id as id, a.attributes, a.time_zone from (${select.sql}) a`,
      select.bindings as any[]
    )
    return found.rows as Array<{
      id: string
      attributes: Record<string, unknown>
      time_zone: string | null
    }>
  })
  for (const row of rows) {
    await syncOne(
      tenant,
      rule,
      { id: row.id, attributes: row.attributes, timeZone: row.time_zone },
      now
    )
  }
  if (!rule.enabled) {
    await cancelDue(tenant, { kind: REMINDER_KIND, refId: rule.id })
  }
  return rows.length
}

async function recordReminder(
  tenant: TenantContext,
  key: { ruleId: string; contactId: string; value: string; offset: number },
  change: {
    status: string
    reason?: string | null
    messageId?: string | null
    taskId?: string | null
  }
) {
  const result = await db.rawQuery(
    `insert into ${tenant.table('date_reminders')}
       (rule_id, contact_id, field_value, offset_days, due_at, status, skip_reason, message_id,
        task_id, ran_at)
     values (?, ?, ?, ?, now(), ?, ?, ?, ?, now())
     on conflict (rule_id, contact_id, field_value, offset_days) do update
       set status = excluded.status, skip_reason = excluded.skip_reason,
           message_id = coalesce(excluded.message_id, ${tenant.table('date_reminders')}.message_id),
           task_id = coalesce(excluded.task_id, ${tenant.table('date_reminders')}.task_id),
           ran_at = now()
     returning id`,
    [
      key.ruleId,
      key.contactId,
      key.value,
      key.offset,
      change.status,
      change.reason ?? null,
      change.messageId ?? null,
      change.taskId ?? null,
    ]
  )
  return String(result.rows[0].id)
}

/** The scheduler's handler: one reminder at its offset. */
export async function runDateReminder(tenant: TenantContext, row: DueRow) {
  const { ruleId, contactId, value, offset } = row.payload as {
    ruleId: string
    contactId: string
    value: string
    offset: number
  }
  const key = { ruleId, contactId, value, offset }
  const rule = await tenant.transaction((trx) => DateRule.find(ruleId, { client: trx }))
  if (!rule || !rule.enabled) return { skipped: 'rule_disabled' }
  const contact = await contactById(tenant, contactId)
  if (!contact) return { skipped: 'contact_deleted' }
  if (dayValue(contact, rule.fieldKey) !== value) {
    await recordReminder(tenant, key, { status: 'cancelled', reason: 'date_changed' })
    return { skipped: 'date_changed' }
  }
  const earlierResult = await db.rawQuery(
    `select task_id, message_id from ${tenant.table('date_reminders')}
      where rule_id = ? and contact_id = ? and field_value = ? and offset_days = ?`,
    [ruleId, contactId, value, offset]
  )
  const earlier = earlierResult.rows[0] as
    { task_id: string | null; message_id: string | null } | undefined

  let messageId: string | null = row.messageId ?? earlier?.message_id ?? null
  let reason: string | null = null
  if (rule.message?.trim() && !messageId) {
    const outcome = await sendOutreach(tenant, {
      contactId,
      channelId: rule.channelId,
      text: rule.message,
      template: {
        name: rule.templateName,
        language: rule.templateLanguage,
        variables: rule.templateVariables ?? [],
      },
      guard: sendGuard(tenant, row),
    })
    if (outcome.sent) messageId = outcome.messageId
    else reason = outcome.reason
  }

  let taskId: string | null = earlier?.task_id ?? null
  if (rule.createTask && !taskId) {
    const conversation = await lastConversationOfContact(tenant, contactId)
    const who = contact.name || contact.profileName || contact.phone || ''
    const when = DateTime.fromISO(value).toFormat('yyyy-MM-dd')
    const { task } = await createTask(
      tenant,
      {
        kind: RENEWAL_TASK_KIND,
        title: (rule.taskTitle?.trim() || 'Call about renewal').slice(0, 200),
        description: `${who} · ${rule.fieldKey} ${when}`,
        priority: offset >= -7 ? 'high' : 'normal',
        assignee: conversation?.assigneeId
          ? { user_id: conversation.assigneeId }
          : { role: 'agent' },
        contact_id: contactId,
        conversation_id: conversation?.id ?? null,
        components: [
          {
            type: 'key_values',
            items: [
              { label: 'Contact', value: who || contactId },
              { label: rule.fieldKey, value: when },
              { label: 'Offset (days)', value: String(offset) },
            ],
          },
        ],
        action: { type: 'none' },
        source: { type: 'pulse', ref: row.dedupeKey },
      },
      systemActor
    )
    taskId = task.id
  }
  const status = messageId || taskId ? 'sent' : 'skipped'
  const reminderId = await recordReminder(tenant, key, {
    status,
    reason,
    messageId,
    taskId,
  })
  // The Renewals page shows it reminded, unless the team already moved it on.
  await db.rawQuery(
    `insert into ${tenant.table('renewal_statuses')} (field_key, contact_id, field_value, status)
     values (?, ?, ?, 'reminded') on conflict (field_key, contact_id, field_value) do nothing`,
    [rule.fieldKey, contactId, value]
  )
  try {
    await emitter.emit('renewal:due', {
      tenant: tenant.slug,
      tenantId: tenant.id,
      ruleId,
      contactId,
      fieldKey: rule.fieldKey,
      fieldValue: value,
      offsetDays: offset,
      reminderId,
    })
  } catch (error) {
    logger.error({ err: error }, 'renewal:due listener failed')
  }
  return { status, messageId, taskId, reason }
}

export interface RenewalRow {
  contactId: string
  name: string | null
  phone: string | null
  date: string
  daysLeft: number
  status: RenewalStatus | null
  lastReminder: { offset: number; at: string | null; status: string } | null
}

/**
 * The Renewals page: contacts whose date falls in the next 90 days (from
 * today in the workspace's clock), soonest first, with the team's status.
 */
export async function listRenewals(
  tenant: TenantContext,
  fieldKey: string,
  options: { status?: string | null; days?: number } = {}
): Promise<RenewalRow[]> {
  const today = clock.now().toUTC().startOf('day')
  const until = today.plus({ days: options.days ?? RENEWALS_WINDOW_DAYS })
  return tenant.transaction(async (trx) => {
    const select = await contactAudienceSql(trx, {
      filter: { match: 'all', conditions: [{ field: `attr.${fieldKey}`, op: 'not_empty' }] },
    })
    const status =
      options.status && (RENEWAL_STATUSES as readonly string[]).includes(options.status)
        ? options.status
        : null
    const result = await trx.rawQuery(
      `select c.contact_id, c.name, c.phone, to_char(c.day, 'YYYY-MM-DD') as day,
              r.status as renewal_status, last.offset_days, last.ran_at, last.status as reminder_status
         from (
         select a.contact_id, coalesce(nullif(a.name, ''), a.profile_name) as name, a.phone,
                (a.attributes ->> ?)::date as day
           from (${select.sql}) a
          where (a.attributes ->> ?) ~ '^\\d{4}-\\d{2}-\\d{2}$') c
       left join renewal_statuses r
              on r.field_key = ? and r.contact_id = c.contact_id and r.field_value = c.day
       left join lateral (
         select d.offset_days, d.ran_at, d.status from date_reminders d
           join date_rules dr on dr.id = d.rule_id and dr.field_key = ?
          where d.contact_id = c.contact_id and d.field_value = c.day and d.ran_at is not null
          order by d.ran_at desc limit 1) last on true
       where c.day between ?::date and ?::date ${status ? 'and r.status = ?' : ''}
       order by c.day, c.contact_id
       limit 500`,
      [
        fieldKey,
        ...select.bindings,
        fieldKey,
        fieldKey,
        fieldKey,
        today.toISODate(),
        until.toISODate(),
        ...(status ? [status] : []),
      ] as any[]
    )
    return (result.rows as Array<Record<string, any>>).map((row) => ({
      contactId: row.contact_id,
      name: row.name,
      phone: row.phone,
      date: row.day,
      daysLeft: Math.round(DateTime.fromISO(row.day, { zone: 'UTC' }).diff(today, 'days').days),
      status: row.renewal_status ?? null,
      lastReminder:
        row.offset_days === null || row.offset_days === undefined
          ? null
          : {
              offset: Number(row.offset_days),
              at: row.ran_at ? new Date(row.ran_at).toISOString() : null,
              status: row.reminder_status,
            },
    }))
  })
}

/** The team moves a renewal along (in talks, renewed, lost, or back to reminded). */
export async function setRenewalStatus(
  tenant: TenantContext,
  input: {
    fieldKey: string
    contactId: string
    date: string
    status: string
    userId: string | null
  }
) {
  if (!(RENEWAL_STATUSES as readonly string[]).includes(input.status)) {
    throw new lucidErrors.E_ROW_NOT_FOUND()
  }
  const contact = UUID.test(input.contactId) ? await contactById(tenant, input.contactId) : null
  if (!contact || !DAY.test(input.date) || dayValue(contact, input.fieldKey) !== input.date) {
    throw new lucidErrors.E_ROW_NOT_FOUND()
  }
  await db.rawQuery(
    `insert into ${tenant.table('renewal_statuses')}
       (field_key, contact_id, field_value, status, updated_by, updated_at)
     values (?, ?, ?, ?, ?, now())
     on conflict (field_key, contact_id, field_value) do update
       set status = excluded.status, updated_by = excluded.updated_by, updated_at = now()`,
    [input.fieldKey, input.contactId, input.date, input.status, input.userId]
  )
}
