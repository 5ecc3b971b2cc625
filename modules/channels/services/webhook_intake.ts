import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import encryption from '@adonisjs/core/services/encryption'
import { fieldsWithUnstorableText, withStorableText } from '#app/http/text_input'
import { ChannelError } from './channel_errors.js'
import { storeWebhookEvents } from './webhook_store.js'
import {
  accountIdsOf,
  hasWebhookShape,
  isValidSignature,
  phoneNumberIdsOf,
  orderingOf,
  type WaWebhook,
} from './whatsapp_payload.js'

/*
| The request side of WhatsApp webhooks. Meta expects an answer well under a
| second and retries what it does not get a 2xx for, so the request does the
| least that makes the event safe: the routing (usually remembered, and
| re-checked by the insert), the signature check, one insert into the
| central inbox (webhook_events), one enqueue. No tenant schema is touched
| here; the jobs do that.
*/

/** Meta's GET handshake: the token must be the verify token of some WhatsApp channel. */
export async function isKnownVerifyToken(token: string | null | undefined) {
  if (!token) return false
  const result = await db.rawQuery(
    `select 1 from channels where type = 'whatsapp' and verify_token = ? limit 1`,
    [token]
  )
  return result.rows.length > 0
}

interface RoutedChannel {
  id: string
  tenant_id: string
  phone_number_id: string | null
  waba_id: string | null
  app_secret_encrypted: string | null
  slug: string
  tenant_status: string
}

export interface AcceptedWebhook {
  eventIds: string[]
}

/**
 * Verifies, routes and stores one POST. Throws a ChannelError with the HTTP
 * status to answer (401 bad signature, 404 unknown number) and stores
 * nothing in that case.
 */
export async function acceptWhatsAppWebhook(input: {
  rawBody: string | null
  signature: string | null | undefined
  body: unknown
}): Promise<AcceptedWebhook> {
  if (!input.signature) {
    throw new ChannelError('missing_signature', 'X-Hub-Signature-256 is required', 401)
  }
  const body = input.body
  if (!input.rawBody || !hasWebhookShape(body)) {
    throw new ChannelError('invalid_payload', 'Expected a WhatsApp Cloud API webhook', 400)
  }

  const { rawBody, signature } = input

  // Most POSTs name one number we routed a moment ago: verified against that
  // routing, and stored only if the insert finds it still true.
  const numbers = phoneNumberIdsOf(body)
  const known = numbers.length === 1 ? recentRoutes.get(numbers[0]) : undefined
  if (known && takesMessages(known) && isSignedByAll([known], rawBody, signature)) {
    const stored = await store(body, rawBody, [known])
    if (stored) return stored
    recentRoutes.delete(numbers[0])
  }

  const channels = await routeWebhook(body)
  if (!isSignedByAll(channels, rawBody, signature)) {
    throw new ChannelError('invalid_signature', 'The webhook signature does not match', 401)
  }
  const stored = await store(body, rawBody, channels)
  if (!stored) {
    // The number moved or its workspace went between our lookup and the insert.
    throw new ChannelError(
      'routing_changed',
      'The channel for this number changed while the webhook was stored; retry',
      503
    )
  }
  return stored
}

/**
 * Stores one row per channel, each re-checked against its routing inside
 * the insert. Null when a row was refused. (A POST naming several numbers
 * never takes the fast path; if one of its rows is refused at the last
 * moment, the others stay stored and Meta's retry stores them again, which
 * processing absorbs: messages are unique by wamid.)
 */
async function store(
  body: WaWebhook,
  rawBody: string,
  channels: RoutedChannel[]
): Promise<AcceptedWebhook | null> {
  const rows = splitByChannel(body, rawBody, channels)
  const stored = await storeWebhookEvents(
    rows.map((row) => ({
      provider: 'whatsapp' as const,
      channelId: row.channel.id,
      tenantId: row.channel.tenant_id,
      tenantSlug: row.channel.slug,
      payload: row.payload,
      senders: row.senders,
      earliestMessageAt: row.earliestMessageAt,
      routedAs: {
        phoneNumberId: row.channel.phone_number_id,
        appSecretEncrypted: row.channel.app_secret_encrypted,
      },
    }))
  )
  if (stored.some((event) => !event)) return null
  return { eventIds: stored.map((event) => event!.id) }
}

