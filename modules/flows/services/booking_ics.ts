/*
| iCalendar (RFC 5545) for bookings, written by hand: CRLF line ends, lines
| folded at 75 octets (never inside a UTF-8 character), TEXT values escaped,
| times in UTC. One VEVENT per booking with a stable UID, so a calendar
| that imported the confirmation updates it from the feed; SEQUENCE follows
| the booking's revision and a cancelled booking is STATUS:CANCELLED.
*/

export interface IcsEvent {
  uid: string
  start: Date
  end: Date
  summary: string
  description?: string
  status: 'confirmed' | 'cancelled'
  sequence: number
  /** DTSTAMP: when this version of the event was made. */
  stamp: Date
  /** Shown as the event's time zone hint; the times themselves are UTC. */
  url?: string
}

export function icsDate(date: Date) {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
}

/** TEXT escaping (RFC 5545 3.3.11): backslash, semicolon, comma, newline. */
export function icsText(value: string) {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n')
}

/** Folds a content line to 75 octets per line, continuation lines starting with a space. */
export function foldLine(line: string) {
  const parts: string[] = []
  let current = ''
  let octets = 0
  for (const char of line) {
    const size = Buffer.byteLength(char)
    const limit = parts.length ? 74 : 75
    if (octets + size > limit) {
      parts.push(current)
      current = ''
      octets = 0
    }
    current += char
    octets += size
  }
  parts.push(current)
  return parts.join('\r\n ')
}

export function buildIcs(events: IcsEvent[], options: { name?: string; method?: 'PUBLISH' } = {}) {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//FloMastr//Session booker//EN',
    'CALSCALE:GREGORIAN',
    `METHOD:${options.method ?? 'PUBLISH'}`,
  ]
  if (options.name) lines.push(`X-WR-CALNAME:${icsText(options.name)}`)
  for (const event of events) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${event.uid}`,
      `DTSTAMP:${icsDate(event.stamp)}`,
      `DTSTART:${icsDate(event.start)}`,
      `DTEND:${icsDate(event.end)}`,
      `SUMMARY:${icsText(event.summary)}`
    )
    if (event.description) lines.push(`DESCRIPTION:${icsText(event.description)}`)
    if (event.url) lines.push(`URL:${event.url}`)
    lines.push(
      `STATUS:${event.status === 'cancelled' ? 'CANCELLED' : 'CONFIRMED'}`,
      `SEQUENCE:${event.sequence}`,
      'END:VEVENT'
    )
  }
  lines.push('END:VCALENDAR')
  return lines.map(foldLine).join('\r\n') + '\r\n'
}

/** The UID of a booking's event: stable across changes, unique across workspaces. */
export function bookingUid(tenantSlug: string, bookingId: string) {
  return `${bookingId}@${tenantSlug}.bookings.flomastr`
}
