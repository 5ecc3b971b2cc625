import { errors as lucidErrors } from '@adonisjs/lucid'
import db from '@adonisjs/lucid/services/db'
import { batchMemo } from '#app/queue/work_batch'
import { DateTime } from 'luxon'
import { clock } from '#app/clock'
import {
  contactById,
  conversationById,
  editConversationLabels,
  normalizeLabels,
  resolveConversation,
} from '#modules/inbox/index'
import type { MessageSentEvent } from '#modules/channels/index'
import type { TenantContext } from '#modules/tenancy/index'
import NudgeRule, { type NudgeFinalAction } from '../models/nudge_rule.js'
import { cancelDue, deferDue, scheduleDue, sendGuard, type DueRow } from './scheduler.js'
import { quietUntil } from './campaign_schedule.js'
import { sendOutreach } from './outreach_send.js'

/*
| Follow-up nudges. Our message in a conversation (an agent's, the
| assistant's, a sequence's: anything but a nudge) starts a wait per
| matching rule; when the customer has not replied N hours later, a nudge
| goes (free-form inside the window, the rule's template after), at most K
| of them N hours apart, then the conversation is labelled or resolved.
| Each step is one due row keyed by rule, conversation, the wait's start and
| the step's number, so it runs once; the customer's reply cancels every
| pending step of the conversation in one statement (due rows carry the
| conversation as their ref).
*/

export const NUDGE_KIND = 'pulse.nudge'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface NudgeRuleInput {
  name: string
  enabled: boolean
  label: string | null
  afterHours: number
  maxNudges: number
  message: string
  templateName: string | null
  templateLanguage: string | null
  templateVariables: string[]
  finalAction: NudgeFinalAction
  finalLabel: string | null
  /** Minutes after midnight, contact-local; both null for no quiet hours. */
  quietStart: number | null
  quietEnd: number | null
}

export function listNudgeRules(tenant: TenantContext) {
  return tenant.transaction((trx) =>
    NudgeRule.query({ client: trx }).orderBy('created_at').orderBy('id')
  )
}

export async function findNudgeRuleOrFail(tenant: TenantContext, id: string) {
  const rule = UUID.test(id)
    ? await tenant.transaction((trx) => NudgeRule.find(id, { client: trx }))
    : null
  if (!rule) throw new lucidErrors.E_ROW_NOT_FOUND()
  return rule
}

function clean(input: NudgeRuleInput) {
  return {
    ...input,
    label: input.label ? normalizeLabels([input.label])[0] : null,
    finalLabel: input.finalLabel ? normalizeLabels([input.finalLabel])[0] : null,
  }
}

export async function saveNudgeRule(
  tenant: TenantContext,
  id: string | null,
  input: NudgeRuleInput
) {
  const rule = id ? await findNudgeRuleOrFail(tenant, id) : new NudgeRule()
  await tenant.transaction(async (trx) => {
    rule.useTransaction(trx)
    rule.merge(clean(input))
    await rule.save()
  })
  if (!rule.enabled) {
    await cancelDue(tenant, { kind: NUDGE_KIND, dedupePrefix: `nudge:${rule.id}:` })
  }
  return rule
}

export async function deleteNudgeRule(tenant: TenantContext, id: string) {
  const rule = await findNudgeRuleOrFail(tenant, id)
  await cancelDue(tenant, { kind: NUDGE_KIND, dedupePrefix: `nudge:${rule.id}:` })
  await tenant.transaction((trx) => NudgeRule.query({ client: trx }).where('id', rule.id).delete())
  return rule
}

function stepKey(ruleId: string, conversationId: string, since: DateTime, n: number) {
  return `nudge:${ruleId}:${conversationId}:${since.toMillis()}:${n}`
}

/**
 * Our message went out in a conversation: every enabled rule it matches
 * (re)starts its wait from now. A nudge's own message does not.
 */
export async function startNudgeWaits(tenant: TenantContext, event: MessageSentEvent) {
  if (event.isNote) return
  // Read once per work batch (a batch of scheduled sends), in one round trip.
  const rules = await batchMemo(`pulse:nudge-rules:${tenant.schema}`, async () =>
    tenant.query(NudgeRule).where('enabled', true).exec()
  )
  if (!rules.length) return
  const own = await db.rawQuery(
    `select 1 from ${tenant.table('due_work')} where message_id = ? and kind = ? limit 1`,
    [event.messageId, NUDGE_KIND]
  )
  if (own.rows.length) return
  const conversation = await conversationById(tenant, event.conversationId)
  if (!conversation) return
  const since = clock.now()
  for (const rule of rules) {
    if (rule.label && !(conversation.labels ?? []).includes(rule.label)) continue
    const dueAt = since.plus({ hours: rule.afterHours })
    await tenant.transaction(async (trx) => {
      await cancelDue(
        tenant,
        { kind: NUDGE_KIND, dedupePrefix: `nudge:${rule.id}:${conversation.id}:` },
        { client: trx, reason: 'a newer message restarted the wait' }
      )
      await trx.rawQuery(
        `insert into nudge_threads (rule_id, conversation_id, contact_id, since, nudges_sent,
                                    status, next_at, last_outcome, updated_at)
         values (?, ?, ?, ?, 0, 'waiting', ?, null, now())
         on conflict (rule_id, conversation_id) do update
           set since = excluded.since, nudges_sent = 0, status = 'waiting',
               next_at = excluded.next_at, last_outcome = null, updated_at = now()`,
        [rule.id, conversation.id, conversation.contactId, since.toJSDate(), dueAt.toJSDate()]
      )
      await scheduleDue(
        tenant,
        {
          kind: NUDGE_KIND,
          dedupeKey: stepKey(rule.id, conversation.id, since, 1),
          dueAt,
          contactId: conversation.contactId,
          refId: conversation.id,
          payload: { ruleId: rule.id, conversationId: conversation.id, since: since.toISO(), n: 1 },
        },
        { client: trx }
      )
    })
  }
}

