import emitter from '@adonisjs/core/services/emitter'
import { DateTime } from 'luxon'
import { Message } from '#modules/channels/index'
import { Conversation } from '#modules/inbox/index'
import { createSequence, setSequenceStatus, type SequenceInput } from '#modules/pulse/index'
import type { TenantContext } from '#modules/tenancy/index'

export const at = (iso: string) => DateTime.fromISO(iso, { setZone: true })

/** An active sequence on the channel with these steps (quiet hours off unless given). */
export async function activeSequence(
  context: TenantContext,
  channelId: string,
  steps: unknown[],
  overrides: Partial<SequenceInput> = {}
) {
  const sequence = await createSequence(context, {
    name: 'Onboarding',
    channelId,
    steps,
    quiet: { start: null, end: null },
    ...overrides,
  })
  await setSequenceStatus(context, sequence.id, 'active')
  return sequence
}

/** The customer wrote at `when`: the 24-hour window is open from then (the inbox's column, set as intake would). */
export async function openWindow(context: TenantContext, contactId: string, when: DateTime) {
  await context.transaction((trx) =>
    Conversation.query({ client: trx })
      .where('contact_id', contactId)
      .update({ last_customer_message_at: when.toJSDate() })
  )
}

export async function outbound(context: TenantContext) {
  return context.transaction((trx) =>
    Message.query({ client: trx }).where('direction', 'outbound').orderBy('created_at')
  )
}

export async function enrollmentRow(context: TenantContext, enrollmentId: string) {
  const result = await context.transaction((trx) =>
    trx.rawQuery(`select * from sequence_enrollments where id = ?`, [enrollmentId])
  )
  return result.rows[0]
}

export async function eventsOf(context: TenantContext, enrollmentId: string) {
  const result = await context.transaction((trx) =>
    trx.rawQuery(`select * from sequence_events where enrollment_id = ? order by id`, [
      enrollmentId,
    ])
  )
  return result.rows as Array<{ kind: string; step_id: string | null; detail: any; at: Date }>
}

/** As the channels module announces a customer's message (what intake emits). */
export async function customerSays(
  context: TenantContext,
  contactId: string,
  conversationId: string,
  channelId: string,
  text: string,
  type = 'text'
) {
  await emitter.emit('message:received', {
    tenant: context.slug,
    tenantId: context.id,
    messageId: crypto.randomUUID(),
    externalId: null,
    conversationId,
    contactId,
    channelId,
    type,
    text,
    providerTimestamp: null,
  })
}
