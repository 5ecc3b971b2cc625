import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import { STATUS_RANK, type MessageStatus } from '../models/message.js'
import type { MessageStatusEvent } from '../events.js'
import { dateFromUnix, statusFrom, type WaStatus } from './whatsapp_payload.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const TIMESTAMP_COLUMN: Partial<Record<MessageStatus, string>> = {
  sent: 'sent_at',
  delivered: 'delivered_at',
  read: 'read_at',
  failed: 'failed_at',
}

/**
 * Applies one WhatsApp status to the outbound message with that wamid, inside
 * the caller's tenant transaction. The status only moves forward by
 * STATUS_RANK (a "delivered" arriving after "read" changes nothing but
 * records when it was delivered). A status for a wamid we do not have yet is
 * parked in pending_statuses. Returns the event to emit after commit, or
 * null when the visible status did not change.
 */
export async function applyStatus(
  trx: TransactionClientContract,
  tenant: Pick<TenantContext, 'id' | 'slug'>,
  status: WaStatus
): Promise<MessageStatusEvent | null> {
  const next = statusFrom(String(status.status))
  if (!next || !status.id) return null
  const at = dateFromUnix(status.timestamp) ?? new Date()

  const found = await trx.rawQuery(
    `select id, status, conversation_id from messages
      where external_id = ? and direction = 'outbound' for update`,
    [status.id]
  )
  let message = found.rows[0] as
    { id: string; status: MessageStatus; conversation_id: string } | undefined
  const ours = status.biz_opaque_callback_data
  if (!message && typeof ours === 'string' && UUID.test(ours)) {
    // A message whose send was in flight when its worker died (see
    // template_batch.ts): WhatsApp took it, and this status names it by the
    // id we sent along. It gets its WhatsApp id and is no longer in doubt.
    const adopted = await trx.rawQuery(
      `update messages set external_id = ?,
          payload = jsonb_set(payload, '{send}', coalesce(payload->'send', '{}'::jsonb) - 'startedAt'),
          status = case when status = 'pending' then 'queued' else status end
        where id = ? and direction = 'outbound' and external_id is null
          and status in ('pending', 'queued')
        returning id, status, conversation_id`,
      [status.id, ours]
    )
    message = adopted.rows[0]
  }
  if (!message) {
    await trx.rawQuery(
      `insert into pending_statuses (external_id, status, provider_timestamp, payload)
        values (?, ?, ?, ?::jsonb) on conflict (external_id, status) do nothing`,
      [status.id, next, at, JSON.stringify(status)]
    )
    return null
  }

  const column = TIMESTAMP_COLUMN[next]!
  const advances = STATUS_RANK[next] > STATUS_RANK[message.status]
  const error = next === 'failed' ? status.errors?.[0] : undefined
  const errorCode = error?.code ?? null
  const errorTitle = error ? (error.title ?? error.message ?? null) : null

  if (!advances) {
    await trx.rawQuery(`update messages set ${column} = coalesce(${column}, ?) where id = ?`, [
      at,
      message.id,
    ])
    return null
  }
  await trx.rawQuery(
    `update messages set status = ?, ${column} = coalesce(${column}, ?),
        error_code = case when ? then ? else error_code end,
        error_title = case when ? then ? else error_title end,
        updated_at = now()
      where id = ?`,
    [next, at, next === 'failed', errorCode, next === 'failed', errorTitle, message.id] as string[]
  )
  return {
    tenant: tenant.slug,
    tenantId: tenant.id,
    messageId: message.id,
    externalId: status.id,
    conversationId: message.conversation_id,
    status: next,
    previousStatus: message.status,
    errorCode: next === 'failed' ? errorCode : null,
    errorTitle: next === 'failed' ? errorTitle : null,
    pricing: pricingOf(status),
  }
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
  const events: MessageStatusEvent[] = []
  for (const status of statuses) {
    const event = await applyStatus(trx, tenant, status)
    if (event) events.push(event)
  }
  return events
}

function pricingOf(status: WaStatus) {
  const pricing = status.pricing as { category?: unknown; billable?: unknown } | undefined
  if (!pricing || typeof pricing !== 'object') return null
  return {
    category: typeof pricing.category === 'string' ? pricing.category : null,
    billable: typeof pricing.billable === 'boolean' ? pricing.billable : null,
  }
}
