import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { DateTime } from 'luxon'
import { apiBody, apiQuery } from '#app/http/api/index'

export const CONVERSATION_STATUSES = ['open', 'pending', 'resolved', 'snoozed'] as const
export const CONVERSATION_PRIORITIES = ['none', 'low', 'medium', 'high', 'urgent'] as const

/** An ISO-8601 time with a zone (`2026-01-31T09:00:00Z`, `…+04:00`): kept as written. */
export const isoTime = vine.createRule(
  (value: unknown, _options: undefined, field: FieldContext) => {
    if (typeof value !== 'string' || !field.isValid) return
    const parsed = DateTime.fromISO(value, { setZone: true })
    if (!parsed.isValid || !/(Z|[+-]\d\d:?\d\d)$/i.test(value)) {
      field.report(
        'Give an ISO-8601 time with its zone, e.g. 2026-01-31T09:00:00Z',
        'iso_time',
        field
      )
    }
  }
)

/**
 * A time to list changes since: ISO-8601, read as UTC when it has no zone
 * (`2026-01-31`, `2026-01-31T09:00:00+04:00`); becomes a DateTime.
 */
export const sinceTime = vine.createRule(
  (value: unknown, _options: undefined, field: FieldContext) => {
    if (typeof value !== 'string' || !field.isValid) return
    const parsed = DateTime.fromISO(value, { zone: 'utc' })
    if (!parsed.isValid) {
      field.report('Give an ISO-8601 time, e.g. 2026-01-31T00:00:00Z', 'since_time', field)
      return
    }
    field.mutate(parsed, field)
  }
)

const anId = vine.string().trim().uuid()

/** GET /conversations: the filters beside the page's limit and cursor. */
export const conversationListQuery = apiQuery({
  status: vine.enum(CONVERSATION_STATUSES).optional(),
  assignee: vine
    .string()
    .trim()
    .regex(/^(none|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i)
    .optional(),
  label: vine
    .string()
    .trim()
    .maxLength(200)
    .transform((value) => value.toLowerCase())
    .optional(),
  channel_id: anId.clone().optional(),
  contact_id: anId.clone().optional(),
  updated_since: vine.string().trim().use(sinceTime()).optional(),
})

/** GET /conversations/:id/messages: the order to read in. */
export const messageListQuery = apiQuery({ order: vine.enum(['asc', 'desc'] as const).optional() })

/**
 * PATCH /conversations/:id: what the inbox's controls change, each optional.
 * `snoozed_until` goes with status `snoozed` (and only with it); labels
 * replace the conversation's labels.
 */
export const updateConversationBody = apiBody({
  assignee_id: vine.string().uuid().nullable().optional(),
  status: vine.enum(CONVERSATION_STATUSES).optional(),
  snoozed_until: vine.string().use(isoTime()).optional(),
  labels: vine.array(vine.string().maxLength(200)).maxLength(100).optional(),
  priority: vine.enum(CONVERSATION_PRIORITIES).optional(),
})
