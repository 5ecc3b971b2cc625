import { errors as lucidErrors } from '@adonisjs/lucid'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import type aiConfig from '#config/ai'
import { clock } from '#app/clock'
import { loadMemory, memoryPrompt, openAiClient, type ContactMemory } from '#modules/brain/index'
import { conversationMessagesIn } from '#modules/channels/index'
import {
  contactAudienceSql,
  contactById,
  lastConversationOfContact,
  type Contact,
} from '#modules/inbox/index'
import { createTask, findTask, resolveTask } from '#modules/hitl/index'
import { systemActor, type TenantContext, type AuditActor } from '#modules/tenancy/index'
import { cancelDue, scheduleDue, sendGuard, type DueRow } from './scheduler.js'
import { sendOutreach } from './outreach_send.js'
import { localWeek, nextLocalSlot } from './rule_times.js'

/*
| The weekly Relational Pulse: once a week, in each enrolled contact's
| morning (their zone), a personal message drafted from what the business
| remembers about them (the brain's memory) and their latest messages:
| by the chat model when one is configured, else a template filled with
| remembered facts. It is sent at once, or (the default) waits in a batch of
| approval tasks (hitl) the team approves all at once, edits one by one, or
| skips. One draft per contact and week; sends follow the 24-hour rule.
*/

export const PULSE_KIND = 'pulse.relational'
export const PULSE_DRAFT_KIND = 'relational_pulse'

export interface PulseSettings {
  enabled: boolean
  weekday: number
  localTime: string
  tag: string
  requiresApproval: boolean
  instructions: string | null
  channelId: string | null
  templateName: string | null
  templateLanguage: string | null
  templateVariables: string[]
}

const DEFAULTS: PulseSettings = {
  enabled: false,
  weekday: 1,
  localTime: '09:00',
  tag: 'pulse',
  requiresApproval: true,
  instructions: null,
  channelId: null,
  templateName: null,
  templateLanguage: null,
  templateVariables: ['{{text}}'],
}

export async function readPulseSettings(tenant: TenantContext): Promise<PulseSettings> {
  const rowResult = await db.rawQuery(
    `select * from ${tenant.table('relational_pulse_settings')} where id = 1`
  )
  const row = rowResult.rows[0]
  if (!row) return { ...DEFAULTS }
  return {
    enabled: row.enabled,
    weekday: row.weekday,
    localTime: row.local_time,
    tag: row.tag,
    requiresApproval: row.requires_approval,
    instructions: row.instructions,
    channelId: row.channel_id,
    templateName: row.template_name,
    templateLanguage: row.template_language,
    templateVariables: row.template_variables ?? [],
  }
}

export async function savePulseSettings(tenant: TenantContext, input: PulseSettings) {
  await db.rawQuery(
    `insert into ${tenant.table('relational_pulse_settings')}
       (id, enabled, weekday, local_time, tag, requires_approval, instructions, channel_id,
        template_name, template_language, template_variables, updated_at)
     values (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, now())
     on conflict (id) do update set enabled = excluded.enabled, weekday = excluded.weekday,
       local_time = excluded.local_time, tag = excluded.tag,
       requires_approval = excluded.requires_approval, instructions = excluded.instructions,
       channel_id = excluded.channel_id, template_name = excluded.template_name,
       template_language = excluded.template_language,
       template_variables = excluded.template_variables, updated_at = now()`,
    [
      input.enabled,
      input.weekday,
      input.localTime,
      input.tag.trim().toLowerCase(),
      input.requiresApproval,
      input.instructions,
      input.channelId,
      input.templateName,
      input.templateLanguage,
      JSON.stringify(input.templateVariables),
    ]
  )
  await scheduleAllPulses(tenant)
}

/** Every tagged contact's next weekly pulse (settings saved); none when turned off. */
export async function scheduleAllPulses(tenant: TenantContext) {
  const settings = await readPulseSettings(tenant)
  await cancelDue(tenant, { kind: PULSE_KIND }, { reason: 'the pulse settings changed' })
  if (!settings.enabled) return 0
  const contacts = await tenant.transaction(async (trx) => {
    const select = await contactAudienceSql(trx, {
      filter: { match: 'all', conditions: [{ field: 'tag', op: 'has', value: settings.tag }] },
    })
    const found = await trx.rawQuery(
      `select a.contact_id, a.time_zone from (${select.sql}) a`,
      select.bindings as any[]
    )
    return found.rows as Array<{ contact_id: string; time_zone: string | null }>
  })
  const now = clock.now()
  for (const contact of contacts) {
    await schedulePulse(tenant, settings, contact.contact_id, contact.time_zone, now)
  }
  return contacts.length
}

