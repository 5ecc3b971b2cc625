import { readFile, stat } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import app from '@adonisjs/core/services/app'
import env from '#start/env'
import i18nManager from '@adonisjs/i18n/services/main'
import type { HttpContext } from '@adonisjs/core/http'
import {
  DEFAULT_BRAND_COLOR,
  brandingStylesheet,
  isHexColor,
  sendLogo,
  brandingCacheControl,
} from '#modules/tenancy/index'
import { ChannelError } from '../services/channel_errors.js'
import { streamLive } from '#modules/inbox/index'
import {
  acknowledgeVisitorMessages,
  assertSessionOrigin,
  authenticateVisitor,
  openWebchatChannel,
  postVisitorMessage,
  startVisitorSession,
  streamTicket,
  visitorMessages,
  visitorOfTicket,
  visitorTopics,
  type WebchatTarget,
} from '../services/webchat_service.js'
import {
  visitorMessageValidator,
  visitorReceiptValidator,
  webchatSessionValidator,
} from '../validators/webchat_validator.js'

/*
| The web chat widget's side of the platform: the loader script a website
| includes, the chat page it frames, and the JSON and live endpoints that
| page calls. Machine routes: no session, no shield, no cookies; a visitor
| is known by the token their browser sends.
*/

const ASSETS = 'resources/public/assets/webchat'
const LOCALES = ['en', 'ar'] as const
type Locale = (typeof LOCALES)[number]

export default class WebchatController {
  /**
   * The loader (one script tag on the customer's site). Cached briefly, not
   * for ever: its address never changes, so a fix must reach sites soon.
   */
  async widget({ request, response }: HttpContext) {
    const file = await assetFile('widget.js')
    response.header('Content-Type', 'text/javascript; charset=utf-8')
    response.header('Cache-Control', 'public, max-age=300')
    response.header('Cross-Origin-Resource-Policy', 'cross-origin')
    response.header('X-Content-Type-Options', 'nosniff')
    response.header('ETag', file.etag)
    if (request.header('if-none-match') === file.etag) return response.status(304).send('')
    return response.send(file.body)
  }

  /** The chat itself, inside the site's iframe (or opened on its own). */
  async frame(ctx: HttpContext) {
    const { response, params, view } = ctx
    const locale = pickLocale(ctx)
    const i18n = i18nManager.locale(locale)
    const dir = locale === 'ar' ? 'rtl' : 'ltr'
    view.share({ i18n, locale, dir })
    const assets = await assetVersion()

    let target: WebchatTarget
    try {
      target = await openWebchatChannel(params.channelId)
    } catch (error) {
      if (!(error instanceof ChannelError)) throw error
      // The loader hides the widget when the page says it is unavailable.
      frameHeaders(ctx, null)
      return response.status(error.status).send(
        await view.render('channels::webchat/frame', {
          unavailable: true,
          title: i18n.t('webchat.unavailable'),
          assets,
        })
      )
    }
    const { channel, tenant } = target
    const settings = channel.settings ?? {}
    frameHeaders(ctx, settings.allowedOrigins ?? [])
    const version = themeVersion(target)
    const api = `/webchat/${channel.id}`
    const config = {
      channelId: channel.id,
      locale,
      api,
      strings: {
        you: i18n.t('webchat.you'),
        team: tenant.brandName,
        sending: i18n.t('webchat.sending'),
        failed: i18n.t('webchat.failed'),
        retry: i18n.t('webchat.retry'),
        rateLimited: i18n.t('webchat.rate_limited'),
        tooLong: i18n.t('webchat.too_long'),
        offline: i18n.t('webchat.offline'),
        attachment: i18n.t('webchat.attachment'),
        newMessage: i18n.t('webchat.new_message'),
        choose: i18n.t('webchat.choose'),
        open: i18n.t('webchat.open_link'),
      },
    }
    return view.render('channels::webchat/frame', {
      unavailable: false,
      title: i18n.t('webchat.title', { name: tenant.brandName }),
      brandName: tenant.brandName,
      initial: [...tenant.brandName.trim()][0]?.toUpperCase() ?? '?',
      welcome: settings.welcomeMessage?.[locale] || i18n.t('webchat.welcome_default'),
      logoUrl: tenant.logoMime ? `${api}/logo?v=${version}` : null,
      themeUrl: `${api}/theme.css?v=${version}`,
      assets,
      // Read by frame.js; a JSON data block runs nothing, so the CSP allows it.
      configJson: JSON.stringify(config).replace(/</g, '\\u003c'),
      maxLength: 4096,
    })
  }

