import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import { STATUS_RANK, type MessageStatus } from '../models/message.js'
import type { MessageStatusEvent } from '../events.js'
import { dateFromUnix, statusFrom, type WaStatus } from './whatsapp_payload.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Applies one WhatsApp status to the outbound message with that wamid, inside
 * the caller's tenant transaction (see applyStatuses). Returns the event to
 * emit after commit, or null when the visible status did not change.
 */
export async function applyStatus(
  trx: TransactionClientContract,
  tenant: Pick<TenantContext, 'id' | 'slug'>,
  status: WaStatus
): Promise<MessageStatusEvent | null> {
  const [event] = await applyStatuses(trx, tenant, [status])
  return event ?? null
}

interface Known {
  id: string
  status: MessageStatus
  conversation_id: string
  external_id: string
}

/** A message's statuses of one webhook folded into one change. */
interface Change {
  id: string
  status: MessageStatus
  advanced: boolean
  times: Partial<Record<MessageStatus, Date>>
  errorCode: number | null
  errorTitle: string | null
}

/**
 * Applies WhatsApp statuses to the outbound messages with their wamids,
 * inside the caller's tenant transaction, as sets: the messages are locked
 * and read in one statement and changed in one, whatever the count (a
 * campaign's webhook carries hundreds). Each status is taken in the order
 * given, as if applied one after the other: the status only moves forward
 * by STATUS_RANK (a "delivered" after "read" changes nothing but records when
 * it was delivered), each moment column keeps its first value, and a
 * failure's error is kept when it is the move. A status for a wamid we do
 * not have yet is parked in pending_statuses. Returns the events to emit
 * after commit, one per status that moved a message, in order.
 */
