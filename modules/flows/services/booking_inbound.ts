import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import {
  ChannelError,
  messageById,
  queueOutboundMessage,
  type MessageReceivedEvent,
} from '#modules/channels/index'
import type { TenantContext } from '#modules/tenancy/index'
import { handleBookingReply, isBookingReply, type BookingReply } from './booking_replies.js'
import { choiceIdOf, flowHolds } from './runtime.js'

/*
| A customer's WhatsApp or web chat message about their next booking is
| answered by the booker, and only by it: "cancel", "reschedule", a time
| picked from the offered list (or its number typed). A conversation a
| guided flow is running belongs to the flow (not while it stands in a
| wait node: then the booker answers as it would without it). The message is claimed in
| `booking_replies` before the booking is touched, so a redelivered
| message is answered once; the assistant's hold (bookingHold) stays silent
| on a claimed message, and on one the booker is about to claim.
*/

const READABLE = ['text', 'button', 'interactive']

function replyInput(contactId: string, message: { body: string | null; payload: unknown }) {
  return {
    contactId,
    text: message.body,
    payload: choiceIdOf(message.payload as Record<string, any> | null),
  }
}

/** Answers a customer's message about their booking; null when it is not one (or was answered). */
export async function answerBookingMessage(
  tenant: TenantContext,
  event: Pick<MessageReceivedEvent, 'messageId' | 'conversationId' | 'contactId' | 'type'>
): Promise<BookingReply | null> {
  if (!READABLE.includes(event.type)) return null
  if (await flowHolds(tenant, event.conversationId, event.messageId)) return null
  const message = await messageById(tenant, event.messageId)
  if (!message || message.direction !== 'inbound') return null
  const input = replyInput(event.contactId, message)
  if (!(await isBookingReply(tenant, input))) return null

  const table = tenant.table('booking_replies')
  const claimed = await db.rawQuery(
    `insert into ${table} (inbound_message_id) values (?)
     on conflict (inbound_message_id) do nothing returning inbound_message_id`,
    [event.messageId]
  )
  if (!claimed.rows.length) return null
  let reply: BookingReply | null
  try {
    reply = await handleBookingReply(tenant, input)
  } catch (error) {
    await db.rawQuery(`delete from ${table} where inbound_message_id = ?`, [event.messageId])
    throw error
  }
  if (!reply) {
    // Taken by something else in the meantime (the booking was cancelled by the team).
    await db.rawQuery(`delete from ${table} where inbound_message_id = ?`, [event.messageId])
    return null
  }
  await db.rawQuery(`update ${table} set booking_id = ?, action = ? where inbound_message_id = ?`, [
    reply.bookingId,
    reply.action,
    event.messageId,
  ])
  try {
    await queueOutboundMessage(tenant, {
      conversationId: event.conversationId,
      content: reply.reply,
      authorType: 'system',
      idempotencyKey: `booking-reply:${event.messageId}`,
    })
  } catch (error) {
    // The booking moved; the customer's answer could not be sent (the channel is off).
    if (!(error instanceof ChannelError)) throw error
    logger.warn({ err: error, tenant: tenant.slug }, 'bookings: the reply could not be sent')
  }
  return reply
}

/**
 * The assistant's hold: silent on a message the booker answered or is about
 * to answer. Never throws (an error answers "not held").
 */
export async function bookingHold(
  tenant: TenantContext,
  conversationId: string,
  messageId: string
) {
  try {
    const claimed = await db.rawQuery(
      `select 1 from ${tenant.table('booking_replies')} where inbound_message_id = ?`,
      [messageId]
    )
    if (claimed.rows.length) return true
    const message = await messageById(tenant, messageId)
    if (!message || message.direction !== 'inbound' || !READABLE.includes(message.type)) {
      return false
    }
    if (await flowHolds(tenant, conversationId, messageId)) return false
    return await isBookingReply(tenant, replyInput(message.contactId, message))
  } catch (error) {
    logger.warn({ err: error, tenant: tenant.slug }, 'bookings: assistant hold check failed')
    return false
  }
}