  /** The widget's colours: the channel's own, else the workspace's brand colour. */
  async theme({ params, request, response }: HttpContext) {
    const target = await openWebchatChannel(params.channelId)
    const chosen = target.channel.settings?.brandColor
    const color = isHexColor(chosen) ? chosen : (target.tenant.primaryColor ?? DEFAULT_BRAND_COLOR)
    response.header('Content-Type', 'text/css; charset=utf-8')
    response.header('X-Content-Type-Options', 'nosniff')
    response.header('Cache-Control', brandingCacheControl(request.input('v')))
    return response.send(brandingStylesheet(color))
  }

  /** The workspace's logo, for the chat header. */
  async logo({ params, request, response }: HttpContext) {
    const target = await openWebchatChannel(params.channelId)
    if (!(await sendLogo({ request, response }, target.tenant.id))) {
      return response.status(404).json({ error: { code: 'not_found', message: 'No logo' } })
    }
  }

  /** A new visitor: `{ visitorToken, visitorId, conversationId: null }`. */
  async startSession(ctx: HttpContext) {
    const { params, request, response } = ctx
    apiHeaders(ctx)
    return answering(ctx, async () => {
      const target = await openWebchatChannel(params.channelId)
      assertSessionOrigin(target, request.header('origin'), [request.host(), appHost()])
      const data = await request.validateUsing(webchatSessionValidator)
      const session = await startVisitorSession(target, data, { ip: request.ip() })
      return response.status(201).json({
        visitorToken: session.visitorToken,
        visitorId: session.visitorId,
        conversationId: null,
      })
    })
  }

  /** A visitor's message; the same `clientId` again answers 200 with the stored one. */
  async storeMessage(ctx: HttpContext) {
    const { params, request, response } = ctx
    apiHeaders(ctx)
    return answering(ctx, async () => {
      const target = await openWebchatChannel(params.channelId)
      const visitor = await authenticateVisitor(target, tokenOf(ctx))
      const data = await request.validateUsing(visitorMessageValidator)
      const stored = await postVisitorMessage(target, visitor, data)
      return response
        .status(stored.created ? 201 : 200)
        .json({ conversationId: stored.conversationId, message: stored.message })
    })
  }

  /** The visitor's conversation: `?after=<cursor>` for what is new. */
  async messages(ctx: HttpContext) {
    const { params, request, response } = ctx
    apiHeaders(ctx)
    return answering(ctx, async () => {
      const target = await openWebchatChannel(params.channelId)
      const visitor = await authenticateVisitor(target, tokenOf(ctx))
      const after = request.input('after')
      const page = await visitorMessages(target, visitor, typeof after === 'string' ? after : null)
      return response.json(page)
    })
  }

  /** `{ status: 'delivered' | 'read', upTo: <cursor> }`: answers `{ updated }`. */
  async receipts(ctx: HttpContext) {
    const { params, request, response } = ctx
    apiHeaders(ctx)
    return answering(ctx, async () => {
      const target = await openWebchatChannel(params.channelId)
      const visitor = await authenticateVisitor(target, tokenOf(ctx))
      const data = await request.validateUsing(visitorReceiptValidator)
      const updated = await acknowledgeVisitorMessages(target, visitor, data)
      return response.json({ updated })
    })
  }

  /** `{ ticket, expiresAt }`: what opens the live stream (see streamTicket). */
  async streamTicket(ctx: HttpContext) {
    const { params, response } = ctx
    apiHeaders(ctx)
    return answering(ctx, async () => {
      const target = await openWebchatChannel(params.channelId)
      const visitor = await authenticateVisitor(target, tokenOf(ctx))
      return response.status(201).json(streamTicket(target, visitor))
    })
  }

