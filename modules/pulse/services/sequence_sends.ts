import db from '@adonisjs/lucid/services/db'
import type { DateTime } from 'luxon'
import type { TenantContext } from '#modules/tenancy/index'
import {
  approvedTemplateOf,
  findTenantChannel,
  sendTemplateBatch,
  settleInDoubt,
  type Channel,
  type TemplateBatchSend,
} from '#modules/channels/index'
import type { Contact, Conversation } from '#modules/inbox/index'
import { fillVariables } from './campaign_variables.js'
import { findSequence, type Sequence } from './sequence_service.js'
import type { Step } from './sequence_steps.js'
import type { DueRow } from './scheduler.js'

/*
| A send step's sending, shared by the step one at a time (sequence_runner's
| sendStep) and in bulk: which message a step sends (sendPlan), and the
| template sends of a whole batch of due rows made as one unit of work
| through the channels module's bulk door (sendTemplateBatch), instead of
| a message row, a delivery job and some thirty round trips each.
|
| Exactly once: a row's message has the idempotency key `due:<row id>`, the
| key scheduler.sendGuard gives the one-at-a-time send, so whichever way a
| row is run again after its worker died, its message is met, not sent
| twice. A definite, retryable refusal (WhatsApp's "slow down", a 5xx) is
| tried again with the row's retry (its next attempt has its own key,
| `due:<row id>:<attempt>`). A message its dead worker wrote and never
| requested (no started mark in Redis: settleInDoubt) is removed and sent
| anew; one whose request left without an answer is never sent again:
| WhatsApp's status webhook settles it (at most once, not a duplicate).
*/

/*
| Under load every row of a sequence reads the same sequence, template and
| channel: each is kept for a couple of seconds per process. A pause or
| archive is seen within SHORT_CACHE_MS (an archived sequence's enrollments
| are ended by conditional writes, which a stale read cannot undo).
*/
const SHORT_CACHE_MS = 2_000

function shortCache<T>() {
  const kept = new Map<string, { at: number; value: T }>()
  return async (key: string, read: () => Promise<T>) => {
    const found = kept.get(key)
    if (found && Date.now() - found.at < SHORT_CACHE_MS) return found.value
    const value = await read()
    if (kept.size > 1000) kept.clear()
    kept.set(key, { at: Date.now(), value })
    return value
  }
}

const sequences = shortCache<Sequence | null>()
const templates = shortCache<Awaited<ReturnType<typeof approvedTemplateOf>>>()
const channels = shortCache<Channel | null>()

export function cachedSequence(tenant: TenantContext, id: string) {
  return sequences(`${tenant.schema}:${id}`, () => findSequence(tenant, id))
}

export function cachedTemplate(
  tenant: TenantContext,
  channelId: string,
  name: string,
  language: string
) {
  return templates(`${tenant.schema}:${channelId}:${name}:${language}`, () =>
    approvedTemplateOf(tenant, channelId, name, language)
  )
}

/** The sequence's channel (a central row), kept like the sequence. */
export function cachedChannel(tenant: TenantContext, id: string) {
  return channels(`${tenant.id}:${id}`, () => findTenantChannel(tenant.id, id))
}

export interface Loaded {
  contact: Contact
  conversation: Conversation | null
}

export function renderText(text: string, contact: Contact) {
  return fillVariables({ '1': text }, contact as any).values[0]
}

export type SendPlan =
  | { mode: 'free_form'; text: string }
  | { mode: 'template'; name: string; language: string; variables: string[] }
  | { skip: string }

/**
 * What a send step sends to the contact now: free-form inside the 24-hour
 * window, else its template fallback (approved, and marketing only with
 * consent), else nothing and why.
 */
export async function sendPlan(
  tenant: TenantContext,
  sequence: Sequence,
  step: Step,
  loaded: Loaded,
  now: DateTime
): Promise<SendPlan> {
  if (!sequence.channelId) return { skip: 'no_channel' }
  const open = loaded.conversation?.isWindowOpen(now as DateTime<true>) ?? false
  if (open && step.text) return { mode: 'free_form', text: renderText(step.text, loaded.contact) }
  if (!step.template) return { skip: 'window_closed_no_template' }
  const { name, language } = step.template
  const template = await cachedTemplate(tenant, sequence.channelId, name, language)
  if (!template) return { skip: 'template_not_approved' }
  if (template.category === 'MARKETING' && loaded.contact.marketingConsent === 'opted_out') {
    return { skip: 'marketing_opted_out' }
  }
  const variables = step.template.variables.map((v) => renderText(v, loaded.contact))
  return { mode: 'template', name, language, variables }
}

/** What a bulk send did for one row: the step's outcome, or "try the row again". */
export type BulkOutcome =
  | { sent: true; mode: 'template' | 'again'; message_id: string; in_doubt?: true }
  | { sent: false; reason: 'failed'; code: number | null; message: string; message_id: string }
  | { retry: string }

/** A row the step's batch sends in bulk: its template message, ready to go. */
export interface BulkSend {
  row: DueRow
  channel: Channel
  conversationId: string
  contact: Contact
  name: string
  language: string
  variables: string[]
}