/**
 * Every channel the body names must have signed it: a body signed with
 * tenant A's secret cannot deliver into tenant B's number.
 */
function isSignedByAll(channels: RoutedChannel[], rawBody: string, signature: string) {
  return distinctBy(channels, (c) => c.app_secret_encrypted ?? c.id).every((channel) => {
    const secret = appSecretOf(channel.app_secret_encrypted)
    return !!secret && isValidSignature(rawBody, signature, secret)
  })
}

/*
| Decrypting the app secret was a tenth of a webhook's CPU time, for the same
| few secrets over and over. Decryptions are kept by their ciphertext: a new
| secret is a new ciphertext, so a changed secret is never checked with the
| old one.
*/
const decryptedSecrets = new Map<string, string | null>()
const MAX_DECRYPTED_SECRETS = 1_000

function appSecretOf(sealed: string | null) {
  if (!sealed) return null
  let secret = decryptedSecrets.get(sealed)
  if (secret === undefined) {
    secret = encryption.decrypt<string>(sealed)
    if (decryptedSecrets.size >= MAX_DECRYPTED_SECRETS) decryptedSecrets.clear()
    decryptedSecrets.set(sealed, secret)
  }
  return secret
}

const ROUTE_SELECT = `select c.id, c.tenant_id, c.phone_number_id, c.waba_id, c.app_secret_encrypted,
    t.slug, t.status as tenant_status
  from channels c join tenants t on t.id = c.tenant_id
  where c.type = 'whatsapp'`

/*
| Channel lookups of requests that arrive together share one query. Under a
| burst, one lookup per request queued for the same few pooled connections
| as the inserts did (40-70 ms each at 400 requests a second); one lookup per
| turn of the event loop keeps the pool for the writes.
*/
let pendingLookups: Array<{
  numbers: string[]
  resolve: (rows: RoutedChannel[]) => void
  reject: (error: unknown) => void
}> = []

function channelsForNumbers(numbers: string[]): Promise<RoutedChannel[]> {
  return new Promise((resolve, reject) => {
    if (!pendingLookups.length) setImmediate(lookUpPending)
    pendingLookups.push({ numbers, resolve, reject })
  })
}

async function lookUpPending() {
  const waiting = pendingLookups
  pendingLookups = []
  const all = [...new Set(waiting.flatMap((item) => item.numbers))]
  try {
    const found = await db.rawQuery(`${ROUTE_SELECT} and c.phone_number_id = any(?)`, [all])
    const rows = found.rows as RoutedChannel[]
    rememberRoutes(rows)
    for (const item of waiting) {
      item.resolve(rows.filter((row) => item.numbers.includes(row.phone_number_id!)))
    }
  } catch (error) {
    for (const item of waiting) item.reject(error)
  }
}

/*
| Routes looked up recently, by phone_number_id. A hint, never the truth: a
| POST verified against one is stored only if the insert finds the channel
| still has that number and that secret and its workspace still takes
| messages (webhook_store's routedAs); otherwise it is routed afresh. This
| saves a webhook one of its two database round trips.
*/
const recentRoutes = new Map<string, RoutedChannel>()
const MAX_RECENT_ROUTES = 10_000

function rememberRoutes(rows: RoutedChannel[]) {
  if (recentRoutes.size + rows.length > MAX_RECENT_ROUTES) recentRoutes.clear()
  for (const row of rows) if (row.phone_number_id) recentRoutes.set(row.phone_number_id, row)
}

/** A suspended workspace still receives (messages are never lost); a deleted one cannot. */
function takesMessages(channel: RoutedChannel) {
  return channel.tenant_status !== 'deleted' && channel.tenant_status !== 'provisioning'
}

