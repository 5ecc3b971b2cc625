import { setTimeout as sleep } from 'node:timers/promises'
import app from '@adonisjs/core/services/app'
import emitter from '@adonisjs/core/services/emitter'
import db from '@adonisjs/lucid/services/db'
import redis from '@adonisjs/redis/services/main'
import { randomUUID } from 'node:crypto'
import { inWorkBatch } from '#app/queue/work_batch'
import type { TenantContext } from '#modules/tenancy/index'
import type Channel from '../models/channel.js'
import MessageTemplate from '../models/message_template.js'
import { ChannelError } from './channel_errors.js'
import { sendToGraph } from './graph_client.js'
import { pacedRate, takeLocalSend, takeSpacedTurn } from './send_pacing.js'
import { summaryOf, toGraphMessage, type OutboundContent } from './outbound_content.js'

/*
| Many template messages of one channel sent as one unit of work: the bulk
| door campaigns use (one recipient at a time through queueOutboundMessage
| and SendMessageJob costs some thirty database round trips per message,
| which caps a worker far below WhatsApp's 80 or 1,000 messages a second).
|
| One statement writes every message (each with its idempotency key, and
| marked as being sent before any request leaves: `payload.send.startedAt`,
| as SendMessageJob marks it), the requests go to the Graph API at once over
| kept-alive connections, and one statement records every answer. The
| messages' events (`message:sent`, `message:status`) are emitted inside a
| work batch, so their listeners' queue and Redis work is one round trip.
|
| Spacing is the caller's (beforeEach, awaited before each request); the
| number's rate is this door's: each request takes its turn in the number's
| shared sliding window in Redis (takeSpacedTurn) just before it leaves, so
| no second holds more than the rate whoever else sends on the number, and
| the moment it leaves is counted in this process's own window
| (takeLocalSend), so a turn that came back late cannot bunch with the next.
|
| A key already used (a crash between writing and recording, then the same
| send claimed again) is not sent again: its message comes back as
| `existing`, with what is known of it, for the caller to settle. A message
| whose request was in flight when its worker died has `startedAt` and no
| WhatsApp id: it is in doubt until WhatsApp's status webhook names it (the
| request carries the message id as `biz_opaque_callback_data`, which every
| status webhook echoes; see adoptByCallbackData in inbound_statuses.ts).
*/

export interface TemplateBatchSend {
  /** The caller's id for this send (a campaign recipient), echoed in the outcome. */
  ref: string
  idempotencyKey: string
  conversationId: string
  contactId: string
  /** E.164 phone or WhatsApp id. */
  to: string
  variables: string[]
}

export type TemplateBatchOutcome =
  | { ref: string; kind: 'accepted'; messageId: string; wamid: string }
  | {
      ref: string
      kind: 'failed'
      messageId: string
      code: number | null
      title: string
      retryable: boolean
    }
  /** Withdrawn by the caller before its request: no message remains. */
  | { ref: string; kind: 'withdrawn' }
  /** No answer from WhatsApp (a timeout): it may have taken the message; in doubt. */
  | { ref: string; kind: 'unknown'; messageId: string; title: string }
  /** The key was used before: that message, as it stands. */
  | {
      ref: string
      kind: 'existing'
      messageId: string
      status: string
      externalId: string | null
      inFlight: boolean
      errorCode: number | null
      errorTitle: string | null
    }

/** How long a request's started mark is kept (a day: longer than any doubt lasts). */
const MARK_SECONDS = 24 * 3600
const startedKey = (messageId: string) => `wa-started:${messageId}`

/**
 * How many requests of a batch are open to WhatsApp at once: each waits its
 * turn, then for Redis and WhatsApp, which a busy worker answers in 100 ms
 * or more, so at 1,000 a second some hundreds must be under way together.
 * A quarter second of the number's rate (at least 8, at most 256): more
 * than the rate lets through would only wait, each asking Redis again.
 */
const openRequests = (perSecond: number) => Math.min(256, Math.max(8, Math.ceil(perSecond / 4)))

