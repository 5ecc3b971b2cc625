import { fixClock } from '#app/clock'

/**
 * Instants that have broken date logic before, for tests whose outcome
 * depends on the day: run them `.with(FIXED_INSTANTS)` so they pass (or
 * fail) the same on every day of the week. Weekdays are for Asia/Dubai
 * (UTC+4), the zone those tests give their member or business.
 */
export const FIXED_INSTANTS = [
  // "Tomorrow 9:00" is Monday 9:00, the start of next week.
  { name: 'a Sunday morning', at: '2026-12-06T10:00:00+04:00' },
  // Tomorrow is Sunday; next week starts the day after.
  { name: 'a Saturday night', at: '2026-12-05T23:30:00+04:00' },
  // Still Saturday on the server (UTC), already Sunday for the member.
  { name: 'a Saturday night in UTC, Sunday in Dubai', at: '2026-12-05T23:30:00Z' },
  { name: 'a Wednesday afternoon', at: '2026-12-09T15:00:00+04:00' },
]

export type FixedInstant = (typeof FIXED_INSTANTS)[number]

/** Holds the app's clock at `at` for one test; the test's cleanup lets it go. */
export function useFixedClock(cleanup: (fn: () => void) => void, at: string) {
  cleanup(fixClock(at))
}
