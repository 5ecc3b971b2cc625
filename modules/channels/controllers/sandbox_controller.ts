import type { HttpContext } from '@adonisjs/core/http'
import { actorFromRequest, can } from '#modules/identity/index'
import { workspaceLayout } from '#modules/tenancy/index'
import type Channel from '../models/channel.js'
import { assistantOffOn } from '#modules/inbox/index'
import { addSandboxChannel } from '../services/channel_service.js'
import { ChannelError } from '../services/channel_errors.js'
import {
  MAX_TEXT,
  customerFrom,
  defaultCustomer,
  markReadAsCustomer,
  recentSandboxCustomers,
  sandboxChannelOf,
  sandboxChat,
  sendAsCustomer,
  type CustomerAction,
  type SandboxCustomer,
} from '../services/sandbox_service.js'
import { keepInput } from '#app/http/form_errors'
import { wantsFragment } from '#app/http/htmx'

/** What went wrong on the phone: shown under the part of it that was used. */
interface PhoneError {
  field: 'customer' | 'text' | 'location' | 'choice' | 'channel'
  message: string
}

const FRAGMENT = 'sandbox-chat'

/**
 * The sandbox phone: a member plays a customer writing to the business.
 * Everything the customer does goes through the WhatsApp webhook pipeline;
 * the chat shows what the business answers, as the customer would see it.
 */
export default class SandboxController {
  async show(ctx: HttpContext) {
    const { bouncer, access, request } = ctx
    await bouncer.with('SandboxPolicy').authorize('use', access)
    const channel = await ensureSandbox(ctx)
    const qs = request.qs()
    const asked = 'phone' in qs
    const customer = asked ? customerFrom(qs.name, qs.phone) : currentCustomer(ctx)
    if (asked && !customer) {
      return renderPhone(ctx, channel, currentCustomer(ctx), {
        field: 'customer',
        message: ctx.i18n.t('sandbox.errors.phone'),
      })
    }
    if (asked && customer) remember(ctx, customer)
    return renderPhone(ctx, channel, customer!, null)
  }

  async send(ctx: HttpContext) {
    const { bouncer, access, request, response, session, i18n, tenant } = ctx
    await bouncer.with('SandboxPolicy').authorize('use', access)
    const channel = await sandboxChannelOf(tenant.id)
    const customer = customerFrom(request.input('name'), request.input('phone'))
    const back = (who: SandboxCustomer | null) => phoneUrl(ctx, who)
    if (!channel)
      return refuse(ctx, null, null, { field: 'channel', message: i18n.t('sandbox.none.agent') })
    if (!customer) {
      return refuse(ctx, channel, currentCustomer(ctx), {
        field: 'customer',
        message: i18n.t('sandbox.errors.phone'),
      })
    }
    remember(ctx, customer)
    const action = actionFrom(request.all())
    if (!action) {
      return refuse(ctx, channel, customer, {
        field: 'text',
        message: i18n.t('sandbox.errors.text', { max: MAX_TEXT }),
      })
    }
    try {
      await sendAsCustomer(tenant, channel, customer, action)
    } catch (error) {
      if (!(error instanceof ChannelError)) throw error
      return refuse(ctx, channel, customer, phoneErrorOf(ctx, error))
    }
    if (wantsFragment(ctx.request)) return renderFragment(ctx, channel, customer, null)
    session.flash('success', i18n.t('sandbox.flash.sent'))
    return response.redirect(back(customer))
  }

  /** The customer reads the chat: the business's messages turn "read" in the inbox. */
  async read(ctx: HttpContext) {
    const { bouncer, access, request, response, session, i18n, tenant } = ctx
    await bouncer.with('SandboxPolicy').authorize('use', access)
    const channel = await sandboxChannelOf(tenant.id)
    const customer = customerFrom(request.input('name'), request.input('phone'))
    if (!channel)
      return refuse(ctx, null, null, { field: 'channel', message: i18n.t('sandbox.none.agent') })
    if (!customer) {
      return refuse(ctx, channel, currentCustomer(ctx), {
        field: 'customer',
        message: i18n.t('sandbox.errors.phone'),
      })
    }
    const count = await markReadAsCustomer(tenant, channel, customer)
    if (wantsFragment(ctx.request)) return renderFragment(ctx, channel, customer, null)
    session.flash('success', i18n.t('sandbox.flash.read', { count }))
    return response.redirect(phoneUrl(ctx, customer))
  }
}

/**
 * The workspace's sandbox channel; owners and admins get one made on their
 * first visit (it does not count against the plan), agents wait for them.
 */
async function ensureSandbox(ctx: HttpContext): Promise<Channel | null> {
  const existing = await sandboxChannelOf(ctx.tenant.id)
  if (existing || !can(ctx.access, 'channels.manage')) return existing
  const tenant = ctx.tenantRecord
  return addSandboxChannel(
    { id: tenant.id, slug: tenant.slug },
    actorFromRequest(ctx),
    ctx.i18n.t('channels.sandbox.default_name')
  )
}

function sessionKey(ctx: HttpContext) {
  return `sandbox_customer:${ctx.tenant.id}`
}

function remember(ctx: HttpContext, customer: SandboxCustomer) {
  ctx.session.put(sessionKey(ctx), { name: customer.name, phone: customer.phone })
}

/** The customer this member played last here, or their own default one. */
function currentCustomer(ctx: HttpContext): SandboxCustomer {
  const saved = ctx.session.get(sessionKey(ctx)) as { name?: string; phone?: string } | undefined
  return (
    (saved && customerFrom(saved.name, saved.phone)) ??
    defaultCustomer(ctx.auth.user!, ctx.tenant.id, ctx.i18n.t('sandbox.customer.default_name'))
  )
}