export async function applyStatuses(
  trx: TransactionClientContract,
  tenant: Pick<TenantContext, 'id' | 'slug'>,
  given: WaStatus[]
): Promise<MessageStatusEvent[]> {
  const statuses = given.flatMap((status) => {
    const next = statusFrom(String(status.status))
    if (!next || !status.id) return []
    return [{ status, next, at: dateFromUnix(status.timestamp) ?? new Date() }]
  })
  if (!statuses.length) return []

  // Locked in id order, so two runs over overlapping messages queue up
  // rather than deadlock.
  const wamids = [...new Set(statuses.map((s) => String(s.status.id)))]
  const found = await trx.rawQuery(
    `select id, status, conversation_id, external_id from messages
      where external_id = any(?::text[]) and direction = 'outbound'
      order by id for update`,
    [wamids]
  )
  const byWamid = new Map((found.rows as Known[]).map((row) => [row.external_id, row]))

  // A message whose send was in flight when its worker died (see
  // template_batch.ts): WhatsApp took it, and its status names it by the id
  // we sent along. It gets its WhatsApp id and is no longer in doubt.
  const adoptable = new Map<string, string>()
  for (const { status } of statuses) {
    const ours = status.biz_opaque_callback_data
    if (!byWamid.has(status.id) && typeof ours === 'string' && UUID.test(ours)) {
      adoptable.set(status.id, ours)
    }
  }
  if (adoptable.size) {
    const adopted = await trx.rawQuery(
      `update messages m set external_id = v.wamid,
          payload = jsonb_set(m.payload, '{send}', coalesce(m.payload->'send', '{}'::jsonb) - 'startedAt'),
          status = case when m.status = 'pending' then 'queued' else m.status end
        from unnest(?::text[], ?::uuid[]) as v(wamid, id)
        where m.id = v.id and m.direction = 'outbound' and m.external_id is null
          and m.status in ('pending', 'queued')
        returning m.id, m.status, m.conversation_id, m.external_id`,
      [[...adoptable.keys()], [...adoptable.values()]]
    )
    for (const row of adopted.rows as Known[]) byWamid.set(row.external_id, row)
  }

  const unknown = statuses.filter(({ status }) => !byWamid.has(status.id))
  if (unknown.length) {
    await trx.rawQuery(
      `insert into pending_statuses (external_id, status, provider_timestamp, payload)
        select * from unnest(?::text[], ?::text[], ?::timestamptz[], ?::jsonb[])
        on conflict (external_id, status) do nothing`,
      [
        unknown.map(({ status }) => status.id),
        unknown.map(({ next }) => next),
        unknown.map(({ at }) => at),
        unknown.map(({ status }) => JSON.stringify(status)),
      ]
    )
  }

  const changes = new Map<string, Change>()
  const events: MessageStatusEvent[] = []
  for (const { status, next, at } of statuses) {
    const message = byWamid.get(status.id)
    if (!message) continue
    let change = changes.get(message.id)
    if (!change) {
      change = {
        id: message.id,
        status: message.status,
        advanced: false,
        times: {},
        errorCode: null,
        errorTitle: null,
      }
      changes.set(message.id, change)
    }
    change.times[next] ??= at
    if (STATUS_RANK[next] <= STATUS_RANK[change.status]) continue
    const error = next === 'failed' ? status.errors?.[0] : undefined
    const errorCode = error?.code ?? null
    const errorTitle = error ? (error.title ?? error.message ?? null) : null
    if (next === 'failed') {
      change.errorCode = errorCode
      change.errorTitle = errorTitle
    }
    events.push({
      tenant: tenant.slug,
      tenantId: tenant.id,
      messageId: message.id,
      externalId: status.id,
      conversationId: message.conversation_id,
      status: next,
      previousStatus: change.status,
      errorCode: next === 'failed' ? errorCode : null,
      errorTitle: next === 'failed' ? errorTitle : null,
      pricing: pricingOf(status),
    })
    change.status = next
    change.advanced = true
  }
  if (!changes.size) return events

  const rows = [...changes.values()]
  const moment = (status: MessageStatus) => rows.map((row) => row.times[status] ?? null)
  await trx.rawQuery(
    `update messages m
        set status = case when v.advanced then v.status else m.status end,
            sent_at = coalesce(m.sent_at, v.sent_at),
            delivered_at = coalesce(m.delivered_at, v.delivered_at),
            read_at = coalesce(m.read_at, v.read_at),
            failed_at = coalesce(m.failed_at, v.failed_at),
            error_code = case when v.advanced and v.status = 'failed' then v.error_code
                              else m.error_code end,
            error_title = case when v.advanced and v.status = 'failed' then v.error_title
                               else m.error_title end,
            updated_at = case when v.advanced then now() else m.updated_at end
       from unnest(?::uuid[], ?::text[], ?::bool[], ?::timestamptz[], ?::timestamptz[],
                   ?::timestamptz[], ?::timestamptz[], ?::int[], ?::text[])
         as v(id, status, advanced, sent_at, delivered_at, read_at, failed_at, error_code, error_title)
      where m.id = v.id`,
    [
      rows.map((row) => row.id),
      rows.map((row) => row.status),
      rows.map((row) => row.advanced),
      moment('sent'),
      moment('delivered'),
      moment('read'),
      moment('failed'),
      rows.map((row) => row.errorCode),
      rows.map((row) => row.errorTitle),
    ] as unknown as string[]
  )
  return events
}

/**
 * For the outbound side: call inside the tenant transaction that records a
 * sent message's wamid, then emit the returned events after commit
 * (`emitter.emit('message:status', event)`). Statuses that arrived before
 * the wamid was known are applied in rank order and removed.
 */
export async function applyPendingStatuses(
  trx: TransactionClientContract,
  tenant: Pick<TenantContext, 'id' | 'slug'>,
  externalId: string
): Promise<MessageStatusEvent[]> {
  const pending = await trx.rawQuery(
    `delete from pending_statuses where external_id = ? returning payload`,
    [externalId]
  )
  const statuses = (pending.rows as Array<{ payload: WaStatus }>)
    .map((row) => row.payload)
    .sort(
      (a, b) =>
        (STATUS_RANK[statusFrom(a.status) ?? 'pending'] ?? 0) -
        (STATUS_RANK[statusFrom(b.status) ?? 'pending'] ?? 0)
    )
  return applyStatuses(trx, tenant, statuses)
}

function pricingOf(status: WaStatus) {
  const pricing = status.pricing as { category?: unknown; billable?: unknown } | undefined
  if (!pricing || typeof pricing !== 'object') return null
  return {
    category: typeof pricing.category === 'string' ? pricing.category : null,
    billable: typeof pricing.billable === 'boolean' ? pricing.billable : null,
  }
}