export async function sendTemplateBatch(
  tenant: TenantContext,
  channel: Channel,
  template: { name: string; language: string },
  sends: TemplateBatchSend[],
  options: {
    /**
     * Awaited before each request: the caller's spacing (its rate). False
     * withdraws the send (the caller stopped: a pause, a cancel): its
     * message is removed unsent and comes back as `withdrawn`.
     */
    beforeEach?: () => Promise<boolean>
    /**
     * Asked at the moment each request would be written: false keeps it
     * from being written (the caller lost the right to send: its lease),
     * and it comes back as `withdrawn`.
     */
    mayWrite?: () => boolean
    /**
     * Who sends (a lease holder): named in each request's started mark
     * until its answer, so that one who takes over can tell what another
     * sender left in doubt from its own unanswered requests (settleInDoubt).
     */
    sender?: string
  } = {}
): Promise<TemplateBatchOutcome[]> {
  if (!sends.length) return []
  if (channel.type !== 'whatsapp' || channel.status !== 'active') {
    throw new ChannelError('channel_disabled', 'This channel is not an active WhatsApp number')
  }
  const approved = await tenant.transaction((trx) =>
    MessageTemplate.query({ client: trx })
      .where('channel_id', channel.id)
      .where('name', template.name)
      .where('language', template.language)
      .first()
  )
  if (!approved || !approved.isApproved) {
    throw new ChannelError('invalid_message', `Template "${template.name}" is not approved`)
  }
  const contents = sends.map((send): Extract<OutboundContent, { type: 'template' }> => ({
    type: 'template',
    name: template.name,
    language: template.language,
    variables: send.variables,
  }))
  const wrong = contents.find((c) => (c.variables ?? []).length !== approved.bodyVariables)
  if (wrong) {
    throw new ChannelError(
      'invalid_message',
      `Template "${template.name}" takes ${approved.bodyVariables} variables`
    )
  }

  const startedAt = new Date().toISOString()
  const ids = sends.map(() => randomUUID())
  const inserted = await db.rawQuery(
    `with v as (
       select * from unnest(?::uuid[], ?::text[], ?::uuid[], ?::uuid[], ?::text[], ?::jsonb[])
         as v(id, key, conversation_id, contact_id, body, payload)),
     inserted as (
       insert into ${tenant.table('messages')}
         (id, conversation_id, contact_id, channel_id, direction, idempotency_key,
          type, body, payload, status, author_type)
       select v.id, v.conversation_id, v.contact_id, ?::uuid, 'outbound', v.key,
              'template', v.body, v.payload, 'pending', 'system'
         from v
       on conflict (idempotency_key) do nothing
       returning id),
     touched as (
       update ${tenant.table('conversations')} set last_message_at = now(), updated_at = now()
        where id in (select v.conversation_id from v join inserted i on i.id = v.id))
     select id from inserted`,
    [
      ids,
      sends.map((s) => s.idempotencyKey),
      sends.map((s) => s.conversationId),
      sends.map((s) => s.contactId),
      contents.map((c) => summaryOf(c)),
      contents.map((c) => JSON.stringify({ content: c, send: { startedAt } })),
      channel.id,
    ]
  )
  const fresh = new Set((inserted.rows as Array<{ id: string }>).map((r) => r.id))
  const outcomes: TemplateBatchOutcome[] = []

  // Keys met again: their messages as they stand, never sent a second time.
  const repeats = sends.filter((_, i) => !fresh.has(ids[i]))
  if (repeats.length) {
    const found = await db.rawQuery(
      `select id, idempotency_key, status, external_id, error_code, error_title,
              (payload->'send'->>'startedAt') is not null as in_flight
         from ${tenant.table('messages')} where idempotency_key = any(?::text[])`,
      [repeats.map((s) => s.idempotencyKey)]
    )
    const byKey = new Map((found.rows as any[]).map((row) => [row.idempotency_key as string, row]))
    for (const send of repeats) {
      const row = byKey.get(send.idempotencyKey)
      if (!row) continue
      outcomes.push({
        ref: send.ref,
        kind: 'existing',
        messageId: row.id,
        status: row.status,
        externalId: row.external_id,
        inFlight: row.in_flight,
        errorCode: row.error_code,
        errorTitle: row.error_title,
      })
    }
  }

  const perSecond =
    channel.settings.messagesPerSecond ??
    app.config.get<number>('whatsapp.defaultMessagesPerSecond')
  const paceKey = channel.phoneNumberId ?? channel.id
  const localLimit = Math.max(1, Math.floor(pacedRate(perSecond)))
  const leaveInWindow = async () => {
    for (let wait = takeLocalSend(paceKey, localLimit); wait > 0;) {
      await sleep(wait)
      wait = takeLocalSend(paceKey, localLimit)
    }
  }
  // The token is decrypted once for the batch, not per request.
  const credentials = { phoneNumberId: channel.phoneNumberId, accessToken: channel.accessToken }
  // The requests, openRequests() at a time, over the process's kept-alive pool.
  const todo = sends.map((send, i) => ({ send, id: ids[i], content: contents[i] }))
  const toSend = todo.filter((t) => fresh.has(t.id))
  const answers: TemplateBatchOutcome[] = new Array(toSend.length)
  let next = 0
  const lane = async () => {
    while (next < toSend.length) {
      const n = next++
      const { send, id, content } = toSend[n]
      const okTurn = !options.beforeEach || (await options.beforeEach())
      // The number's turn, per request and as it leaves (the caller's
      // spacing keeps this from waiting unless another sender shares the
      // number).
      // With it, in the same round trip, the request's started mark: a
      // send found in doubt after a crash whose mark is missing provably
      // never left (settleInDoubt takes the mark first, so this one then
      // withdraws, and takes no turn). Set as late as can be, so that few
      // requests are marked and not yet gone when a worker dies; once set it
      // stays (a turn handed back is asked for again, the mark kept).
      let mark: { key: string; value: string; seconds: number } | undefined = {
        key: startedKey(id),
        value: options.sender ? `sent:${options.sender}` : 'sent',
        seconds: MARK_SECONDS,
      }
      let wait = okTurn ? 1 : -1
      while (wait > 0) {
        const turn = await takeSpacedTurn(paceKey, perSecond, mark)
        if (turn.marked) mark = undefined
        wait = turn.wait
        if (wait > 0) await sleep(wait)
      }
      if (wait < 0) {
        answers[n] = { ref: send.ref, kind: 'withdrawn' }
        continue
      }
      // Last, with its connection open and nothing between it and the
      // write, this process's own window at the moment of leaving: however
      // late a busy event loop made the steps before (or a new connection
      // the request itself), no second holds more of its requests than the rate.
      let fenced = false
      const result = await sendToGraph(
        credentials,
        { ...toGraphMessage(send.to, content), biz_opaque_callback_data: id },
        {
          beforeWrite: async () => {
            await leaveInWindow()
            fenced = Boolean(options.mayWrite && !options.mayWrite())
            return !fenced
          },
        }
      )
      if (fenced) {
        // Provably never written: its mark says so, for whoever settles it.
        await redis.set(startedKey(id), 'void', 'EX', MARK_SECONDS)
        answers[n] = { ref: send.ref, kind: 'withdrawn' }
        continue
      }
      if (!result.ok && !result.definite) {
        // Written and unanswered: in doubt as any sender's own (the slow rule).
        await redis.set(startedKey(id), 'sent', 'EX', MARK_SECONDS)
      }
      answers[n] = result.ok
        ? { ref: send.ref, kind: 'accepted', messageId: id, wamid: result.wamid }
        : result.definite
          ? {
              ref: send.ref,
              kind: 'failed',
              messageId: id,
              code: result.code,
              title: result.title,
              retryable: result.retryable,
            }
          : { ref: send.ref, kind: 'unknown', messageId: id, title: result.title }
    }
  }
  await Promise.all(Array.from({ length: Math.min(openRequests(perSecond), toSend.length) }, lane))

  const withdrawn = toSend.filter((_, n) => answers[n].kind === 'withdrawn')
  if (withdrawn.length) {
    await db.rawQuery(
      `delete from ${tenant.table('messages')}
        where id = any(?::uuid[]) and external_id is null and status = 'pending'`,
      [withdrawn.map((t) => t.id)]
    )
  }

  // Every answer in one statement: accepted ones get WhatsApp's id and
  // `queued`, refused ones fail with its code; both stop being in flight.
  // An unanswered one stays in flight (in doubt) with the reason noted.
  const settled = answers.filter((a) => a.kind === 'accepted' || a.kind === 'failed')
  if (settled.length) {
    // WhatsApp's status webhooks for these very messages may be applied at
    // the same moment (a transaction taking them one by one): a deadlock
    // between the two is retried (this statement alone, idempotent).
    await onDeadlockAgain(() =>
      db.rawQuery(
        `update ${tenant.table('messages')} m
          set external_id = coalesce(v.wamid, m.external_id),
              status = case when v.wamid is not null then 'queued' else 'failed' end,
              error_code = v.code, error_title = v.title,
              failed_at = case when v.wamid is null then now() else m.failed_at end,
              payload = jsonb_set(m.payload, '{send}',
                (coalesce(m.payload->'send', '{}'::jsonb) - 'startedAt')
                  || case when v.title is null then '{}'::jsonb
                          else jsonb_build_object('lastError', v.title) end)
         from unnest(?::uuid[], ?::text[], ?::int[], ?::text[]) as v(id, wamid, code, title)
        where m.id = v.id and m.external_id is null`,
        [
          settled.map((a) => a.messageId),
          settled.map((a) => (a.kind === 'accepted' ? a.wamid : null)),
          settled.map((a) => (a.kind === 'failed' ? a.code : null)),
          settled.map((a) => (a.kind === 'failed' ? a.title : null)),
        ]
      )
    )
  }
  const doubtful = answers.filter((a) => a.kind === 'unknown')
  if (doubtful.length) {
    await db.rawQuery(
      `update ${tenant.table('messages')} m
          set payload = jsonb_set(m.payload, '{send,lastError}', to_jsonb(v.title))
         from unnest(?::uuid[], ?::text[]) as v(id, title) where m.id = v.id`,
      [doubtful.map((a) => a.messageId), doubtful.map((a) => (a as { title: string }).title)]
    )
  }

  // Each new message is announced like any other send, and its first step.
  await inWorkBatch(async () => {
    for (const [n, { send, id }] of toSend.entries()) {
      if (answers[n].kind === 'withdrawn') continue
      await emitter.emit('message:sent', {
        tenant: tenant.slug,
        tenantId: tenant.id,
        messageId: id,
        conversationId: send.conversationId,
        contactId: send.contactId,
        channelId: channel.id,
        type: 'template',
        isNote: false,
        authorType: 'system',
        authorId: null,
      })
    }
    for (const [n, answer] of answers.entries()) {
      if (answer.kind !== 'accepted' && answer.kind !== 'failed') continue
      await emitter.emit('message:status', {
        tenant: tenant.slug,
        tenantId: tenant.id,
        messageId: answer.messageId,
        externalId: answer.kind === 'accepted' ? answer.wamid : '',
        conversationId: toSend[n].send.conversationId,
        status: answer.kind === 'accepted' ? 'queued' : 'failed',
        previousStatus: 'pending',
        errorCode: answer.kind === 'failed' ? answer.code : null,
        errorTitle: answer.kind === 'failed' ? answer.title : null,
      })
    }
  })
  return [...outcomes, ...answers]
}

