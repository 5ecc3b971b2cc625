import { DateTime } from 'luxon'
import { zoneOf } from './campaign_schedule.js'

/*
| Wall-clock arithmetic in a contact's zone with luxon: "in 3 days at
| 09:00" and "next Monday 09:00" are computed on the local calendar, so a
| 09:00 step stays 09:00 local across a daylight-saving change (the UTC
| instant moves by the hour instead).
*/

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]

/** `HH:MM` as hour and minute, or null. */
export function parseClock(text: string | null | undefined) {
  const match = typeof text === 'string' ? text.match(/^([01]\d|2[0-3]):([0-5]\d)$/) : null
  return match ? { hour: Number(match[1]), minute: Number(match[2]) } : null
}

/**
 * The first instant strictly after `from` whose local time in `timeZone`
 * is `at` (HH:MM) on one of `weekdays` (all days when empty). A wall time
 * that a spring-forward skips runs at the first valid minute after it.
 */
export function nextLocalTime(
  from: DateTime,
  timeZone: string | null | undefined,
  at: string,
  weekdays: readonly Weekday[] = []
): DateTime {
  const clock = parseClock(at) ?? { hour: 9, minute: 0 }
  const local = from.setZone(zoneOf(timeZone))
  for (let day = 0; day <= 7; day++) {
    const date = local.startOf('day').plus({ days: day })
    const candidate = date.set({
      hour: clock.hour,
      minute: clock.minute,
      second: 0,
      millisecond: 0,
    })
    if (weekdays.length && !weekdays.includes(WEEKDAYS[candidate.weekday - 1])) continue
    if (candidate > local) return candidate
  }
  // Unreachable with a valid day list; a week on as a safe answer.
  return local.plus({ weeks: 1 })
}

/**
 * `amount` of `unit` after `from`, counted on the local calendar for days
 * and weeks (so "1 day" after 09:00 is 09:00 the next day even across DST),
 * and as elapsed time for minutes and hours.
 */
export function addLocal(
  from: DateTime,
  timeZone: string | null | undefined,
  amount: number,
  unit: 'minutes' | 'hours' | 'days' | 'weeks'
): DateTime {
  return from.setZone(zoneOf(timeZone)).plus({ [unit]: amount })
}

/** The instant of `date` (YYYY-MM-DD) plus `offsetDays` at `at` local time in the zone. */
export function localDateAt(
  date: string,
  timeZone: string | null | undefined,
  at: string,
  offsetDays = 0
): DateTime | null {
  const clock = parseClock(at) ?? { hour: 9, minute: 0 }
  const day = DateTime.fromISO(date, { zone: zoneOf(timeZone) })
  if (!day.isValid) return null
  return day
    .startOf('day')
    .plus({ days: offsetDays })
    .set({ hour: clock.hour, minute: clock.minute, second: 0, millisecond: 0 })
}
