import { DateTime } from 'luxon'
import { zoneOf } from './campaign_schedule.js'

/*
| The rules' wall-clock times, computed on the contact's local calendar
| with luxon: "10:00 local, 30 days before the date" and "08:00 on
| weekdays" stay at that local hour across a daylight-saving change (the
| UTC instant moves instead). A wall time that a spring-forward skips
| (02:30 on the night clocks jump) runs at the first valid minute after it.
*/

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/

export function isClockText(value: unknown): value is string {
  return typeof value === 'string' && CLOCK.test(value)
}

function clockOf(text: string) {
  const match = text.match(CLOCK)
  return match ? { hour: Number(match[1]), minute: Number(match[2]) } : { hour: 10, minute: 0 }
}

/** `day` in the zone at the wall time; a skipped wall time moves to the first valid one after it. */
function atWallTime(day: DateTime, at: string) {
  const { hour, minute } = clockOf(at)
  const candidate = day.set({ hour, minute, second: 0, millisecond: 0 })
  // luxon shifts a nonexistent time forward by the gap, which is what we want;
  // a time that exists twice (fall back) takes its first occurrence.
  return candidate
}

/** The instant of `date` (YYYY-MM-DD) + `offsetDays` at `at` in the contact's zone, or null. */
export function localDayAt(
  date: string,
  timeZone: string | null | undefined,
  at: string,
  offsetDays = 0
): DateTime | null {
  const day = DateTime.fromISO(date, { zone: zoneOf(timeZone) })
  if (!day.isValid) return null
  return atWallTime(day.startOf('day').plus({ days: offsetDays }), at)
}

/**
 * The first instant strictly after `from` at `at` local time on one of the
 * ISO weekdays (1 Monday .. 7 Sunday), with the local date it falls on.
 */
export function nextLocalSlot(
  from: DateTime,
  timeZone: string | null | undefined,
  at: string,
  weekdays: readonly number[]
): { at: DateTime; day: string } {
  const local = from.setZone(zoneOf(timeZone))
  for (let offset = 0; offset <= 7; offset++) {
    const day = local.startOf('day').plus({ days: offset })
    if (weekdays.length && !weekdays.includes(day.weekday)) continue
    const candidate = atWallTime(day, at)
    if (candidate > local) return { at: candidate, day: day.toISODate()! }
  }
  const fallback = atWallTime(local.startOf('day').plus({ days: 7 }), at)
  return { at: fallback, day: fallback.toISODate()! }
}

/** The local date (YYYY-MM-DD) of an instant in the contact's zone. */
export function localDate(at: DateTime, timeZone: string | null | undefined) {
  return at.setZone(zoneOf(timeZone)).toISODate()!
}

/** The Monday (YYYY-MM-DD) of the contact's local week containing `at`. */
export function localWeek(at: DateTime, timeZone: string | null | undefined) {
  return at.setZone(zoneOf(timeZone)).startOf('week').toISODate()!
}