async function routeWebhook(body: WaWebhook): Promise<RoutedChannel[]> {
  const numbers = phoneNumberIdsOf(body)

  let channels: RoutedChannel[]
  if (numbers.length) {
    channels = await channelsForNumbers(numbers)
    const known = new Set(channels.map((channel) => channel.phone_number_id))
    const unknown = numbers.filter((number) => !known.has(number))
    if (unknown.length) {
      logger.warn(
        { phoneNumberIds: unknown },
        'WhatsApp webhook for a phone_number_id no channel has; answered 404 so Meta retries'
      )
      throw new ChannelError(
        'unknown_phone_number_id',
        `No channel is connected for phone_number_id ${unknown.join(', ')}`,
        404
      )
    }
  } else {
    // Account-level webhooks (template status, account updates) name the
    // WABA only. Stored once per tenant that has a number on that account.
    const accounts = accountIdsOf(body)
    const found = accounts.length
      ? await db.rawQuery(`${ROUTE_SELECT} and c.waba_id = any(?) order by c.created_at`, [
          accounts,
        ])
      : { rows: [] }
    const rows: RoutedChannel[] = found.rows
    channels = distinctBy(rows, (channel) => channel.tenant_id)
    if (!channels.length) {
      logger.warn({ wabaIds: accounts }, 'WhatsApp webhook for an unknown account; answered 404')
      throw new ChannelError(
        'unknown_phone_number_id',
        'The webhook names no phone_number_id and no connected WhatsApp account',
        404
      )
    }
  }

  // A suspended workspace still receives (messages are never lost); a deleted
  // one has nowhere to put them.
  const gone = channels.filter((c) => !takesMessages(c))
  if (gone.length) {
    logger.warn(
      { phoneNumberIds: gone.map((c) => c.phone_number_id), tenants: gone.map((c) => c.slug) },
      'WhatsApp webhook for a deleted workspace; answered 404'
    )
    throw new ChannelError(
      'unknown_phone_number_id',
      'This number belongs to a workspace that no longer exists',
      404
    )
  }
  return channels
}

/**
 * One inbox row per channel. The common case (one number per POST) stores
 * the body exactly as received; a batch spanning several numbers is split so
 * each row belongs to exactly one tenant.
 */
function splitByChannel(body: WaWebhook, rawBody: string, channels: RoutedChannel[]) {
  if (channels.length === 1) {
    return [{ channel: channels[0], payload: storablePayload(rawBody, body), ...orderingOf(body) }]
  }
  return channels.map((channel) => {
    const entry = (body.entry ?? [])
      .map((item) => ({
        ...item,
        changes: (item.changes ?? []).filter((change) => {
          const number = change.value?.metadata?.phone_number_id
          return number === undefined || number === null
            ? item.id === channel.waba_id
            : String(number) === channel.phone_number_id
        }),
      }))
      .filter((item) => item.changes.length)
    const part = withStorableText({ object: body.object, entry })
    return { channel, payload: JSON.stringify(part), ...orderingOf(part) }
  })
}

/*
| A customer can type what PostgreSQL cannot store (a NUL character; half of
| an emoji's surrogate pair, from a broken client), and jsonb refuses the
| escape: the insert failed, Meta retried the same body for days and the
| message never arrived. Meta cannot correct it, so it is accepted: after
| the signature is checked (over the body as sent), such characters are
| replaced by U+FFFD in what is stored, and the rest of the message is kept.
*/
const ESCAPE_JSONB_REFUSES = /\\u(?:0000|[dD][89a-fA-F])/

function storablePayload(rawBody: string, body: WaWebhook) {
  // Most bodies have no such escape (escaped emoji pairs do match, and are kept).
  if (!ESCAPE_JSONB_REFUSES.test(rawBody)) return rawBody
  const fields = fieldsWithUnstorableText(body)
  if (!fields.length) return rawBody
  logger.warn(
    { fields },
    'WhatsApp webhook with NUL characters or unpaired surrogates; stored with U+FFFD in their place'
  )
  return JSON.stringify(withStorableText(body))
}

function distinctBy<T>(items: T[], key: (item: T) => string) {
  const seen = new Map<string, T>()
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item)
  return [...seen.values()]
}
