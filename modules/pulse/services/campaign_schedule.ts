import { DateTime } from 'luxon'

/*
| When a recipient's message may go: the campaign's time (or its wall-clock
| time in the contact's own zone) moved out of the quiet hours (contact-local,
| 21:00–09:00 by default) to the moment they end.
*/

export const DEFAULT_QUIET = { start: 21 * 60, end: 9 * 60 }

/** A zone Postgres and luxon both know, else UTC. */
export function zoneOf(timeZone: string | null | undefined) {
  return timeZone && DateTime.now().setZone(timeZone).isValid ? timeZone : 'UTC'
}

/**
 * The SQL (over an audience row `a`) of a recipient's first moment to send:
 * `base` is a timestamptz expression, or with `localAt` a wall-clock
 * timestamp read in the contact's zone. Zones Postgres does not know count as UTC.
 */
export function dueAtSql(
  schedule: { scheduleAt: Date | null; localAt: string | null },
  quiet: { start: number | null; end: number | null }
): { sql: string; bindings: unknown[] } {
  const zone = `(case when a.time_zone in (select name from pg_timezone_names) then a.time_zone else 'UTC' end)`
  const base = schedule.localAt
    ? { sql: `(?::timestamp at time zone ${zone})`, bindings: [schedule.localAt] }
    : { sql: `greatest(coalesce(?::timestamptz, now()), now())`, bindings: [schedule.scheduleAt] }
  if (quiet.start === null || quiet.end === null || quiet.start === quiet.end) return base
  // The local wall clock and its minute of the day.
  const local = `(${base.sql} at time zone ${zone})`
  const minute = `(extract(hour from ${local}) * 60 + extract(minute from ${local}))`
  const day = `date_trunc('day', ${local})`
  const wraps = quiet.start > quiet.end
  const quietNow = wraps
    ? `(${minute} >= ${quiet.start} or ${minute} < ${quiet.end})`
    : `(${minute} >= ${quiet.start} and ${minute} < ${quiet.end})`
  const end = `make_interval(mins => ${quiet.end})`
  const next = wraps
    ? `(case when ${minute} >= ${quiet.start} then ${day} + interval '1 day' + ${end} else ${day} + ${end} end)`
    : `(${day} + ${end})`
  // Each use of base/local repeats its bindings, in order of appearance.
  const sql = `(case when ${quietNow} then (${next} at time zone ${zone}) else ${base.sql} end)`
  const uses = (sql.match(/\?/g) ?? []).length / Math.max(1, base.bindings.length)
  return { sql, bindings: Array.from({ length: uses }, () => base.bindings).flat() }
}

/** Whether `at` falls in the quiet hours in the zone, and if so when they end. */
export function quietUntil(
  at: DateTime,
  timeZone: string | null,
  quiet: { start: number | null; end: number | null }
): DateTime | null {
  if (quiet.start === null || quiet.end === null || quiet.start === quiet.end) return null
  const local = at.setZone(zoneOf(timeZone))
  const minute = local.hour * 60 + local.minute
  const wraps = quiet.start > quiet.end
  const inQuiet = wraps
    ? minute >= quiet.start || minute < quiet.end
    : minute >= quiet.start && minute < quiet.end
  if (!inQuiet) return null
  const endToday = local.startOf('day').plus({ minutes: quiet.end })
  return wraps && minute >= quiet.start ? endToday.plus({ days: 1 }) : endToday
}

/** `HH:MM` for minutes after midnight, and back (null for anything else). */
export function clockText(minutes: number | null) {
  if (minutes === null) return ''
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
}

export function clockMinutes(text: unknown): number | null {
  const match = typeof text === 'string' ? text.match(/^([01]\d|2[0-3]):([0-5]\d)$/) : null
  return match ? Number(match[1]) * 60 + Number(match[2]) : null
}
