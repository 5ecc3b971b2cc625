import type { HttpContext } from '@adonisjs/core/http'
import { workspaceLayout } from '#modules/tenancy/index'
import { fieldError, validatedOrBack } from '#app/http/form_errors'
import type WebhookSubscription from '../models/webhook_subscription.js'
import {
  WebhookError,
  createSubscription,
  deleteSubscription,
  findSubscription,
  listSubscriptions,
  rotateSecret,
  updateSubscription,
} from '../services/webhook_subscription_service.js'
import { listDeliveries, redeliver, sendTestEvent } from '../services/webhook_delivery_service.js'
import { WEBHOOK_EVENT_TYPES } from '../services/webhook_events.js'
import { webhookFormValidator } from '../validators/webhook_validator.js'
import { wantsFragment } from '#app/http/htmx'
import { errors as lucidErrors } from '@adonisjs/lucid'

/**
 * Settings → Webhooks (owners and admins): the subscriptions, a form to add
 * one, and per subscription its settings, secret, test event and delivery
 * log with redelivery. Every action is a plain form post answered by a
 * redirect; htmx swaps only the part that changed (the log after a test or
 * a redelivery) and refreshes the log while the page is open.
 */
export default class WebhooksController {
  async index(ctx: HttpContext) {
    await authorize(ctx)
    const subscriptions = await listSubscriptions(ctx.tenant)
    return ctx.view.render('integrations::webhooks/index', {
      ...workspaceLayout(ctx, 'webhooks'),
      subscriptions: subscriptions.map((subscription) => summary(ctx, subscription)),
      eventChoices: eventChoices(ctx, oldEvents(ctx)),
    })
  }

  async store(ctx: HttpContext) {
    await authorize(ctx)
    const list = `${base(ctx)}/settings/webhooks`
    const data = await validatedOrBack(ctx, `${list}#create`, () =>
      ctx.request.validateUsing(webhookFormValidator)
    )
    if (!data) return
    try {
      const subscription = await createSubscription(ctx.tenant, {
        url: data.url,
        events: submittedEvents(ctx),
        description: data.description ?? null,
        createdVia: 'workspace',
      })
      ctx.session.flash('success', ctx.i18n.t('webhooks.flash.created'))
      return ctx.response.redirect(`${list}/${subscription.id}`)
    } catch (error) {
      return refused(ctx, error, `${list}#create`)
    }
  }

  async show(ctx: HttpContext) {
    await authorize(ctx)
    const subscription = await findOr404(ctx)
    const deliveries = await deliveryRows(ctx, subscription)
    const page = {
      ...workspaceLayout(ctx, 'webhooks'),
      subscription: summary(ctx, subscription),
      secret: subscription.secret,
      deliveries,
      eventChoices: eventChoices(ctx, oldEvents(ctx) ?? subscription.events),
    }
    // The log's own refresh (htmx polling) wants the log alone.
    if (wantsFragment(ctx.request, 'delivery-log')) {
      return ctx.view.render('integrations::webhooks/_deliveries', page)
    }
    return ctx.view.render('integrations::webhooks/show', page)
  }

  async update(ctx: HttpContext) {
    await authorize(ctx)
    const subscription = await findOr404(ctx)
    const page = `${base(ctx)}/settings/webhooks/${subscription.id}`
    const data = await validatedOrBack(ctx, `${page}#settings`, () =>
      ctx.request.validateUsing(webhookFormValidator)
    )
    if (!data) return
    try {
      await updateSubscription(ctx.tenant, subscription.id, {
        url: data.url,
        events: submittedEvents(ctx),
        description: data.description ?? null,
      })
      ctx.session.flash('success', ctx.i18n.t('webhooks.flash.saved'))
      return ctx.response.redirect(page)
    } catch (error) {
      return refused(ctx, error, `${page}#settings`)
    }
  }

  async status(ctx: HttpContext) {
    await authorize(ctx)
    const subscription = await findOr404(ctx)
    const active = ctx.request.input('active') === '1'
    await updateSubscription(ctx.tenant, subscription.id, { active })
    ctx.session.flash(
      'success',
      ctx.i18n.t(active ? 'webhooks.flash.enabled' : 'webhooks.flash.disabled')
    )
    return ctx.response.redirect(`${base(ctx)}/settings/webhooks/${subscription.id}`)
  }

  async rotate(ctx: HttpContext) {
    await authorize(ctx)
    const subscription = await findOr404(ctx)
    await rotateSecret(ctx.tenant, subscription.id)
    ctx.session.flash('success', ctx.i18n.t('webhooks.flash.rotated'))
    return ctx.response.redirect(`${base(ctx)}/settings/webhooks/${subscription.id}#secret`)
  }