/** Runs `statement` again when PostgreSQL ended it as a deadlock's victim (up to 5 times). */
async function onDeadlockAgain<T>(statement: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement()
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt >= 5) throw error
      await sleep(20 * attempt)
    }
  }
}

/**
 * Settles messages in doubt (written by a batch whose worker died, or whose
 * request got no answer):
 *
 * - one whose request never left (no started mark, or one saying it was
 *   never written; the mark is taken here so that a request still waiting
 *   for its turn never leaves either) is removed unsent: `removed`, to be
 *   sent anew at once;
 * - one whose request may have left and that no status webhook named
 *   within `olderThanMs` (WhatsApp reports every message it takes within
 *   seconds) fails as not sent: `abandoned`, to be sent anew;
 * - with `fast`, one marked by another sender (which can no longer write:
 *   the caller holds the lease it lost) fails as not sent as soon as
 *   WhatsApp has reported a message of `fast.channelId` sent at or after
 *   `fast.reportedSince` (statuses come about in order: had WhatsApp taken
 *   it, it would have reported it before those): `abandoned` too;
 * - the rest wait for their status webhook (inbound_statuses.ts adopts a
 *   message by its biz_opaque_callback_data).
 */
export async function settleInDoubt(
  tenant: TenantContext,
  messageIds: string[],
  olderThanMs: number,
  fast?: { sender: string; channelId: string; reportedSince: Date }
): Promise<{ removed: string[]; abandoned: string[] }> {
  if (!messageIds.length) return { removed: [], abandoned: [] }
  const never: string[] = []
  const others: string[] = []
  for (const id of messageIds) {
    if (await redis.set(startedKey(id), 'void', 'EX', MARK_SECONDS, 'NX')) {
      never.push(id)
      continue
    }
    const mark = await redis.get(startedKey(id))
    if (mark === 'void') never.push(id)
    else if (fast && mark?.startsWith('sent:') && mark !== `sent:${fast.sender}`) others.push(id)
  }
  const removed = never.length
    ? await db.rawQuery(
        `delete from ${tenant.table('messages')}
          where id = any(?::uuid[]) and external_id is null and status = 'pending'
          returning id`,
        [never]
      )
    : { rows: [] }
  const overtaken =
    fast && others.length && (await reportedSince(tenant, fast.channelId, fast.reportedSince))
      ? others
      : []
  const started = messageIds.filter((id) => !never.includes(id))
  const abandoned = started.length
    ? await db.rawQuery(
        `update ${tenant.table('messages')}
            set status = 'failed', failed_at = now(),
                error_title = 'Not sent: WhatsApp never reported it',
                payload = jsonb_set(payload, '{send}', (payload->'send') - 'startedAt')
          where id = any(?::uuid[]) and external_id is null and status = 'pending'
            and ((payload->'send'->>'startedAt')::timestamptz < now() - make_interval(secs => ?)
                 or id = any(?::uuid[]))
          returning id`,
        [started, olderThanMs / 1000, overtaken]
      )
    : { rows: [] }
  return {
    removed: (removed.rows as Array<{ id: string }>).map((r) => r.id),
    abandoned: (abandoned.rows as Array<{ id: string }>).map((r) => r.id),
  }
}

/** Whether WhatsApp has reported a message of the channel sent at or after `since`. */
async function reportedSince(tenant: TenantContext, channelId: string, since: Date) {
  const found = await db.rawQuery(
    `select 1 from ${tenant.table('messages')}
      where channel_id = ? and direction = 'outbound' and sent_at >= ? limit 1`,
    [channelId, since]
  )
  return found.rows.length > 0
}