/** The customer wrote: every pending nudge of the conversation is cancelled at once. */
export async function cancelNudgesOnReply(tenant: TenantContext, conversationId: string) {
  await tenant.transaction(async (trx) => {
    const cancelled = await cancelDue(
      tenant,
      { kind: NUDGE_KIND, refId: conversationId },
      { client: trx, reason: 'the customer replied' }
    )
    if (cancelled) {
      await trx.rawQuery(
        `update nudge_threads set status = 'replied', next_at = null, updated_at = now()
          where conversation_id = ? and status = 'waiting'`,
        [conversationId]
      )
    }
  })
}

async function settleThread(
  tenant: TenantContext,
  ruleId: string,
  conversationId: string,
  since: DateTime,
  change: { status: string; nudgesSent?: number; nextAt?: DateTime | null; outcome: string }
) {
  await db.rawQuery(
    `update ${tenant.table('nudge_threads')}
        set status = ?, nudges_sent = coalesce(?, nudges_sent), next_at = ?, last_outcome = ?,
            updated_at = now()
      where rule_id = ? and conversation_id = ? and since = ?`,
    [
      change.status,
      change.nudgesSent ?? null,
      change.nextAt?.toJSDate() ?? null,
      change.outcome,
      ruleId,
      conversationId,
      since.toJSDate(),
    ]
  )
}

/** The scheduler's handler: one nudge (or, past the last, the rule's final action). */
export async function runNudgeStep(tenant: TenantContext, row: DueRow, { now }: { now: DateTime }) {
  const { ruleId, conversationId, n } = row.payload as {
    ruleId: string
    conversationId: string
    n: number
  }
  const since = DateTime.fromISO(String(row.payload.since))
  const rule = await tenant.transaction((trx) => NudgeRule.find(ruleId, { client: trx }))
  if (!rule || !rule.enabled) return { skipped: 'rule_disabled' }
  const threadResult = await db.rawQuery(
    `select * from ${tenant.table('nudge_threads')} where rule_id = ? and conversation_id = ?`,
    [ruleId, conversationId]
  )
  const thread = threadResult.rows[0]
  if (
    !thread ||
    thread.status !== 'waiting' ||
    new Date(thread.since).getTime() !== since.toMillis()
  ) {
    return { skipped: 'stale' }
  }
  const conversation = await conversationById(tenant, conversationId)
  if (!conversation) return { skipped: 'conversation_deleted' }
  if (conversation.lastCustomerMessageAt && conversation.lastCustomerMessageAt >= since) {
    await settleThread(tenant, ruleId, conversationId, since, {
      status: 'replied',
      outcome: 'replied',
    })
    return { skipped: 'replied' }
  }
  if (rule.label && !(conversation.labels ?? []).includes(rule.label)) {
    await settleThread(tenant, ruleId, conversationId, since, {
      status: 'cancelled',
      outcome: 'label_removed',
    })
    return { skipped: 'label_removed' }
  }

  if (n > rule.maxNudges) {
    if (rule.finalAction === 'label' && rule.finalLabel) {
      await editConversationLabels(tenant, conversationId, { add: [rule.finalLabel] }, null)
    } else if (rule.finalAction === 'resolve') {
      await resolveConversation(tenant, conversationId, null)
    }
    await settleThread(tenant, ruleId, conversationId, since, {
      status: 'finished',
      outcome: `final:${rule.finalAction}`,
    })
    return { final: rule.finalAction }
  }

  // Inside the rule's quiet hours (the contact's own clock) the nudge waits
  // for them to end; a nudge already sent by an earlier run of this row does not.
  if (!row.messageId && rule.quietStart !== null) {
    const contact = await contactById(tenant, conversation.contactId)
    const until = quietUntil(now, contact?.timeZone ?? null, {
      start: rule.quietStart,
      end: rule.quietEnd,
    })
    if (until) {
      await settleThread(tenant, ruleId, conversationId, since, {
        status: 'waiting',
        nextAt: until,
        outcome: 'quiet_hours',
      })
      return deferDue(until, 'quiet hours')
    }
  }

  const outcome = row.messageId
    ? { sent: true as const, messageId: row.messageId, via: 'free_form' as const }
    : await sendOutreach(tenant, {
        contactId: conversation.contactId,
        conversationId,
        text: rule.message,
        template: {
          name: rule.templateName,
          language: rule.templateLanguage,
          variables: rule.templateVariables ?? [],
        },
        guard: sendGuard(tenant, row),
      })
  if (!outcome.sent) {
    await settleThread(tenant, ruleId, conversationId, since, {
      status: 'finished',
      nudgesSent: n - 1,
      outcome: `skipped:${outcome.reason}`,
    })
    return { skipped: outcome.reason }
  }
  const last = n >= rule.maxNudges
  const more = !last || rule.finalAction !== 'none'
  const nextAt = more ? now.plus({ hours: rule.afterHours }) : null
  await settleThread(tenant, ruleId, conversationId, since, {
    status: more ? 'waiting' : 'finished',
    nudgesSent: n,
    nextAt,
    outcome: `sent:${outcome.via}`,
  })
  if (nextAt) {
    await scheduleDue(tenant, {
      kind: NUDGE_KIND,
      dedupeKey: stepKey(rule.id, conversationId, since, n + 1),
      dueAt: nextAt,
      contactId: conversation.contactId,
      refId: conversationId,
      payload: { ruleId: rule.id, conversationId, since: since.toISO(), n: n + 1 },
    })
  }
  return { sent: outcome.messageId, via: outcome.via, n }
}
