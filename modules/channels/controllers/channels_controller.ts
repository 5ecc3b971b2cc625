import { randomBytes } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import env from '#start/env'
import { PlanLimitError, planLimitsFor } from '#modules/billing/index'
import { actorFromRequest, can } from '#modules/identity/index'
import { workspaceLayout } from '#modules/tenancy/index'
import Channel from '../models/channel.js'
import { ChannelError } from '../services/channel_errors.js'
import {
  addSandboxChannel,
  addWebchatChannel,
  addWhatsAppChannel,
  channelsOf,
  findTenantChannel,
  removeChannel,
  rotateChannelSecrets,
  setChannelStatus,
  updateChannel,
  updateWebchatChannel,
} from '../services/channel_service.js'
import {
  addWhatsAppChannelValidator,
  channelStatusValidator,
  parseWordList,
  rotateSecretsValidator,
  updateChannelValidator,
} from '../validators/channel_validator.js'
import {
  addWebchatChannelValidator,
  parseOriginList,
  updateWebchatChannelValidator,
} from '../validators/webchat_validator.js'
import { fieldError, keepInput, validatedOrBack } from '#app/http/form_errors'
import { errors as lucidErrors } from '@adonisjs/lucid'

/**
 * The channels page of a workspace: the numbers customers write to, their
 * credentials (shown only masked) and what to paste into Meta.
 */
export default class ChannelsController {
  async index(ctx: HttpContext) {
    const { bouncer, view, access, tenantRecord } = ctx
    await bouncer.with('ChannelsPolicy').authorize('view', access)
    const [channels, limits] = await Promise.all([
      channelsOf(access.tenantId),
      planLimitsFor(tenantRecord.planId),
    ])
    const counted = channels.filter((channel) => channel.type !== 'sandbox').length
    return view.render('channels::channels/index', {
      ...workspaceLayout(ctx, 'channels'),
      channels: channels.map(describe),
      webhookUrl: webhookUrl(ctx),
      canManage: can(access, 'channels.manage'),
      hasSandbox: channels.some((channel) => channel.type === 'sandbox'),
      limit: limits.channels,
      counted,
      atLimit: limits.channels !== null && counted >= limits.channels,
      // A fresh random token to paste into Meta; the person may type their own.
      suggestedVerifyToken: randomBytes(18).toString('base64url'),
    })
  }

  async storeWhatsApp(ctx: HttpContext) {
    const { bouncer, request, response, session, access, i18n } = ctx
    await bouncer.with('ChannelsPolicy').authorize('manage', access)
    const back = `${basePath(ctx)}/channels#add-whatsapp`
    const data = await validatedOrBack(ctx, back, (meta) =>
      request.validateUsing(addWhatsAppChannelValidator, { meta })
    )
    if (!data) return
    try {
      const channel = await addWhatsAppChannel(
        tenantRef(ctx),
        {
          name: data.name,
          phoneNumberId: data.phone_number_id,
          wabaId: data.waba_id,
          displayNumber: data.display_number,
          accessToken: data.access_token,
          appSecret: data.app_secret,
          verifyToken: data.verify_token,
        },
        actorFromRequest(ctx)
      )
      session.flash('success', i18n.t('channels.flash.added', { name: channel.name }))
      return response.redirect(`${basePath(ctx)}/channels/${channel.id}`)
    } catch (error) {
      await reportChannelError(ctx, error)
      return response.redirect(back)
    }
  }

  async storeSandbox(ctx: HttpContext) {
    const { bouncer, response, session, access, i18n } = ctx
    await bouncer.with('ChannelsPolicy').authorize('manage', access)
    const channel = await addSandboxChannel(
      tenantRef(ctx),
      actorFromRequest(ctx),
      i18n.t('channels.sandbox.default_name')
    )
    session.flash('success', i18n.t('channels.flash.sandbox_ready', { name: channel.name }))
    return response.redirect(`${basePath(ctx)}/channels/${channel.id}`)
  }

  /** A chat widget for the workspace's website; its page shows the code to paste. */
  async storeWebchat(ctx: HttpContext) {
    const { bouncer, request, response, session, access, i18n } = ctx
    await bouncer.with('ChannelsPolicy').authorize('manage', access)
    const back = `${basePath(ctx)}/channels#add-webchat`
    const data = await validatedOrBack(ctx, back, (meta) =>
      request.validateUsing(addWebchatChannelValidator, { meta })
    )
    if (!data) return
    try {
      const channel = await addWebchatChannel(
        tenantRef(ctx),
        webchatInput({ ...data, name: data.webchat_name }),
        actorFromRequest(ctx)
      )
      session.flash('success', i18n.t('channels.webchat.flash.added', { name: channel.name }))
      return response.redirect(`${basePath(ctx)}/channels/${channel.id}`)
    } catch (error) {
      await reportChannelError(ctx, error)
      return response.redirect(back)
    }
  }