/** How many attempts a row's retryable refusals get before the step goes on without the message. */
export const SEND_ATTEMPTS = 4

const keyOf = (row: DueRow, attempt: number) =>
  attempt <= 1 ? `due:${row.id}` : `due:${row.id}:${attempt}`

/**
 * Sends the batch's template messages, grouped by channel and template,
 * and records on each due row the message it sent (a row run again one at
 * a time then meets it). Rows the group cannot take are left out of the
 * map (their handler sends them one at a time).
 */
export async function sendInBulk(
  tenant: TenantContext,
  sends: BulkSend[]
): Promise<Map<string, BulkOutcome>> {
  const out = new Map<string, BulkOutcome>()
  if (!sends.length) return out

  // A row tried before: a message of an earlier attempt that was taken (or
  // is in doubt) is the step's message; only refused ones are tried again.
  const retried = sends.filter((send) => send.row.attempts > 1)
  const earlier = new Map<string, Array<Record<string, any>>>()
  if (retried.length) {
    const keys = retried.flatMap((send) =>
      Array.from({ length: send.row.attempts - 1 }, (_, i) => keyOf(send.row, i + 1))
    )
    const found = await db.rawQuery(
      `select id, idempotency_key, status, external_id
         from ${tenant.table('messages')} where idempotency_key = any(?::text[])`,
      [keys]
    )
    const rows = found.rows as Array<Record<string, any>>
    // Written by a worker that died before its answer was recorded: one
    // whose request never left is removed (and sent now); one that left is
    // the step's message, settled by WhatsApp's status webhook.
    const doubtful = rows.filter((row) => row.status === 'pending' && !row.external_id)
    const { removed } = await settleInDoubt(
      tenant,
      doubtful.map((row) => row.id),
      Number.MAX_SAFE_INTEGER
    )
    const gone = new Set(removed)
    for (const row of rows) {
      if (gone.has(row.id)) continue
      const rowId = String(row.idempotency_key).split(':')[1]
      earlier.set(rowId, [...(earlier.get(rowId) ?? []), row])
    }
  }
  const groups = new Map<string, BulkSend[]>()
  for (const send of sends) {
    const before = earlier.get(send.row.id) ?? []
    const kept = before.find((message) => message.status !== 'failed')
    if (kept) {
      const inDoubt = kept.status === 'pending' && !kept.external_id
      out.set(send.row.id, {
        sent: true,
        mode: 'again',
        message_id: kept.id,
        ...(inDoubt ? { in_doubt: true as const } : {}),
      })
      continue
    }
    const group = `${send.channel.id}\u0000${send.name}\u0000${send.language}`
    groups.set(group, [...(groups.get(group) ?? []), send])
  }

  for (const group of groups.values()) {
    const { channel, name, language } = group[0]
    const batch: TemplateBatchSend[] = group.map((send) => ({
      ref: send.row.id,
      idempotencyKey: keyOf(send.row, send.row.attempts),
      conversationId: send.conversationId,
      contactId: send.contact.id,
      to: (send.contact.phone ?? send.contact.waId)!,
      variables: send.variables,
    }))
    const outcomes = await sendTemplateBatch(tenant, channel, { name, language }, batch)
    const attemptsOf = new Map(group.map((send) => [send.row.id, send.row.attempts]))
    for (const outcome of outcomes) {
      const lastAttempt = (attemptsOf.get(outcome.ref) ?? 1) >= SEND_ATTEMPTS
      switch (outcome.kind) {
        case 'accepted':
          out.set(outcome.ref, { sent: true, mode: 'template', message_id: outcome.messageId })
          break
        case 'unknown':
          out.set(outcome.ref, {
            sent: true,
            mode: 'template',
            message_id: outcome.messageId,
            in_doubt: true,
          })
          break
        case 'existing':
          // This attempt's message, written before its worker died.
          if (outcome.status !== 'failed' || outcome.inFlight) {
            out.set(outcome.ref, { sent: true, mode: 'again', message_id: outcome.messageId })
          } else {
            out.set(outcome.ref, {
              sent: false,
              reason: 'failed',
              code: outcome.errorCode,
              message: outcome.errorTitle ?? 'failed',
              message_id: outcome.messageId,
            })
          }
          break
        case 'failed':
          out.set(
            outcome.ref,
            outcome.retryable && !lastAttempt
              ? { retry: outcome.title }
              : {
                  sent: false,
                  reason: 'failed',
                  code: outcome.code,
                  message: outcome.title,
                  message_id: outcome.messageId,
                }
          )
          break
        case 'withdrawn':
          break
      }
    }
  }

  // Each row names its message (the one-at-a-time send's re-run checks it).
  const named = [...out].filter(
    (entry): entry is [string, Extract<BulkOutcome, { message_id: string }>] =>
      'message_id' in entry[1]
  )
  if (named.length) {
    await db.rawQuery(
      `update ${tenant.table('due_work')} d set message_id = coalesce(d.message_id, v.message_id)
         from unnest(?::bigint[], ?::uuid[]) as v(id, message_id)
        where d.id = v.id and d.status = 'claimed'`,
      [named.map(([id]) => id), named.map(([, outcome]) => outcome.message_id)]
    )
  }
  return out
}
