import i18nManager from '@adonisjs/i18n/services/main'
import { clock } from '#app/clock'
import type { OutboundContent } from '#modules/channels/index'
import { contactById } from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import {
  BookingError,
  cancelBooking,
  findBookingService,
  findSlots,
  HOLD_MINUTES,
  holdOfferedSlots,
  offeredHolds,
  rescheduleBooking,
  upcomingBookingsOf,
} from './booking_service.js'
import { customerTime } from './booking_reminders.js'
import { bookingLocaleOf, slotRowTitle, type BookingLocale } from './booking_locale.js'

/*
| A customer's reply about their next booking: "cancel" cancels it,
| "reschedule" offers the next free slots as a WhatsApp list (each held for
| them for HOLD_MINUTES), and choosing one (the list row, or its number
| typed) moves the booking there. The answer comes back as content for the
| caller to send (the flows runtime, or an inbound hook): this service
| never sends by itself. Anything else is not handled (null), so the
| message goes on to whoever else answers. The answer is in the contact's
| language (English or Arabic: their language field, else the language
| they wrote in), from the bookings.replies lang strings.
*/

const CANCEL_WORDS = [
  'cancel',
  'cancel booking',
  'cancel my booking',
  'إلغاء',
  'الغاء',
  'ألغ الموعد',
  'الغي',
]
const RESCHEDULE_WORDS = [
  'reschedule',
  'change',
  'change time',
  'another time',
  'تغيير',
  'تغيير الموعد',
  'موعد آخر',
]
export const SLOT_ROW_PREFIX = 'booking_slot:'
const OFFER_COUNT = 10
const OFFER_DAYS = 14

export interface BookingReply {
  action: 'cancelled' | 'offered' | 'rescheduled' | 'no_slots' | 'slot_taken'
  bookingId: string
  reply: OutboundContent
}

function normal(text: string) {
  return text
    .trim()
    .toLowerCase()
    .replace(/[.!؟?،,]+$/u, '')
    .replace(/\s+/g, ' ')
}

/** The contact's language when it is one we answer in, else the language of what they wrote. */
async function replyLocale(
  tenant: TenantContext,
  contactId: string,
  text: string | null | undefined
): Promise<BookingLocale> {
  return bookingLocaleOf(await contactById(tenant, contactId), text)
}

/**
 * Handles `text` (or a list row id in `payload`) from the contact as a
 * reply about their next booking; null when it is not one.
 */
export async function handleBookingReply(
  tenant: TenantContext,
  input: { contactId: string; text?: string | null; payload?: string | null }
): Promise<BookingReply | null> {
  const [booking] = await upcomingBookingsOf(tenant, input.contactId)
  if (!booking) return null
  const said = normal(input.text ?? '')
  const locale = await replyLocale(tenant, input.contactId, input.text)
  const i18n = i18nManager.locale(locale)
  const t = (key: string, data?: Record<string, unknown>) => i18n.t(`bookings.replies.${key}`, data)
  const service = await findBookingService(tenant, booking.serviceId)
  const serviceName = service?.name ?? t('default_service')

  const chosen = await chosenSlot(tenant, input.contactId, said, input.payload ?? null)
  if (chosen) {
    try {
      const moved = await rescheduleBooking(tenant, booking.id, chosen)
      return {
        action: 'rescheduled',
        bookingId: moved.id,
        reply: {
          type: 'text',
          text: t('rescheduled', { service: serviceName, time: customerTime(moved, locale) }),
        },
      }
    } catch (error) {
      if (!(error instanceof BookingError) || error.code === 'not_found') throw error
      return {
        action: 'slot_taken',
        bookingId: booking.id,
        reply: { type: 'text', text: t('slot_taken') },
      }
    }
  }

  if (CANCEL_WORDS.includes(said)) {
    await cancelBooking(tenant, booking.id, 'customer')
    return {
      action: 'cancelled',
      bookingId: booking.id,
      reply: {
        type: 'text',
        text: t('cancelled', { service: serviceName, time: customerTime(booking, locale) }),
      },
    }
  }

  if (RESCHEDULE_WORDS.includes(said)) {
    const now = clock.millis()
    const free = await findSlots(tenant, {
      serviceId: booking.serviceId,
      from: new Date(now),
      to: new Date(now + OFFER_DAYS * 86_400_000),
      timeZone: booking.timeZone,
      contactId: booking.contactId,
      memberId: booking.memberId,
    })
    const slots = free
      .filter((slot) => slot.start.getTime() !== booking.startsAt.getTime())
      .slice(0, OFFER_COUNT)
    if (!slots.length) {
      return {
        action: 'no_slots',
        bookingId: booking.id,
        reply: {
          type: 'text',
          text: t('no_slots', { service: serviceName }),
        },
      }
    }
    await holdOfferedSlots(tenant, {
      serviceId: booking.serviceId,
      memberId: booking.memberId,
      contactId: booking.contactId,
      starts: slots.map((slot) => slot.start),
    })
    return {
      action: 'offered',
      bookingId: booking.id,
      reply: {
        type: 'list',
        body: t('offer', { service: serviceName, zone: booking.timeZone, minutes: HOLD_MINUTES }),
        button: t('offer_button'),
        sections: [
          {
            rows: slots.map((slot, index) => ({
              id: `${SLOT_ROW_PREFIX}${slot.start.toISOString()}`,
              title: slotRowTitle(slot.start, booking.timeZone, locale),
              description: `${index + 1}`,
            })),
          },
        ],
      },
    }
  }
  return null
}

/**
 * Whether handleBookingReply would take `input` as a reply about the
 * contact's next booking, without doing anything: what the assistant's
 * hold asks before the booker has answered.
 */
export async function isBookingReply(
  tenant: TenantContext,
  input: { contactId: string; text?: string | null; payload?: string | null }
): Promise<boolean> {
  const [booking] = await upcomingBookingsOf(tenant, input.contactId)
  if (!booking) return false
  const said = normal(input.text ?? '')
  if (CANCEL_WORDS.includes(said) || RESCHEDULE_WORDS.includes(said)) return true
  return (await chosenSlot(tenant, input.contactId, said, input.payload ?? null)) !== null
}

/** The slot a reply picks among those held for the contact: a row id, or its number typed. */
async function chosenSlot(
  tenant: TenantContext,
  contactId: string,
  said: string,
  payload: string | null
) {
  const held = await offeredHolds(tenant, contactId)
  if (!held.length) return null
  if (payload?.startsWith(SLOT_ROW_PREFIX)) {
    const at = new Date(payload.slice(SLOT_ROW_PREFIX.length))
    return held.find((hold) => hold.startsAt.getTime() === at.getTime())?.startsAt ?? null
  }
  if (/^\d{1,2}$/.test(said)) return held[Number(said) - 1]?.startsAt ?? null
  return null
}
