import { findTenant, Tenant, contextFor, type TenantContext } from '#modules/tenancy/index'
import { createHash, randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import emitter from '@adonisjs/core/services/emitter'
import encryption from '@adonisjs/core/services/encryption'
import logger from '@adonisjs/core/services/logger'
import limiter from '@adonisjs/limiter/services/main'
import { errors as limiterErrors } from '@adonisjs/limiter'
import Channel from '../models/channel.js'
import type { MessageStatus } from '../models/message.js'
import type { MessageStatusEvent } from '../events.js'
import { ChannelError } from './channel_errors.js'
import { storeInboundMessageOfContact } from './inbound_processing.js'
import { applyStatus } from './inbound_statuses.js'
import { enqueueInboundDelivery } from './inbound_queue.js'
import { createVisitorContact, followedConversation, publishLive } from '#modules/inbox/index'
import type { OutboundContent } from './outbound_content.js'

/*
| Web chat: a widget on the tenant's website talks to /webchat/<channel id>/…
| with no cookies. A visitor is a contact (source 'webchat') holding a random
| token; their messages enter the same pipeline as WhatsApp's (one
| conversation in progress per contact and channel, message:received in
| order), and the team's replies reach them over a live stream.
*/

export const VISITOR_MESSAGE_MAX = 4096
/** Per visitor: enough for a fast typist, not for a script. */
const MESSAGES_PER_MINUTE = 20
/** Per address and channel: a page reload reuses its token, so new sessions are rare. */
const SESSIONS_PER_TEN_MINUTES = 30
const HISTORY_PAGE = 100
const HISTORY_INITIAL = 50

/** A live web chat channel and where its data lives. */
export interface WebchatTarget {
  channel: Channel
  tenant: Tenant
  context: TenantContext
}

export interface Visitor {
  id: string
  contactId: string
  channelId: string
}

/** What a visitor sees of one message of their conversation. */
export interface VisitorMessage {
  id: string
  /** Ask for `?after=<cursor>` to get what came later. */
  cursor: string
  from: 'visitor' | 'agent' | 'assistant' | 'system'
  type: string
  text: string | null
  clientId: string | null
  media: { type: string; link: string; caption: string | null; filename: string | null } | null
  choices: Array<{ id: string; title: string }> | null
  /** A list's rows as cards (image, title, lines, link), picked like choices; the other rows stay choices. */
  cards: Array<{
    id: string
    title: string
    image: string | null
    lines: string[]
    link: string | null
  }> | null
  /** A button that opens a web address (WhatsApp's CTA URL button). */
  link: { title: string; url: string } | null
  status: MessageStatus
  at: string
}

function unknownChannel() {
  return new ChannelError('unknown_channel', 'No such chat', 404)
}

/**
 * The web chat channel a widget names, with its tenant. Unknown (or not web
 * chat, or a tenant being created or deleted) is 404; a disabled channel or
 * a suspended workspace is 403 channel_disabled: nobody would answer.
 */
export async function openWebchatChannel(channelId: string): Promise<WebchatTarget> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(channelId)) {
    throw unknownChannel()
  }
  const channel = await Channel.query().where('id', channelId).where('type', 'webchat').first()
  if (!channel) throw unknownChannel()
  const tenant = await findTenant(channel.tenantId)
  if (!tenant || tenant.status === 'provisioning' || tenant.status === 'deleted') {
    throw unknownChannel()
  }
  if (channel.status !== 'active' || tenant.status !== 'active') {
    throw new ChannelError('channel_disabled', 'This chat is not available right now', 403)
  }
  return { channel, tenant, context: contextFor(tenant) }
}

/** The live topic of a visitor's conversation. */
export function webchatTopic(tenantId: string, conversationId: string) {
  return `webchat:${tenantId}:${conversationId}`
}

function hashToken(token: string) {
  return createHash('sha256').update(token).digest('hex')
}

async function consume(key: string, requests: number, duration: string) {
  try {
    await limiter.use({ requests, duration }).consume(key)
  } catch (error) {
    if (!(error instanceof limiterErrors.E_TOO_MANY_REQUESTS)) throw error
    const refused = new ChannelError('rate_limited', 'Too many requests; wait a moment', 429)
    ;(refused as ChannelError & { retryAfter?: number }).retryAfter = Math.max(
      1,
      Math.ceil(error.response.availableIn)
    )
    throw refused
  }
}

