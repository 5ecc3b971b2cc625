import { DateTime } from 'luxon'

/*
| Slot arithmetic for the session booker, pure so it is tested on its own.
| Working windows are wall-clock times in the member's zone, turned into
| instants per local date with luxon (a window starting in a skipped
| spring-forward hour starts at the first valid minute), then stepped by
| elapsed minutes, so a slot is always exactly the service's length in real
| time across a daylight-saving change. Slots are shown in the customer's zone.
*/

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]
export type WeeklyHours = Partial<Record<Weekday, Array<[string, string]>>>

export interface MemberAvailability {
  memberId: string
  timeZone: string
  weekly: WeeklyHours
  /** Local dates (yyyy-MM-dd, in the member's zone) off work. */
  daysOff: string[]
}

/** A time the member is not free: [start, end). */
export interface Busy {
  memberId: string
  start: Date
  end: Date
}

export interface SlotRequest {
  durationMinutes: number
  bufferMinutes: number
  members: MemberAvailability[]
  busy: Busy[]
  from: Date
  to: Date
  /** No slot starts before this (now). */
  notBefore: Date
  customerZone: string
}

export interface Slot {
  start: Date
  end: Date
  /** The start in the customer's zone, ISO with offset. */
  localStart: string
  /** Members free for it, in the order given. */
  memberIds: string[]
}

export function validZone(zone: string | null | undefined): string {
  return zone && DateTime.now().setZone(zone).isValid ? zone : 'UTC'
}

export function parseClock(text: string) {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text)
  return match ? { hour: Number(match[1]), minute: Number(match[2]) } : null
}

/** Windows that are well formed: HH:MM pairs, start before end. */
export function cleanWeekly(weekly: unknown): WeeklyHours {
  const result: WeeklyHours = {}
  if (!weekly || typeof weekly !== 'object') return result
  for (const day of WEEKDAYS) {
    const windows = (weekly as Record<string, unknown>)[day]
    if (!Array.isArray(windows)) continue
    const good = windows.filter(
      (w): w is [string, string] =>
        Array.isArray(w) &&
        typeof w[0] === 'string' &&
        typeof w[1] === 'string' &&
        parseClock(w[0]) !== null &&
        parseClock(w[1]) !== null &&
        w[0] < w[1]
    )
    if (good.length) result[day] = good
  }
  return result
}

function atLocal(date: DateTime, clock: string) {
  const { hour, minute } = parseClock(clock)!
  return DateTime.fromObject(
    { year: date.year, month: date.month, day: date.day, hour, minute },
    { zone: date.zone }
  )
}

/** One member's free slot starts between from and to. */
export function memberSlots(member: MemberAvailability, request: SlotRequest) {
  const zone = validZone(member.timeZone)
  const length = request.durationMinutes
  const block = request.durationMinutes + request.bufferMinutes
  const busy = request.busy.filter((b) => b.memberId === member.memberId)
  const from = Math.max(request.from.getTime(), request.notBefore.getTime())
  const to = request.to.getTime()
  const found: Array<{ start: DateTime; end: DateTime }> = []
  let day = DateTime.fromMillis(from, { zone }).startOf('day').minus({ days: 1 })
  const lastDay = DateTime.fromMillis(to, { zone }).startOf('day')
  const daysOff = new Set(member.daysOff)
  for (; day <= lastDay; day = day.plus({ days: 1 })) {
    if (daysOff.has(day.toISODate()!)) continue
    for (const [open, close] of member.weekly[WEEKDAYS[day.weekday - 1]] ?? []) {
      const windowEnd = atLocal(day, close)
      for (let start = atLocal(day, open); ; start = start.plus({ minutes: block })) {
        const end = start.plus({ minutes: length })
        if (end > windowEnd) break
        const startMs = start.toMillis()
        if (startMs < from || startMs >= to) continue
        const blocksUntil = start.plus({ minutes: block }).toMillis()
        const clash = busy.some((b) => b.start.getTime() < blocksUntil && b.end.getTime() > startMs)
        if (!clash) found.push({ start, end })
      }
    }
  }
  return found
}

/** Free slots of all members, merged by start instant, in the customer's zone. */
export function computeSlots(request: SlotRequest): Slot[] {
  const byStart = new Map<number, Slot>()
  const customerZone = validZone(request.customerZone)
  for (const member of request.members) {
    for (const { start, end } of memberSlots(member, request)) {
      const key = start.toMillis()
      const slot = byStart.get(key) ?? {
        start: start.toJSDate(),
        end: end.toJSDate(),
        localStart: start.setZone(customerZone).toISO({ suppressMilliseconds: true })!,
        memberIds: [],
      }
      slot.memberIds.push(member.memberId)
      byStart.set(key, slot)
    }
  }
  return [...byStart.values()].sort((a, b) => a.start.getTime() - b.start.getTime())
}