  /**
   * Live notices for the visitor's conversation (server-sent events), opened
   * with `?ticket=` from stream-tickets: EventSource cannot send headers, and
   * the visitor's token never goes in an address.
   */
  async stream(ctx: HttpContext) {
    const { params, request, response } = ctx
    apiHeaders(ctx)
    return answering(ctx, async () => {
      const target = await openWebchatChannel(params.channelId)
      const visitor = await visitorOfTicket(target, request.qs().ticket)
      const { topics, conversationId } = await visitorTopics(target, visitor)
      response.header('X-Conversation-Id', conversationId ?? '')
      await streamLive(ctx, topics, { event: 'webchat' })
    })
  }
}

/** Errors as `{ error: { code, message, fields? } }`, with Retry-After when rate limited. */
async function answering(ctx: HttpContext, work: () => Promise<unknown>) {
  try {
    return await work()
  } catch (error) {
    if (!(error instanceof ChannelError)) throw error
    const extra = error as ChannelError & { fields?: unknown; retryAfter?: number }
    if (extra.retryAfter) ctx.response.header('Retry-After', String(extra.retryAfter))
    return ctx.response.status(error.status).json({
      error: {
        code: error.code,
        message: error.message,
        ...(extra.fields ? { fields: extra.fields } : {}),
      },
    })
  }
}

/**
 * `Authorization: Bearer <token>`, else `visitorToken` in a JSON body. Never
 * from the address: addresses are logged (the stream takes a ticket).
 */
function tokenOf({ request }: HttpContext): string | null {
  const header = request.header('authorization')
  const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1]
  if (bearer) return bearer
  const fromBody = request.body().visitorToken
  return typeof fromBody === 'string' ? fromBody : null
}

function pickLocale(ctx: HttpContext): Locale {
  const asked = ctx.request.input('locale')
  if (typeof asked === 'string') {
    const short = asked.toLowerCase().slice(0, 2)
    if ((LOCALES as readonly string[]).includes(short)) return short as Locale
  }
  const fromBrowser = i18nManager.getSupportedLocaleFor(ctx.request.languages())
  return fromBrowser === 'ar' ? 'ar' : 'en'
}

/**
 * Shield does not run on /webchat (machine routes), so the frame states its
 * own policy: our scripts and styles only, and framing only by the sites the
 * workspace allowed (any when it named none).
 */
function frameHeaders({ response }: HttpContext, allowedOrigins: string[] | null) {
  const ancestors = allowedOrigins === null ? "'none'" : allowedOrigins.join(' ') || '*'
  response.header(
    'Content-Security-Policy',
    [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data: https:",
      "connect-src 'self'",
      "font-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      `frame-ancestors ${ancestors}`,
    ].join('; ')
  )
  response.header('X-Content-Type-Options', 'nosniff')
  response.header('Referrer-Policy', 'no-referrer')
  response.header('Cache-Control', 'no-cache')
}

/** APP_URL's host: the platform's public name, whatever Host a proxy passes on. */
function appHost() {
  const configured = env.get('APP_URL')
  return configured ? new URL(configured).host : null
}

function apiHeaders({ response }: HttpContext) {
  response.header('Cache-Control', 'no-store')
  response.header('X-Content-Type-Options', 'nosniff')
}

function themeVersion({ channel, tenant }: WebchatTarget) {
  return Math.max(
    channel.updatedAt.toMillis(),
    tenant.updatedAt.toMillis(),
    tenant.logoUpdatedAt?.toMillis() ?? 0
  )
}

const files = new Map<string, { body: Buffer; etag: string; mtime: number }>()

/** A file of the widget, read once per change (the loader is asked for on every site visit). */
async function assetFile(name: string) {
  const path = app.makePath(ASSETS, name)
  const info = await stat(path)
  const cached = files.get(path)
  if (cached && cached.mtime === info.mtimeMs) return cached
  const body = await readFile(path)
  const file = {
    body,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    mtime: info.mtimeMs,
  }
  files.set(path, file)
  return file
}

/** Busts the frame's own CSS and JS out of caches when either changes. */
async function assetVersion() {
  const [css, js] = await Promise.all([assetFile('frame.css'), assetFile('frame.js')])
  return createHash('sha256').update(css.etag).update(js.etag).digest('hex').slice(0, 10)
}
