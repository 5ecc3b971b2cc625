import { DateTime } from 'luxon'
import vine from '@vinejs/vine'
import { clock } from '#app/clock'
import { refusedParameters } from '#app/validation/query'
import type { ConversationStatus } from '../models/conversation.js'
import { ConversationError, PRIORITIES } from '../services/conversation_service.js'

/*
| The inbox's action forms carry one or two fields each; these read them,
| refusing what cannot be meant with the field at fault. Range checks that
| depend on the conversation (a time in the future) stay in the service.
*/

export const INBOX_VIEWS = ['mine', 'unassigned', 'needs_person', 'all'] as const
export type InboxView = (typeof INBOX_VIEWS)[number]
export const INBOX_STATUSES: ConversationStatus[] = ['open', 'pending', 'snoozed', 'resolved']

/** Cuts what was typed to `max` characters rather than refusing the whole filter. */
const upTo = (max: number) =>
  vine
    .string()
    .trim()
    .transform((value) => value.slice(0, max))

/**
 * The inbox's query string: the list's filters and page, which conversation
 * is open beside it, and where an earlier page of its thread starts. Read
 * with readQuery, which drops a refused parameter (the page's default).
 */
export const inboxQueryValidator = vine.compile(
  vine.object({
    view: vine.enum(INBOX_VIEWS).optional(),
    status: vine.enum([...INBOX_STATUSES, 'all' as const]).optional(),
    label: upTo(40)
      .transform((value) => value.toLowerCase())
      .optional(),
    channel: vine.string().trim().uuid().optional(),
    q: upTo(100).optional(),
    cursor: vine.string().trim().maxLength(200).optional(),
    current: vine.string().trim().uuid().optional(),
    before: vine.string().trim().maxLength(200).optional(),
  })
)

export const SNOOZE_PRESETS = ['1h', 'tomorrow', 'next_week', 'custom'] as const
export type SnoozePreset = (typeof SNOOZE_PRESETS)[number]

/*
| The action forms' schemas. A refused field becomes the inbox's own error
| (its code names the sentence the page shows beside that form), through
| actionForm below.
*/

/** '' (no one) unassigns; anything else must be a user id (membership is checked later). */
export const assignForm = vine.compile(
  vine.object({ assignee: vine.string().trim().uuid().optional() })
)

export const priorityForm = vine.compile(vine.object({ priority: vine.enum(PRIORITIES) }))

/** Labels to add, typed into one box separated by commas; one label to remove. */
export const labelsForm = vine.compile(
  vine.object({
    add: vine
      .string()
      .maxLength(4000)
      .transform((value) => value.split(','))
      .optional(),
    remove: vine.string().trim().maxLength(200).optional(),
  })
)

/** A preset, or `custom` with a local date and time (read in the member's zone by snoozeUntilFrom). */
export const snoozeForm = vine.compile(
  vine.object({
    until: vine.enum(SNOOZE_PRESETS),
    custom_until: vine.string().trim().maxLength(40).optional(),
  })
)

/** Each action form's field, with the error the inbox reports when the schema refuses it. */
const REFUSALS: Record<string, [code: string, message: string]> = {
  assignee: ['invalid_assignee', 'Choose a member of this workspace who may reply'],
  priority: ['invalid_priority', 'Choose one of the priorities'],
  add: ['invalid_labels', 'Labels could not be read'],
  remove: ['invalid_labels', 'Labels could not be read'],
  until: ['invalid_snooze', 'Choose when to snooze until'],
  custom_until: ['invalid_snooze', 'Enter a date and time to snooze until'],
}

/** An action form through its schema; the first field refused is the inbox's error on it. */
export async function actionForm<Output>(
  validator: { validate(data: unknown): Promise<Output> },
  data: unknown
): Promise<Output> {
  try {
    return await validator.validate(data)
  } catch (error) {
    const [field] = refusedParameters(error)
    const [code, message] = REFUSALS[field] ?? ['invalid_input', 'The form could not be read']
    throw new ConversationError(code, message, 422, field)
  }
}

/**
 * When a snooze ends: an hour from now, tomorrow at 9:00 or next week (a
 * Monday at 9:00) in the member's time zone, or a date and time they typed
 * (read in their zone).
 *
 * "Next week" is the Monday after tomorrow's week begins, so it is always a
 * later choice than "tomorrow": on a Sunday, tomorrow is already Monday 9:00
 * and a member who picks "next week" instead means the Monday after (eight
 * days on), not the same instant under another name. On a Saturday it is
 * the coming Monday, after "tomorrow" (Sunday).
 */
export function snoozeUntilFrom(
  input: { until?: unknown; custom_until?: unknown },
  timezone: string,
  now: DateTime = clock.now()
): DateTime {
  const local = now.setZone(timezone)
  const nineOClock = { hour: 9, minute: 0, second: 0, millisecond: 0 }
  switch (input.until) {
    case '1h':
      return now.plus({ hours: 1 })
    case 'tomorrow':
      return local.plus({ days: 1 }).set(nineOClock)
    case 'next_week':
      return local.plus({ days: 1 }).startOf('week').plus({ weeks: 1 }).set(nineOClock)
    case 'custom': {
      const typed = typeof input.custom_until === 'string' ? input.custom_until.trim() : ''
      const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(typed)
        ? DateTime.fromISO(typed, { zone: timezone })
        : null
      if (at?.isValid) return at
      throw new ConversationError(
        'invalid_snooze',
        'Enter a date and time to snooze until',
        422,
        'custom_until'
      )
    }
    default:
      throw new ConversationError('invalid_snooze', 'Choose when to snooze until', 422, 'until')
  }
}
