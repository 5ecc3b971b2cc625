import type { HttpContext } from '@adonisjs/core/http'
import { ApiError, validateApiBody, idempotent, apiTime, sendJson } from '#app/http/api/index'
import { apiErrorOf } from '../../services/webhook_api.js'
import {
  createSubscription,
  deleteSubscription,
  wasSubscriptionDeleted,
  WebhookError,
} from '../../services/webhook_subscription_service.js'
import { eventIdFor } from '../../services/webhook_delivery_service.js'
import { isWebhookEventType } from '../../services/webhook_events.js'
import { FIXED_SAMPLE_TIME, fixedSample, latestSample } from '../../services/webhook_payloads.js'
import { createHookBody } from '../../validators/webhook_validator.js'

/**
 * REST Hooks, the subscription protocol Zapier's triggers speak (and n8n's
 * HTTP Request node can drive): subscribe a target URL to one event when a
 * Zap is turned on, unsubscribe when it is turned off, and fetch a sample
 * event for the trigger's field mapping. Each hook is an ordinary webhook
 * subscription, listed in the workspace with the others.
 */
export default class HooksApiController {
  async store(ctx: HttpContext) {
    return idempotent(ctx, async () => {
      const data = await validateApiBody(ctx, createHookBody)
      const subscription = await createSubscription(ctx.tenant, {
        url: data.target_url,
        events: [data.event],
        description: `REST hook (${ctx.apiKey.name})`,
        createdVia: 'rest_hook',
      }).catch((error) => {
        throw apiErrorOf(error, { url: 'target_url', events: 'event' })
      })
      return {
        status: 201,
        body: {
          id: subscription.id,
          target_url: subscription.url,
          event: data.event,
          secret: subscription.secret,
          created_at: subscription.createdAt.toUTC().toISO(),
        },
        headers: { Location: `/api/v1/webhooks/${subscription.id}` },
      }
    })
  }

  /**
   * Answers 200 with a body, because Zapier's SDK refuses an empty answer
   * to an unsubscribe; 204 for clients that ask for no body (`Prefer:
   * return=minimal`). Deleting a hook this workspace already deleted is a
   * success too: an unsubscribe is retried when its answer was lost.
   */
  async destroy(ctx: HttpContext) {
    const id = String(ctx.params.id)
    try {
      await deleteSubscription(ctx.tenant, id)
    } catch (error) {
      const gone =
        error instanceof WebhookError &&
        error.code === 'not_found' &&
        (await wasSubscriptionDeleted(ctx.tenant, id))
      if (!gone) throw apiErrorOf(error)
    }
    if (prefersMinimal(ctx.request.header('prefer'))) return ctx.response.status(204).send('')
    return sendJson(ctx, 200, { id, deleted: true })
  }

  /**
   * A sample event as a delivery carries it, with the id and time its
   * delivery had: from the workspace's newest record of the kind when there
   * is one, else a fixed example.
   */
  async sample(ctx: HttpContext) {
    const type = String(ctx.params.event)
    if (!isWebhookEventType(type)) {
      throw new ApiError(404, 'unknown_event', `No event is called ${type}`)
    }
    const real = await ctx.tenant.transaction((trx) => latestSample(trx, type))
    return sendJson(ctx, 200, {
      id: eventIdFor(ctx.tenant, real?.key ?? `sample:${type}`),
      type,
      created_at: real ? apiTime(real.createdAt) : FIXED_SAMPLE_TIME,
      tenant: { id: ctx.tenant.id, slug: ctx.tenant.slug },
      data: real ? real.data : fixedSample(type),
    })
  }
}

/** RFC 7240: `Prefer: return=minimal`, among other preferences, in any case. */
function prefersMinimal(header: string | undefined) {
  return (header ?? '')
    .split(',')
    .some((preference) => preference.trim().toLowerCase() === 'return=minimal')
}
