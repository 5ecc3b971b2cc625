import { DateTime } from 'luxon'
import i18nManager from '@adonisjs/i18n/services/main'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'
import { clock } from '#app/clock'
import type { TenantContext } from '#modules/tenancy/index'
import { contactById } from '#modules/inbox/index'
import {
  cancelDue,
  registerDueHandler,
  scheduleDue,
  sendGuard,
  sendOutreach,
  type DueRow,
} from '#modules/pulse/index'
import { findBooking, findBookingService, type Booking } from './booking_service.js'
import { bookingIcsPath } from './booking_calendar.js'
import { bookingLocaleOf, type BookingLocale } from './booking_locale.js'

/*
| What the booker says to the customer, each message a row of the pulse
| scheduler's due_work (so it is sent exactly once, across crashes): the
| confirmation right away, reminders 24 hours and 1 hour before. Rows are
| keyed by the booking and its revision, so a reschedule cancels the old
| time's rows and schedules the new time's, and a cancel cancels them all.
| Inside the 24-hour window the text goes as it is; outside it, the
| service's approved template, its one body variable given the text.
| The confirmation carries a signed link to the booking's .ics file.
*/

export const BOOKING_MESSAGE_KIND = 'booking_message'
export const REMINDER_OFFSETS = [
  { key: '24h', hours: 24 },
  { key: '1h', hours: 1 },
] as const
type MessageKey = 'confirmation' | (typeof REMINDER_OFFSETS)[number]['key']

function keyOf(booking: Booking, which: MessageKey) {
  return `booking:${booking.id}:${booking.revision}:${which}`
}

/** Schedules the confirmation and the reminders still ahead, inside the booking's transaction. */
export async function scheduleBookingMessages(
  tenant: TenantContext,
  booking: Booking,
  trx: TransactionClientContract,
  options: { confirm: boolean }
) {
  const now = clock.millis()
  const rows: Array<{ which: MessageKey; at: Date }> = []
  if (options.confirm) rows.push({ which: 'confirmation', at: new Date(now) })
  for (const offset of REMINDER_OFFSETS) {
    const at = new Date(booking.startsAt.getTime() - offset.hours * 3_600_000)
    if (at.getTime() > now) rows.push({ which: offset.key, at })
  }
  for (const row of rows) {
    await scheduleDue(
      tenant,
      {
        kind: BOOKING_MESSAGE_KIND,
        dedupeKey: keyOf(booking, row.which),
        dueAt: row.at,
        contactId: booking.contactId,
        refId: booking.id,
        payload: { which: row.which, revision: booking.revision },
      },
      { client: trx }
    )
  }
}

/** Cancels every message still to send about the booking (its reminders, an unsent confirmation). */
export async function cancelBookingMessages(
  tenant: TenantContext,
  bookingId: string,
  trx: TransactionClientContract
) {
  return cancelDue(
    tenant,
    { kind: BOOKING_MESSAGE_KIND, refId: bookingId },
    { client: trx, reason: 'booking changed' }
  )
}

/** A booking's time as the customer reads it: their zone, with the zone named. */
export function customerTime(booking: Booking, locale = 'en') {
  const local = DateTime.fromJSDate(booking.startsAt, { zone: booking.timeZone }).setLocale(locale)
  return `${local.toFormat('cccc d LLLL yyyy, HH:mm')} (${booking.timeZone})`
}

/** The signed link to a booking's .ics file, as the customer opens it. */
export function bookingIcsUrl(tenant: TenantContext, bookingId: string) {
  return `${env.get('APP_URL', 'http://localhost:3333')}${bookingIcsPath(tenant, bookingId)}`
}

/** What the booker says (the confirmation, a reminder), in the customer's language. */
export function bookingMessageText(
  booking: Booking,
  serviceName: string,
  which: MessageKey,
  tenant: TenantContext,
  locale: BookingLocale = 'en'
) {
  return i18nManager.locale(locale).t(`bookings.messages.${which}`, {
    service: serviceName,
    time: customerTime(booking, locale),
    ics: bookingIcsUrl(tenant, booking.id),
  })
}

async function runBookingMessage(tenant: TenantContext, row: DueRow) {
  const booking = await findBooking(tenant, row.refId ?? '')
  if (!booking || booking.status !== 'confirmed') return { skipped: 'cancelled' }
  if (booking.revision !== row.payload.revision) return { skipped: 'rescheduled' }
  const service = await findBookingService(tenant, booking.serviceId)
  const which = row.payload.which as MessageKey
  const locale = bookingLocaleOf(await contactById(tenant, booking.contactId))
  const defaultName = i18nManager.locale(locale).t('bookings.replies.default_service')
  const outcome = await sendOutreach(tenant, {
    contactId: booking.contactId,
    text: bookingMessageText(booking, service?.name ?? defaultName, which, tenant, locale),
    template:
      service?.templateName && service.templateLanguage
        ? {
            name: service.templateName,
            language: service.templateLanguage,
            variables: ['{{text}}'],
          }
        : null,
    guard: sendGuard(tenant, row),
  })
  return outcome
}

registerDueHandler(BOOKING_MESSAGE_KIND, (tenant, row) => runBookingMessage(tenant, row))