  async test(ctx: HttpContext) {
    await authorize(ctx)
    const subscription = await findOr404(ctx)
    const page = `${base(ctx)}/settings/webhooks/${subscription.id}`
    try {
      await sendTestEvent(ctx.tenant, subscription.id)
      ctx.session.flash('success', ctx.i18n.t('webhooks.flash.test_sent'))
    } catch (error) {
      if (!(error instanceof WebhookError)) throw error
      ctx.session.flash('error', ctx.i18n.t(`webhooks.errors.${error.code}`))
    }
    return ctx.response.redirect(`${page}#deliveries`)
  }

  async redeliver(ctx: HttpContext) {
    await authorize(ctx)
    const subscription = await findOr404(ctx)
    const page = `${base(ctx)}/settings/webhooks/${subscription.id}`
    try {
      await redeliver(ctx.tenant, subscription.id, String(ctx.params.deliveryId))
      ctx.session.flash('success', ctx.i18n.t('webhooks.flash.redelivered'))
    } catch (error) {
      if (!(error instanceof WebhookError)) throw error
      if (error.code === 'not_found') throw new lucidErrors.E_ROW_NOT_FOUND()
      ctx.session.flash('error', ctx.i18n.t(`webhooks.errors.${error.code}`))
    }
    return ctx.response.redirect(`${page}#deliveries`)
  }

  async destroy(ctx: HttpContext) {
    await authorize(ctx)
    const subscription = await findOr404(ctx)
    await deleteSubscription(ctx.tenant, subscription.id)
    ctx.session.flash('success', ctx.i18n.t('webhooks.flash.deleted', { url: subscription.url }))
    return ctx.response.redirect(`${base(ctx)}/settings/webhooks`)
  }
}

async function authorize(ctx: HttpContext) {
  await ctx.bouncer.with('WebhooksPolicy').authorize('manage', ctx.access)
}

function base(ctx: HttpContext) {
  return workspaceLayout(ctx, 'webhooks').base
}

async function findOr404(ctx: HttpContext) {
  const subscription = await findSubscription(ctx.tenant, String(ctx.params.id))
  if (!subscription) throw new lucidErrors.E_ROW_NOT_FOUND()
  return subscription
}

function refused(ctx: HttpContext, error: unknown, back: string) {
  if (!(error instanceof WebhookError) || !error.field) throw error
  fieldError(
    ctx,
    error.field,
    ctx.i18n.t(`webhooks.errors.${error.code}`, { detail: error.message })
  )
  ctx.session.flash('error', ctx.i18n.t('webhooks.errors.fix_form'))
  return ctx.response.redirect(back)
}

function submittedEvents(ctx: HttpContext): string[] {
  const raw = ctx.request.input('events')
  return (Array.isArray(raw) ? raw : raw ? [raw] : []).map(String)
}

/** Boxes ticked again after a refused submit. */
function oldEvents(ctx: HttpContext): string[] | null {
  const old = ctx.session.flashMessages.get('events')
  if (old === undefined || old === null) {
    return ctx.session.flashMessages.has('url') ? [] : null
  }
  return Array.isArray(old) ? old.map(String) : [String(old)]
}

function eventChoices(ctx: HttpContext, checked: string[] | null) {
  return ['*', ...WEBHOOK_EVENT_TYPES].map((type) => ({
    type,
    label: ctx.i18n.t(`webhooks.events.${type === '*' ? 'all' : type.replace('.', '_')}`),
    checked: (checked ?? []).includes(type),
  }))
}

function when(ctx: HttpContext, value: { toJSDate(): Date } | null) {
  return value
    ? ctx.i18n.formatDate(value.toJSDate(), {
        dateStyle: 'medium',
        timeStyle: 'medium',
        timeZone: ctx.auth.user?.timezone ?? 'UTC',
      })
    : null
}

function summary(ctx: HttpContext, subscription: WebhookSubscription) {
  return {
    id: subscription.id,
    url: subscription.url,
    description: subscription.description,
    events: subscription.events,
    active: subscription.active,
    createdVia: subscription.createdVia,
    disabledReason: subscription.disabledReason,
    disabledAt: when(ctx, subscription.disabledAt),
    failingSince: when(ctx, subscription.failingSince),
    createdAt: when(ctx, subscription.createdAt),
  }
}

async function deliveryRows(ctx: HttpContext, subscription: WebhookSubscription) {
  const rows = await listDeliveries(ctx.tenant, subscription.id)
  return rows.map((delivery) => ({
    id: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    code: delivery.lastStatusCode,
    error: delivery.lastError,
    excerpt: delivery.lastResponseExcerpt,
    durationMs: delivery.lastDurationMs,
    createdAt: when(ctx, delivery.createdAt),
    createdAtIso: delivery.createdAt.toUTC().toISO(),
    lastAttemptAt: when(ctx, delivery.lastAttemptAt),
    nextAttemptAt: when(ctx, delivery.nextAttemptAt),
  }))
}