async function schedulePulse(
  tenant: TenantContext,
  settings: PulseSettings,
  contactId: string,
  timeZone: string | null,
  after: DateTime
) {
  const slot = nextLocalSlot(after, timeZone, settings.localTime, [settings.weekday])
  const week = localWeek(slot.at, timeZone)
  await scheduleDue(
    tenant,
    {
      kind: PULSE_KIND,
      dedupeKey: `pulse:${contactId}:${week}`,
      dueAt: slot.at,
      contactId,
      refId: 'relational',
      payload: { contactId, week },
    },
    { revive: true }
  )
}

/** The offline draft: a warm template filled with what is remembered. */
export function templateDraft(
  contact: Pick<Contact, 'name' | 'profileName'>,
  memory: ContactMemory
) {
  const name =
    memory.facts.find((fact) => fact.kind === 'name')?.value ||
    contact.name ||
    contact.profileName ||
    ''
  const preference = memory.facts.find((fact) => fact.kind === 'preference')?.value
  const date = memory.facts.find((fact) => fact.kind === 'date')?.value
  const parts = [`Hi${name ? ` ${name.split(/\s+/)[0]}` : ''}, just checking in this week.`]
  if (preference) parts.push(`We remembered you mentioned: ${preference}.`)
  if (date) parts.push(`We have ${date} noted; tell us if anything changed.`)
  parts.push('Is there anything we can help you with?')
  return parts.join(' ')
}

const SYSTEM_PROMPT = `You write one short, warm WhatsApp message from a small business to one of its customers, for a weekly personal check-in.
Use only what the notes say about the customer; never invent facts, prices or promises. At most 60 words, no greeting card clichés, no links, in the language the customer writes in. Answer with the message text only.`

/** The week's draft: by the chat model when configured (falls back offline on any failure). */
export async function draftFor(
  tenant: TenantContext,
  contact: Contact,
  instructions: string | null
): Promise<{ text: string; source: 'model' | 'template' }> {
  // Read before the transaction: a second connection taken inside it could wait on a full pool.
  const conversation = await lastConversationOfContact(tenant, contact.id)
  const { memory, recent } = await tenant.transaction(async (trx) => {
    const remembered = await loadMemory(trx, contact.id)
    const messages = conversation ? await conversationMessagesIn(trx, conversation.id, 10) : []
    const said = messages.filter((m) => m.body && !m.isNote)
    return { memory: remembered, recent: said.reverse() }
  })
  const config = app.config.get<typeof aiConfig>('ai')
  if (config.baseUrl && config.chatModel) {
    try {
      const notes = memoryPrompt(memory) || '(nothing remembered yet)'
      const talk = recent
        .map(
          (m) =>
            `${m.direction === 'inbound' ? 'Customer' : 'Team'}: ${m.body!.replace(/\s+/g, ' ').slice(0, 300)}`
        )
        .join('\n')
      const completion = await openAiClient(config).chat.completions.create({
        model: config.chatModel,
        temperature: 0.4,
        messages: [
          {
            role: 'system',
            content: SYSTEM_PROMPT + (instructions ? `\nThe business asks: ${instructions}` : ''),
          },
          {
            role: 'user',
            content: `Customer: ${contact.name || contact.profileName || 'unknown name'}\n${notes}\n\nLatest messages:\n${talk || '(none)'}`,
          },
        ],
      })
      const text = completion.choices?.[0]?.message?.content?.trim()
      if (text) return { text: text.slice(0, 1000), source: 'model' }
    } catch (error) {
      logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'relational pulse: the chat model failed; drafting offline'
      )
    }
  }
  return { text: templateDraft(contact, memory), source: 'template' }
}