  async show(ctx: HttpContext) {
    const { bouncer, view, access, params } = ctx
    await bouncer.with('ChannelsPolicy').authorize('view', access)
    const channel = await findTenantChannel(access.tenantId, params.id)
    if (!channel) throw new lucidErrors.E_ROW_NOT_FOUND()
    return view.render('channels::channels/show', {
      ...workspaceLayout(ctx, 'channels'),
      channel: describe(channel),
      webhookUrl: webhookUrl(ctx),
      canManage: can(access, 'channels.manage'),
      embedSnippet:
        channel.type === 'webchat'
          ? `<script src="${platformOrigin(ctx)}/webchat/widget.js" data-channel="${channel.id}" async></script>`
          : null,
      framePreviewUrl: `/webchat/${channel.id}/frame`,
      platformOrigin: platformOrigin(ctx),
    })
  }

  async update(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n } = ctx
    await bouncer.with('ChannelsPolicy').authorize('manage', access)
    const channel = await findTenantChannel(access.tenantId, params.id)
    if (!channel) throw new lucidErrors.E_ROW_NOT_FOUND()
    const back = `${basePath(ctx)}/channels/${channel.id}`
    if (channel.type === 'webchat') return this.#updateWebchat(ctx, channel.id, back)
    const data = await validatedOrBack(ctx, `${back}#settings`, (meta) =>
      request.validateUsing(updateChannelValidator, { meta })
    )
    if (!data) return
    if (channel.type === 'whatsapp' && !data.display_number) {
      fieldError(ctx, 'display_number', i18n.t('channels.validation.display_number_required'))
      return response.redirect(`${back}#settings`)
    }
    const updated = await updateChannel(
      tenantRef(ctx),
      channel.id,
      {
        name: data.name,
        displayNumber: data.display_number,
        messagesPerSecond: data.messages_per_second,
        optOutWords: parseWordList(data.opt_out_words),
        metaAppId: data.meta_app_id,
      },
      actorFromRequest(ctx)
    ).catch((error) => rethrowNotFound(error))
    session.flash('success', i18n.t('channels.flash.saved', { name: updated.name }))
    return response.redirect(back)
  }

  async #updateWebchat(ctx: HttpContext, channelId: string, back: string) {
    const { request, response, session, i18n } = ctx
    const data = await validatedOrBack(ctx, `${back}#settings`, (meta) =>
      request.validateUsing(updateWebchatChannelValidator, { meta })
    )
    if (!data) return
    const updated = await updateWebchatChannel(
      tenantRef(ctx),
      channelId,
      webchatInput(data),
      actorFromRequest(ctx)
    ).catch((error) => rethrowNotFound(error))
    session.flash('success', i18n.t('channels.flash.saved', { name: updated.name }))
    return response.redirect(back)
  }

  async rotateSecrets(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n } = ctx
    await bouncer.with('ChannelsPolicy').authorize('manage', access)
    const channel = await findTenantChannel(access.tenantId, params.id)
    if (!channel) throw new lucidErrors.E_ROW_NOT_FOUND()
    const back = `${basePath(ctx)}/channels/${channel.id}`
    const data = await validatedOrBack(ctx, `${back}#credentials`, (meta) =>
      request.validateUsing(rotateSecretsValidator, { meta })
    )
    if (!data) return
    try {
      const { rotated } = await rotateChannelSecrets(
        tenantRef(ctx),
        channel.id,
        {
          accessToken: data.access_token,
          appSecret: data.app_secret,
          verifyToken: data.verify_token,
        },
        actorFromRequest(ctx)
      )
      session.flash(
        rotated.length ? 'success' : 'info',
        i18n.t(rotated.length ? 'channels.flash.rotated' : 'channels.flash.nothing_rotated', {
          count: rotated.length,
        })
      )
    } catch (error) {
      await reportChannelError(ctx, error)
    }
    return response.redirect(back)
  }

  async status(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n } = ctx
    await bouncer.with('ChannelsPolicy').authorize('manage', access)
    const channel = await findTenantChannel(access.tenantId, params.id)
    if (!channel) throw new lucidErrors.E_ROW_NOT_FOUND()
    const back = `${basePath(ctx)}/channels/${channel.id}`
    const data = await validatedOrBack(ctx, back, (meta) =>
      request.validateUsing(channelStatusValidator, { meta })
    )
    if (!data) return
    await setChannelStatus(tenantRef(ctx), channel.id, data.status, actorFromRequest(ctx)).catch(
      (error) => rethrowNotFound(error)
    )
    session.flash(
      'success',
      i18n.t(data.status === 'disabled' ? 'channels.flash.disabled' : 'channels.flash.enabled', {
        name: channel.name,
      })
    )
    return response.redirect(back)
  }

  /** Deletes a channel once its name is typed; the server checks it too. */
  async destroy(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n } = ctx
    await bouncer.with('ChannelsPolicy').authorize('manage', access)
    const channel = await findTenantChannel(access.tenantId, params.id)
    if (!channel) throw new lucidErrors.E_ROW_NOT_FOUND()
    const typed = String(request.input('confirm') ?? '').trim()
    if (typed !== channel.name) {
      const message = i18n.t('channels.errors.confirm_mismatch', { name: channel.name })
      session.flash('inputErrorsBag', { confirm: [message] })
      session.flash('error', message)
      return response.redirect(`${basePath(ctx)}/channels/${channel.id}#delete`)
    }
    await removeChannel(tenantRef(ctx), channel.id, actorFromRequest(ctx)).catch((error) =>
      rethrowNotFound(error)
    )
    session.flash('success', i18n.t('channels.flash.deleted', { name: channel.name }))
    return response.redirect(`${basePath(ctx)}/channels`)
  }
}

