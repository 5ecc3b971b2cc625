import type { HttpContext } from '@adonisjs/core/http'
import WebhookSubscription from '../../models/webhook_subscription.js'
import {
  ApiError,
  validateApiBody,
  keysetPage,
  pageBody,
  pageRequestFrom,
  idempotent,
  sendJson,
} from '#app/http/api/index'
import { apiErrorOf, presentDelivery, presentWebhook } from '../../services/webhook_api.js'
import {
  createSubscription,
  deleteSubscription,
  findSubscription,
  rotateSecret,
  updateSubscription,
} from '../../services/webhook_subscription_service.js'
import { listDeliveries } from '../../services/webhook_delivery_service.js'
import { createWebhookBody, updateWebhookBody } from '../../validators/webhook_validator.js'

/**
 * /api/v1/webhooks: the same subscriptions the workspace's Webhooks page
 * manages. The signing secret is in the answers to create and rotate only.
 */
export default class WebhooksApiController {
  async index(ctx: HttpContext) {
    const page = pageRequestFrom(ctx.request.qs())
    const { rows, nextCursor } = await ctx.tenant.transaction((trx) =>
      keysetPage(WebhookSubscription.query({ client: trx }), {
        column: 'created_at',
        direction: 'desc',
        page,
      })
    )
    return sendJson(
      ctx,
      200,
      pageBody(
        rows.map((row) => presentWebhook(row)),
        nextCursor
      )
    )
  }

  async show(ctx: HttpContext) {
    const subscription = await findSubscription(ctx.tenant, ctx.params.id)
    if (!subscription) throw webhookNotFound()
    return sendJson(ctx, 200, presentWebhook(subscription))
  }

  async store(ctx: HttpContext) {
    return idempotent(ctx, async () => {
      const data = await validateApiBody(ctx, createWebhookBody)
      const subscription = await createSubscription(ctx.tenant, {
        url: data.url,
        events: data.events,
        description: data.description ?? null,
        createdVia: 'api',
      }).catch((error) => {
        throw apiErrorOf(error)
      })
      const saved =
        data.active === false
          ? await updateSubscription(ctx.tenant, subscription.id, { active: false })
          : subscription
      return {
        status: 201,
        body: presentWebhook(saved, true),
        headers: { Location: `/api/v1/webhooks/${saved.id}` },
      }
    })
  }

  async update(ctx: HttpContext) {
    const data = await validateApiBody(ctx, updateWebhookBody)
    const subscription = await updateSubscription(ctx.tenant, ctx.params.id, {
      url: data.url,
      events: data.events,
      description: data.description,
      active: data.active,
    }).catch((error) => {
      throw apiErrorOf(error)
    })
    return sendJson(ctx, 200, presentWebhook(subscription))
  }

  async destroy(ctx: HttpContext) {
    await deleteSubscription(ctx.tenant, ctx.params.id).catch((error) => {
      throw apiErrorOf(error)
    })
    return ctx.response.status(204).send('')
  }

  /** A new secret, answered once; the old one stops signing at once. */
  async rotate(ctx: HttpContext) {
    const subscription = await rotateSecret(ctx.tenant, ctx.params.id).catch((error) => {
      throw apiErrorOf(error)
    })
    return sendJson(ctx, 200, presentWebhook(subscription, true))
  }

  /** The delivery log, newest first (the last 50). */
  async deliveries(ctx: HttpContext) {
    const subscription = await findSubscription(ctx.tenant, ctx.params.id)
    if (!subscription) throw webhookNotFound()
    const rows = await listDeliveries(ctx.tenant, subscription.id)
    return sendJson(ctx, 200, { data: rows.map(presentDelivery), next_cursor: null })
  }
}

function webhookNotFound() {
  return new ApiError(404, 'not_found', 'No such webhook')
}