/** The scheduler's handler: this week's draft for one contact, sent or put up for approval. */
export async function runRelationalPulse(
  tenant: TenantContext,
  row: DueRow,
  { now }: { now: DateTime }
) {
  const { contactId, week } = row.payload as { contactId: string; week: string }
  const settings = await readPulseSettings(tenant)
  if (!settings.enabled) return { skipped: 'disabled' }
  const contact = await contactById(tenant, contactId)
  if (!contact) return { skipped: 'contact_deleted' }
  if (!(contact.tags ?? []).map((t) => t.toLowerCase()).includes(settings.tag)) {
    return { skipped: 'not_enrolled' }
  }
  // Next week's, whatever happens to this one.
  await schedulePulse(tenant, settings, contactId, contact.timeZone, row.dueAt.plus({ days: 1 }))

  const draftResult = await db.rawQuery(
    `select * from ${tenant.table('pulse_drafts')} where contact_id = ? and week = ?`,
    [contactId, week]
  )
  let draft = draftResult.rows[0]
  if (!draft) {
    const { text, source } = await draftFor(tenant, contact, settings.instructions)
    const inserted = await db.rawQuery(
      `insert into ${tenant.table('pulse_drafts')} (contact_id, week, text, source, status)
       values (?, ?, ?, ?, 'drafted')
       on conflict (contact_id, week) do update set updated_at = now()
       returning *`,
      [contactId, week, text, source]
    )
    draft = inserted.rows[0]
  }
  if (draft.status !== 'drafted') return { draft: draft.id, status: draft.status }
  if (settings.requiresApproval) {
    const conversation = await lastConversationOfContact(tenant, contactId)
    const who = contact.name || contact.profileName || contact.phone || ''
    const { task } = await createTask(
      tenant,
      {
        kind: PULSE_DRAFT_KIND,
        title: `Relational Pulse: ${who}`.slice(0, 200),
        description: `Week of ${week}`,
        contact_id: contactId,
        conversation_id: conversation?.id ?? null,
        assignee: { role: 'agent' },
        expires_at: now.plus({ days: 6 }).toISO(),
        components: [
          {
            type: 'editable_text',
            name: 'message',
            label: 'Message',
            value: draft.text,
            multiline: true,
            required: true,
          },
        ],
        action: { type: 'none' },
        source: { type: 'pulse', ref: draft.id },
      },
      systemActor
    )
    await db.rawQuery(
      `update ${tenant.table('pulse_drafts')} set status = 'awaiting_approval', task_id = ?, updated_at = now()
        where id = ? and status = 'drafted'`,
      [task.id, draft.id]
    )
    return { draft: draft.id, task: task.id }
  }
  return sendDraft(tenant, draft.id, draft.text, sendGuard(tenant, row), row.messageId)
}

async function sendDraft(
  tenant: TenantContext,
  draftId: string,
  text: string,
  guard: Parameters<typeof sendOutreach>[1]['guard'],
  alreadySent: string | null = null
) {
  const draftResult = await db.rawQuery(
    `select * from ${tenant.table('pulse_drafts')} where id = ?`,
    [draftId]
  )
  const draft = draftResult.rows[0]
  if (!draft) return { skipped: 'draft_deleted' }
  const settings = await readPulseSettings(tenant)
  const outcome = alreadySent
    ? { sent: true as const, messageId: alreadySent }
    : await sendOutreach(tenant, {
        contactId: draft.contact_id,
        channelId: settings.channelId,
        text,
        template: {
          name: settings.templateName,
          language: settings.templateLanguage,
          variables: settings.templateVariables,
        },
        guard,
      })
  await db.rawQuery(
    `update ${tenant.table('pulse_drafts')}
        set status = ?, skip_reason = ?, message_id = ?, text = ?, updated_at = now()
      where id = ?`,
    [
      outcome.sent ? 'sent' : 'failed',
      outcome.sent ? null : outcome.reason,
      outcome.sent ? outcome.messageId : null,
      text,
      draftId,
    ]
  )
  return outcome.sent
    ? { draft: draftId, sent: outcome.messageId }
    : { draft: draftId, skipped: outcome.reason }
}

