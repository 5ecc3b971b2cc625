import vine from '@vinejs/vine'
import { apiBody } from '#app/http/api/index'
import { e164 } from './contact_api_validator.js'
import { isoTime } from './conversation_api_validator.js'

/** How many messages one ingest request may carry: send long histories in batches. */
export const MAX_INGEST_MESSAGES = 500

/**
 * POST /conversations/ingest: one contact's history on one channel, from
 * another system. `external_id` is the message's id there; importing it
 * again adds nothing.
 */
export const ingestBody = apiBody({
  contact: vine.object({
    phone: vine.string().trim().use(e164()),
    name: vine.string().trim().maxLength(200).nullable().optional(),
  }),
  channel_id: vine.string().uuid(),
  messages: vine
    .array(
      vine.object({
        external_id: vine.string().trim().minLength(1).maxLength(200),
        direction: vine.enum(['in', 'out'] as const),
        type: vine.enum(['text'] as const),
        text: vine.string().minLength(1).maxLength(4096),
        sent_at: vine.string().use(isoTime()),
      })
    )
    .minLength(1)
    .maxLength(MAX_INGEST_MESSAGES)
    .distinct('external_id'),
})