function phoneUrl(ctx: HttpContext, customer: SandboxCustomer | null) {
  const base = workspaceLayout(ctx, 'sandbox').base
  if (!customer) return `${base}/sandbox`
  const query = new URLSearchParams({ phone: customer.phone, name: customer.name })
  return `${base}/sandbox?${query}`
}

/** What the form asked the customer to do, or null when there is nothing to send. */
function actionFrom(body: Record<string, any>): CustomerAction | null {
  const kind = String(body.kind ?? 'text')
  const text = (value: unknown) => (typeof value === 'string' ? value : '')
  if (kind === 'text') {
    const message = text(body.text)
    return message.trim() ? { kind: 'text', text: message } : null
  }
  if (kind === 'button' || kind === 'list' || kind === 'template_button') {
    return { kind, messageId: text(body.message_id), choice: text(body.choice) }
  }
  if (kind === 'location') {
    const number = (value: unknown) =>
      typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN
    return {
      kind: 'location',
      latitude: number(body.latitude),
      longitude: number(body.longitude),
      name: text(body.location_name).trim() || undefined,
      address: text(body.location_address).trim() || undefined,
    }
  }
  return null
}

function phoneErrorOf(ctx: HttpContext, error: ChannelError): PhoneError {
  const t = (key: string, data?: Record<string, unknown>) => ctx.i18n.t(key, data)
  switch (error.code) {
    case 'real_customer':
      return { field: 'customer', message: t('sandbox.errors.real_customer') }
    case 'invalid_text':
      return { field: 'text', message: t('sandbox.errors.text', { max: MAX_TEXT }) }
    case 'invalid_location':
      return { field: 'location', message: t('sandbox.errors.location') }
    case 'invalid_choice':
      return { field: 'choice', message: t('sandbox.errors.choice') }
    case 'channel_disabled':
      return { field: 'channel', message: t('sandbox.errors.disabled') }
    default:
      return { field: 'text', message: error.message }
  }
}

/**
 * A refusal: for htmx the phone again with the error (422); without
 * JavaScript, back to the phone with the error and what was typed.
 */
function refuse(
  ctx: HttpContext,
  channel: Channel | null,
  customer: SandboxCustomer | null,
  problem: PhoneError
) {
  if (wantsFragment(ctx.request) && channel && customer) {
    ctx.response.status(422)
    return renderFragment(ctx, channel, customer, problem, ctx.request.all())
  }
  keepInput(ctx)
  ctx.session.flash('sandboxError', problem)
  return ctx.response.redirect(phoneUrl(ctx, customer))
}

async function phoneData(
  ctx: HttpContext,
  channel: Channel | null,
  customer: SandboxCustomer,
  problem: PhoneError | null,
  typed: Record<string, unknown> = {}
) {
  const base = workspaceLayout(ctx, 'sandbox').base
  const flashed = ctx.session.flashMessages.get('sandboxError') as PhoneError | undefined
  const error = problem ?? flashed ?? null
  const old = (key: string) => {
    const value = typed[key] ?? ctx.session.flashMessages.get(key)
    return typeof value === 'string' ? value : ''
  }
  const chat = channel ? await sandboxChat(ctx.tenant, channel, customer, base) : null
  return {
    base,
    channel,
    customer,
    phoneUrl: phoneUrl(ctx, customer),
    chat,
    error,
    typed: {
      text: error?.field === 'text' || error?.field === 'choice' ? old('text') : '',
      latitude: old('latitude') || '25.1972',
      longitude: old('longitude') || '55.2744',
      location_name: old('location_name'),
      location_address: old('location_address'),
    },
    maxText: MAX_TEXT,
    canSetUp: can(ctx.access, 'channels.manage'),
    assistantOff: channel ? await assistantOffOn(ctx.tenant, channel.id) : false,
    canManageAssistant: can(ctx.access, 'assistant.manage'),
  }
}

async function renderFragment(
  ctx: HttpContext,
  channel: Channel,
  customer: SandboxCustomer,
  problem: PhoneError | null,
  typed: Record<string, unknown> = {}
) {
  return ctx.view.render(
    'channels::sandbox/chat',
    await phoneData(ctx, channel, customer, problem, typed)
  )
}

async function renderPhone(
  ctx: HttpContext,
  channel: Channel | null,
  customer: SandboxCustomer,
  problem: PhoneError | null
) {
  const data = await phoneData(ctx, channel, customer, problem)
  if (wantsFragment(ctx.request, FRAGMENT) && channel) {
    return ctx.view.render('channels::sandbox/chat', data)
  }
  if (problem) ctx.response.status(422)
  const recent = channel ? await recentSandboxCustomers(ctx.tenant, channel) : []
  const mine = defaultCustomer(
    ctx.auth.user!,
    ctx.tenant.id,
    ctx.i18n.t('sandbox.customer.default_name')
  )
  return ctx.view.render('channels::sandbox/index', {
    ...workspaceLayout(ctx, 'sandbox'),
    ...data,
    recent: recent.map((person) => ({ ...person, href: phoneUrl(ctx, person) })),
    defaultCustomer: { ...mine, href: phoneUrl(ctx, mine) },
    stylesheets: ['/assets/sandbox.css'],
    scripts: ['/assets/live.js', '/assets/sandbox.js'],
  })
}