/**
 * Whether a browser on `origin` may open a chat on this channel. A channel
 * that names no sites takes any (the form says so). Otherwise the origin
 * must be one of its sites (`https://*.example.com` covers subdomains, as in
 * the frame's frame-ancestors) or the platform itself: the widget's frame
 * lives there and calls from there, and which sites may frame it is the
 * frame's own Content-Security-Policy's business. A request without an
 * Origin is refused: every browser sends one with a POST, so only a script
 * would leave it out (and a script faces the per-address limit whatever it
 * claims).
 */
export function assertSessionOrigin(
  target: WebchatTarget,
  origin: string | null | undefined,
  platformHosts: Array<string | null | undefined>
) {
  const allowed = target.channel.settings?.allowedOrigins ?? []
  if (!allowed.length) return
  const from = parseOrigin(origin)
  const permitted =
    from !== null &&
    (platformHosts.some((host) => host && host.toLowerCase() === from.host) ||
      allowed.some((site) => originMatches(from, site)))
  if (!permitted) {
    throw new ChannelError(
      'origin_not_allowed',
      'This chat cannot be opened from this website. Its workspace lists the sites that may show it.',
      403
    )
  }
}

function parseOrigin(origin: string | null | undefined) {
  if (!origin || origin === 'null') return null
  try {
    const url = new URL(origin)
    return { scheme: url.protocol, host: url.host.toLowerCase() }
  } catch {
    return null
  }
}

/** `https://shop.example.com` against `https://shop.example.com` or `https://*.example.com`. */
function originMatches(from: { scheme: string; host: string }, site: string) {
  const [scheme, host] = site.toLowerCase().split('//')
  if (scheme !== from.scheme || !host) return false
  if (!host.startsWith('*.')) return host === from.host
  const suffix = host.slice(1)
  return from.host.endsWith(suffix) && from.host.length > suffix.length
}

/**
 * A new visitor: a contact (with the name and e-mail they gave, if any) and
 * the token their browser keeps. The token is shown once, here; only its
 * hash is stored.
 */
export async function startVisitorSession(
  target: WebchatTarget,
  input: { name?: string | null; email?: string | null; locale?: string | null },
  requester: { ip: string }
): Promise<{ visitorToken: string; visitorId: string; contactId: string }> {
  await consume(
    `webchat-session:${target.channel.id}:${requester.ip}`,
    SESSIONS_PER_TEN_MINUTES,
    '10 mins'
  )
  const visitorToken = `wcv_${randomBytes(24).toString('base64url')}`
  const name = input.name?.trim() || null
  const email = input.email?.trim().toLowerCase() || null
  const created = await target.context.transaction(async (trx) => {
    const contactId = await createVisitorContact(trx, {
      name,
      email,
      channelId: target.channel.id,
    })
    const visitor = await trx.rawQuery(
      `insert into webchat_visitors (channel_id, contact_id, token_hash, locale, last_seen_at)
        values (?, ?, ?, ?, now()) returning id`,
      [target.channel.id, contactId, hashToken(visitorToken), input.locale ?? null] as string[]
    )
    return { contactId, visitorId: visitor.rows[0].id as string }
  })
  try {
    await emitter.emit('contact:created', {
      tenant: target.tenant.slug,
      tenantId: target.tenant.id,
      contactId: created.contactId,
      source: 'webchat',
    })
  } catch (error) {
    logger.error({ err: error }, 'contact:created listener failed')
  }
  return { visitorToken, ...created }
}

/**
 * The visitor a token belongs to, on this channel. The lookup runs in the
 * channel's tenant schema, so another tenant's token (or another channel's)
 * finds nothing: 401.
 */