/** A draft's approval task was decided (here or in the task inbox): send it, or skip it. */
export async function applyDraftDecision(tenant: TenantContext, draftId: string, taskId: string) {
  const task = await findTask(tenant, taskId)
  if (!task || task.sourceRef !== draftId) return null
  if (task.status === 'approved') {
    const text = String(task.response?.values?.message ?? '').trim()
    if (!text) return null
    return sendDraft(tenant, draftId, text, { idempotencyKey: `pulse-draft:${draftId}` })
  }
  await db.rawQuery(
    `update ${tenant.table('pulse_drafts')} set status = 'skipped', skip_reason = ?, updated_at = now()
      where id = ? and status = 'awaiting_approval'`,
    [task.status === 'rejected' ? 'skipped_by_team' : task.status, draftId]
  )
  return { draft: draftId, skipped: task.status }
}

export interface DraftRow {
  id: string
  contactId: string
  name: string | null
  week: string
  text: string
  source: string
  status: string
  skipReason: string | null
  taskId: string | null
}

/** The batch page: the latest weeks' drafts, those waiting for approval first. */
export async function listDrafts(tenant: TenantContext, limit = 200): Promise<DraftRow[]> {
  return tenant.transaction(async (trx) => {
    const rowsResult = await trx.rawQuery(
      `select d.id, d.contact_id, to_char(d.week, 'YYYY-MM-DD') as week, d.text, d.source, d.status,
              d.skip_reason, d.task_id
         from pulse_drafts d
        order by (d.status = 'awaiting_approval') desc, d.week desc, d.created_at, d.id
        limit ?`,
      [limit]
    )
    const rows = rowsResult.rows as Array<Record<string, any>>
    const select = await contactAudienceSql(trx, { contactIds: rows.map((row) => row.contact_id) })
    const people = await trx.rawQuery(select.sql, select.bindings as any[])
    const names = new Map(
      (people.rows as Array<Record<string, any>>).map((c) => [
        c.contact_id,
        c.name || c.profile_name || c.phone,
      ])
    )
    for (const row of rows) row.name = names.get(row.contact_id) ?? null
    return rows.map((row) => ({
      id: row.id,
      contactId: row.contact_id,
      name: row.name ?? null,
      week: row.week,
      text: row.text,
      source: row.source,
      status: row.status,
      skipReason: row.skip_reason,
      taskId: row.task_id,
    }))
  })
}

async function pendingDraft(tenant: TenantContext, draftId: string) {
  const found = /^[0-9a-f-]{36}$/i.test(draftId)
    ? await db.rawQuery(`select * from ${tenant.table('pulse_drafts')} where id = ?`, [draftId])
    : null
  const draft = found ? found.rows[0] : null
  if (!draft) throw new lucidErrors.E_ROW_NOT_FOUND()
  return draft
}

function resolverOf(actor: AuditActor, name: string | null) {
  return { by: { type: 'user' as const, id: actor.userId, name }, audit: actor }
}

/** Approve one draft (with the team's edit, if any) through its approval task. */
export async function approveDraft(
  tenant: TenantContext,
  draftId: string,
  text: string | null,
  actor: AuditActor,
  name: string | null
) {
  const draft = await pendingDraft(tenant, draftId)
  if (draft.status !== 'awaiting_approval' || !draft.task_id) return false
  await resolveTask(
    tenant,
    draft.task_id,
    { decision: 'approve', values: { message: (text ?? draft.text).trim() || draft.text } },
    resolverOf(actor, name)
  )
  return true
}

export async function skipDraft(
  tenant: TenantContext,
  draftId: string,
  actor: AuditActor,
  name: string | null
) {
  const draft = await pendingDraft(tenant, draftId)
  if (draft.status !== 'awaiting_approval' || !draft.task_id) return false
  await resolveTask(tenant, draft.task_id, { decision: 'reject' }, resolverOf(actor, name))
  return true
}

/** Approve all: every draft waiting, as drafted. Returns how many were approved. */
export async function approveAllDrafts(
  tenant: TenantContext,
  actor: AuditActor,
  name: string | null
) {
  const waitingResult = await db.rawQuery(
    `select id from ${tenant.table('pulse_drafts')} where status = 'awaiting_approval' order by created_at, id`
  )
  const waiting = waitingResult.rows as Array<{ id: string }>
  let approved = 0
  for (const { id } of waiting) {
    try {
      if (await approveDraft(tenant, id, null, actor, name)) approved++
    } catch (error) {
      // One decided elsewhere meanwhile: the rest still go.
      logger.warn({ err: error, draft: id }, 'relational pulse: approve all skipped one')
    }
  }
  return approved
}