/** What the pages show of a channel: never a secret, only its last four characters. */
function describe(channel: Channel) {
  return {
    id: channel.id,
    type: channel.type,
    name: channel.name,
    status: channel.status,
    phoneNumberId: channel.phoneNumberId,
    wabaId: channel.wabaId,
    displayNumber: channel.displayNumber,
    accessTokenMask: Channel.mask(channel.accessToken),
    appSecretMask: Channel.mask(channel.appSecret),
    // Meta's handshake compares it in full, so the page that connects the number shows it.
    verifyToken: channel.verifyToken,
    messagesPerSecond: channel.settings?.messagesPerSecond ?? null,
    welcomeEn: channel.settings?.welcomeMessage?.en ?? '',
    welcomeAr: channel.settings?.welcomeMessage?.ar ?? '',
    allowedOrigins: channel.settings?.allowedOrigins ?? [],
    brandColor: channel.settings?.brandColor ?? '',
    optOutWords: (channel.settings?.optOutWords ?? []).join(', '),
    metaAppId: channel.settings?.metaAppId ?? '',
    autoAssign: channel.settings?.autoAssign === true,
    assignOnReply: channel.settings?.assignOnReply !== false,
    createdAt: channel.createdAt,
  }
}

function tenantRef(ctx: HttpContext) {
  const tenant = ctx.tenantRecord
  return { id: tenant.id, slug: tenant.slug, planId: tenant.planId }
}

function basePath(ctx: HttpContext) {
  return workspaceLayout(ctx, 'channels').base
}

/** Where Meta sends this platform's webhooks: one address for every tenant. */
function webhookUrl(ctx: HttpContext) {
  return `${platformOrigin(ctx)}/webhooks/whatsapp`
}

/** The platform's public address (APP_URL), else the one this request came to. */
function platformOrigin(ctx: HttpContext) {
  return (
    env.get('APP_URL')?.replace(/\/+$/, '') ?? `${ctx.request.protocol()}://${ctx.request.host()}`
  )
}

/** The web chat form's fields as the channel service takes them. */
function webchatInput(data: {
  name: string
  welcome_en?: string
  welcome_ar?: string
  allowed_origins?: string
  brand_color?: string
}) {
  return {
    name: data.name,
    welcomeMessage: { en: data.welcome_en ?? null, ar: data.welcome_ar ?? null },
    allowedOrigins: parseOriginList(data.allowed_origins).origins,
    brandColor: data.brand_color ?? null,
  }
}

function rethrowNotFound(error: unknown): never {
  if (error instanceof ChannelError && error.code === 'channel_not_found')
    throw new lucidErrors.E_ROW_NOT_FOUND()
  throw error
}

/** Puts a refused channel change on the form: a field's error, or the page's. */
async function reportChannelError(ctx: HttpContext, error: unknown) {
  const { i18n, session } = ctx
  if (error instanceof PlanLimitError) {
    keepInput(ctx)
    session.flash('error', i18n.t('channels.errors.plan_limit_reached', { limit: error.allowed }))
    return
  }
  if (!(error instanceof ChannelError)) throw error
  switch (error.code) {
    case 'phone_number_taken':
    case 'invalid_phone_number_id':
      fieldError(ctx, 'phone_number_id', i18n.t(`channels.errors.${error.code}`))
      session.flash('error', i18n.t(`channels.errors.${error.code}`))
      return
    case 'channel_not_found':
      throw new lucidErrors.E_ROW_NOT_FOUND()
    default:
      keepInput(ctx)
      session.flash('error', i18n.t('channels.errors.generic'))
  }
}