export async function authenticateVisitor(
  target: WebchatTarget,
  token: string | null | undefined
): Promise<Visitor> {
  if (!token || !/^wcv_[A-Za-z0-9_-]{32}$/.test(token)) throw invalidToken()
  const found = await target.context.transaction(async (trx) => {
    const result = await trx.rawQuery(
      `select id, contact_id from webchat_visitors where token_hash = ? and channel_id = ?`,
      [hashToken(token), target.channel.id]
    )
    return result.rows[0] as { id: string; contact_id: string } | undefined
  })
  if (!found) throw invalidToken()
  return { id: found.id, contactId: found.contact_id, channelId: target.channel.id }
}

function invalidToken() {
  return new ChannelError('invalid_token', 'Unknown or expired visitor token', 401)
}

/**
 * Stores a visitor's message, once per client id (a retried send finds the
 * first), and queues its ordered hand-off downstream exactly like a WhatsApp
 * message's.
 */
export async function postVisitorMessage(
  target: WebchatTarget,
  visitor: Visitor,
  input: { clientId: string; text: string; choiceId?: string | null }
): Promise<{ conversationId: string; message: VisitorMessage; created: boolean }> {
  await consume(`webchat-message:${target.channel.id}:${visitor.id}`, MESSAGES_PER_MINUTE, '1 min')
  const payload: Record<string, unknown> = { webchat: { clientId: input.clientId } }
  if (input.choiceId) (payload.webchat as Record<string, unknown>).choiceId = input.choiceId
  const stored = await storeInboundMessageOfContact(target.context, {
    channelId: target.channel.id,
    contactId: visitor.contactId,
    // Scoped to the visitor: one visitor's ids can never collide with another's.
    externalId: `webchat:${visitor.id}:${input.clientId}`,
    type: 'text',
    body: input.text,
    payload,
    at: new Date(),
  })
  // Also after a duplicate: if the first attempt's hand-off was lost, this
  // one finds the message still unprocessed (a run with nothing to hand on is two reads).
  await enqueueInboundDelivery(target.tenant)
  const message = await target.context.transaction(async (trx) => {
    await trx.rawQuery(`update webchat_visitors set last_seen_at = now() where id = ?`, [
      visitor.id,
    ])
    const result = await trx.rawQuery(`${MESSAGE_COLUMNS} where m.id = ?`, [stored.messageId])
    return toVisitorMessage(result.rows[0])
  })
  if (stored.inserted) {
    // The visitor's other open tabs show it too.
    notify(target.tenant.id, stored.conversationId, { kind: 'message', messageId: message.id })
  }
  return { conversationId: stored.conversationId, message, created: stored.inserted }
}

const MESSAGE_COLUMNS = `select m.id, m.seq, m.direction, m.type, m.body, m.payload, m.status,
    m.author_type, m.created_at from messages m`

interface MessageRow {
  id: string
  seq: string | number
  direction: 'inbound' | 'outbound'
  type: string
  body: string | null
  payload: Record<string, any> | null
  status: MessageStatus
  author_type: 'contact' | 'agent' | 'assistant' | 'system'
  created_at: Date | string
}

