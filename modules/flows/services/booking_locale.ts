import { DateTime } from 'luxon'
import { messageLanguage } from '#modules/brain/index'

/*
| The language the booker speaks to a customer in: English or Arabic, by
| the contact's language field, else by the language of what they wrote,
| else English. Times are written in that language too.
*/

export type BookingLocale = 'en' | 'ar'

export function bookingLocaleOf(
  contact: { language?: string | null } | null | undefined,
  text?: string | null
): BookingLocale {
  const given = contact?.language?.trim().toLowerCase() ?? ''
  if (given.startsWith('ar')) return 'ar'
  if (given.startsWith('en')) return 'en'
  return text && messageLanguage(text) === 'arabic' ? 'ar' : 'en'
}

/** A slot as a list row's title (WhatsApp allows 24 characters), in the customer's zone and language. */
export function slotRowTitle(start: Date, zone: string, locale: BookingLocale) {
  return [...DateTime.fromJSDate(start, { zone }).setLocale(locale).toFormat('ccc d LLL, HH:mm')]
    .slice(0, 24)
    .join('')
}
