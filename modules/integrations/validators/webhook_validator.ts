import vine from '@vinejs/vine'
import { apiBody } from '#app/http/api/index'
import { WEBHOOK_EVENT_TYPES } from '../services/webhook_events.js'

/*
| Webhook subscriptions as the API and the workspace form accept them. The
| URL's reachability (public address, http or https) is checked by the
| service, which resolves the host: a validator cannot.
*/

const EVENT_CHOICES = ['*', ...WEBHOOK_EVENT_TYPES] as const

const url = vine
  .string()
  .trim()
  .maxLength(2000)
  .url({ require_protocol: true, protocols: ['http', 'https'], require_tld: false })
const events = vine.array(vine.enum(EVENT_CHOICES)).minLength(1).distinct()
const description = vine.string().trim().maxLength(200).nullable()

export const createWebhookBody = apiBody({
  url,
  events,
  description: description.clone().optional(),
  active: vine.boolean().optional(),
})

export const updateWebhookBody = apiBody({
  url: url.clone().optional(),
  events: events.clone().optional(),
  description: description.clone().optional(),
  active: vine.boolean().optional(),
})

/** Zapier's REST Hooks: one target, one event. */
export const createHookBody = apiBody({
  target_url: url.clone(),
  event: vine.enum(EVENT_CHOICES),
})

/** The workspace form: checkboxes arrive as one value or a list. */
export const webhookFormValidator = vine.compile(
  vine.object({
    url: vine.string().trim().maxLength(2000),
    description: vine.string().trim().maxLength(200).nullable().optional(),
  })
)