function toVisitorMessage(row: MessageRow): VisitorMessage {
  const content = (row.payload?.content ?? null) as OutboundContent | null
  let media: VisitorMessage['media'] = null
  let choices: VisitorMessage['choices'] = null
  let cards: VisitorMessage['cards'] = null
  let link: VisitorMessage['link'] = null
  if (row.direction === 'outbound' && content) {
    if (content.type === 'cta_url') {
      if (/^https:\/\//.test(content.url)) link = { title: content.displayText, url: content.url }
    } else if (content.type === 'buttons') {
      choices = content.buttons.map(({ id, title }) => ({ id, title }))
    } else if (content.type === 'list') {
      const https = (address: unknown) =>
        typeof address === 'string' && /^https:\/\//.test(address) ? address : null
      cards = (content.cards ?? []).map((card) => ({
        id: card.id,
        title: card.title,
        image: https(card.image),
        lines: card.lines,
        link: https(card.link),
      }))
      const carded = new Set(cards.map((card) => card.id))
      choices = content.sections.flatMap((s) =>
        s.rows.filter((r) => !carded.has(r.id)).map(({ id, title }) => ({ id, title }))
      )
      if (!cards.length) cards = null
    } else if ('link' in content && content.link) {
      media = {
        type: content.type,
        link: content.link,
        caption: content.caption ?? null,
        filename: content.filename ?? null,
      }
    }
  }
  return {
    id: row.id,
    cursor: String(row.seq),
    from: row.direction === 'inbound' ? 'visitor' : (row.author_type as VisitorMessage['from']),
    type: row.type,
    text: row.body,
    clientId: row.direction === 'inbound' ? (row.payload?.webchat?.clientId ?? null) : null,
    media,
    choices,
    cards,
    link,
    status: row.status,
    at: new Date(row.created_at).toISOString(),
  }
}

/**
 * The visitor's messages on this channel, theirs and the team's, across
 * their conversations, in order. Internal notes never; messages that failed
 * to go out neither. Without `after`, the latest page; with it, what came
 * after that cursor.
 */
export async function visitorMessages(
  target: WebchatTarget,
  visitor: Visitor,
  after?: string | null
): Promise<{ data: VisitorMessage[]; cursor: string | null; conversationId: string | null }> {
  if (after !== undefined && after !== null && !/^\d{1,18}$/.test(after)) {
    const error = new ChannelError('invalid_cursor', 'The cursor is a number from a previous page')
    ;(error as ChannelError & { fields?: unknown }).fields = [
      { field: 'after', message: 'Use the cursor of a message you received' },
    ]
    throw error
  }
  return target.context.transaction(async (trx) => {
    const visible = `m.contact_id = ? and m.channel_id = ? and m.is_note = false
        and (m.direction = 'inbound' or m.status <> 'failed')`
    const bindings = [visitor.contactId, target.channel.id]
    const result = after
      ? await trx.rawQuery(
          `${MESSAGE_COLUMNS} where ${visible} and m.seq > ? order by m.seq limit ?`,
          [...bindings, after, HISTORY_PAGE]
        )
      : await trx.rawQuery(
          `select * from (${MESSAGE_COLUMNS} where ${visible} order by m.seq desc limit ?) latest
            order by seq`,
          [...bindings, HISTORY_INITIAL]
        )
    const data = (result.rows as MessageRow[]).map(toVisitorMessage)
    const conversation = await currentConversation(trx, visitor)
    return {
      data,
      cursor: data.length ? data[data.length - 1].cursor : (after ?? null),
      conversationId: conversation,
    }
  })
}

/**
 * The conversation a visitor's stream follows: the one in progress, else
 * the latest (the team may still answer just after resolving it).
 */
async function currentConversation(
  trx: TransactionClientContract,
  visitor: Visitor
): Promise<string | null> {
  return followedConversation(trx, visitor.contactId, visitor.channelId)
}

/** How long a stream ticket opens the stream (each connection checks it once, at the start). */
export const STREAM_TICKET_TTL_S = 10 * 60
const STREAM_TICKET_PURPOSE = 'webchat-stream'

/**
 * A short-lived ticket for the visitor's live stream. EventSource cannot send
 * headers, so whatever opens the stream travels in its address, and
 * addresses end up in logs; the visitor's token must not. A ticket only
 * opens this visitor's stream on this channel, for STREAM_TICKET_TTL_S.
 */
export function streamTicket(target: WebchatTarget, visitor: Visitor) {
  const expiresAt = new Date(Date.now() + STREAM_TICKET_TTL_S * 1000)
  const ticket = encryption.encrypt(
    { visitorId: visitor.id, channelId: target.channel.id },
    `${STREAM_TICKET_TTL_S}s`,
    STREAM_TICKET_PURPOSE
  )
  return { ticket, expiresAt: expiresAt.toISOString() }
}

/** The visitor a stream ticket was issued to: 401 when it is forged, expired or another channel's. */
export async function visitorOfTicket(
  target: WebchatTarget,
  ticket: string | null | undefined
): Promise<Visitor> {
  const opened =
    typeof ticket === 'string' && ticket.length < 1024
      ? encryption.decrypt<{ visitorId?: unknown; channelId?: unknown }>(
          ticket,
          STREAM_TICKET_PURPOSE
        )
      : null
  if (!opened || opened.channelId !== target.channel.id || typeof opened.visitorId !== 'string') {
    throw new ChannelError('invalid_ticket', 'Unknown or expired stream ticket', 401)
  }
  const visitorId = opened.visitorId
  // The visitor may be gone since (the contact was removed).
  const found = await target.context.transaction(async (trx) => {
    const result = await trx.rawQuery(
      `select id, contact_id from webchat_visitors where id = ? and channel_id = ?`,
      [visitorId, target.channel.id]
    )
    return result.rows[0] as { id: string; contact_id: string } | undefined
  })
  if (!found) throw invalidToken()
  return { id: found.id, contactId: found.contact_id, channelId: target.channel.id }
}

/** Receipts a widget may send: what reached the visitor's browser, and what they saw. */
export const RECEIPT_STATUSES = ['delivered', 'read'] as const
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number]
/** Per visitor: a widget sends one per batch of replies shown, a few a minute. */
const RECEIPTS_PER_MINUTE = 60

