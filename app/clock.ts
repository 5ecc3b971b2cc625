import { DateTime } from 'luxon'

/*
| The time the product reasons about when "now" decides an outcome a person
| sees: snooze presets ("tomorrow 9:00", "next week"), business hours, "in
| the future". Code that computes such answers reads `clock`, not the system
| time, so a test can set a fixed instant (a Sunday, a Saturday night) and
| get the same answer on every day of the week. Only tests fix it; the
| database's now() and timers are untouched.
*/

let fixedAt: number | null = null

export const clock = {
  /** Now as a luxon DateTime (in the process's zone, like DateTime.now()). */
  now(): DateTime {
    return fixedAt === null ? DateTime.now() : DateTime.fromMillis(fixedAt)
  },
  /** Now in milliseconds since the epoch, like Date.now(). */
  millis(): number {
    return fixedAt ?? Date.now()
  },
}

/**
 * Holds the clock at `at` until the returned function is called (tests only:
 * a fixed clock stands still, so elapsed time is zero while it is set).
 */
export function fixClock(at: DateTime | Date | string): () => void {
  const millis =
    typeof at === 'string'
      ? DateTime.fromISO(at, { setZone: true }).toMillis()
      : at instanceof Date
        ? at.getTime()
        : at.toMillis()
  if (!Number.isFinite(millis)) throw new Error(`not an instant: ${String(at)}`)
  const previous = fixedAt
  fixedAt = millis
  return () => {
    fixedAt = previous
  }
}