/**
 * The visitor's widget reports the team's messages up to `upTo` (a cursor)
 * as delivered (shown in the page) or read (shown with the chat open and the
 * page in view). They move through the same status path as WhatsApp's
 * receipts, so the inbox's ticks and `message:status` behave the same: a
 * status never moves backwards, and "read" also records delivery. Returns
 * how many messages changed.
 */
export async function acknowledgeVisitorMessages(
  target: WebchatTarget,
  visitor: Visitor,
  input: { status: ReceiptStatus; upTo: string }
): Promise<number> {
  await consume(`webchat-receipt:${target.channel.id}:${visitor.id}`, RECEIPTS_PER_MINUTE, '1 min')
  const behind: MessageStatus[] = input.status === 'read' ? ['sent', 'delivered'] : ['sent']
  const changed = await target.context.transaction(async (trx) => {
    const found = await trx.rawQuery(
      `select external_id from messages
        where contact_id = ? and channel_id = ? and direction = 'outbound' and is_note = false
          and external_id is not null and status = any(?) and seq <= ?
        order by seq`,
      [visitor.contactId, target.channel.id, behind, input.upTo]
    )
    const timestamp = String(Math.floor(Date.now() / 1000))
    const events: MessageStatusEvent[] = []
    for (const { external_id: id } of found.rows as Array<{ external_id: string }>) {
      const event = await applyStatus(trx, target.context, { id, status: input.status, timestamp })
      if (event) events.push(event)
      // Read implies delivered: record when, without a second tick event.
      if (input.status === 'read') {
        await applyStatus(trx, target.context, { id, status: 'delivered', timestamp })
      }
    }
    return events
  })
  for (const event of changed) {
    try {
      await emitter.emit('message:status', event)
    } catch (error) {
      logger.error({ err: error, messageId: event.messageId }, 'message:status listener failed')
    }
  }
  return changed.length
}

/** The live topics a visitor's stream listens on (none before their first message). */
export async function visitorTopics(target: WebchatTarget, visitor: Visitor) {
  const conversationId = await target.context.transaction((trx) =>
    currentConversation(trx, visitor)
  )
  return {
    conversationId,
    topics: conversationId ? [webchatTopic(target.tenant.id, conversationId)] : [],
  }
}

function notify(tenantId: string, conversationId: string, notice: Record<string, unknown>) {
  publishLive(webchatTopic(tenantId, conversationId), notice).catch((error) => {
    logger.warn({ err: error, conversationId }, 'web chat notice not published')
  })
}

/** Channel types never change, so what was read once stays true. */
const channelTypes = new Map<string, string>()

async function isWebchat(channelId: string) {
  let type = channelTypes.get(channelId)
  if (!type) {
    const row = await db.from('channels').where('id', channelId).select('type').first()
    if (!row) return false
    type = row.type as string
    if (channelTypes.size > 10_000) channelTypes.clear()
    channelTypes.set(channelId, type)
  }
  return type === 'webchat'
}

/**
 * What the team writes in a web chat conversation reaches the visitor's open
 * widget: a notice on the conversation's topic, and the widget fetches the
 * message through the visitor's own history route (notes are never shown).
 */
export function registerWebchatListeners() {
  emitter.on('message:sent', async (event) => {
    if (event.isNote || !(await isWebchat(event.channelId))) return
    notify(event.tenantId, event.conversationId, { kind: 'message', messageId: event.messageId })
  })
}
