import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import emitter from '@adonisjs/core/services/emitter'
import limiter from '@adonisjs/limiter/services/main'
import { errors as limiterErrors } from '@adonisjs/limiter'
import {
  TenantJob,
  contextFor,
  findUsableTenant,
  type TenantContext,
  type TenantJobPayload,
} from '#modules/tenancy/index'
import Message, { STATUS_RANK } from '../models/message.js'
import Contact from '../models/contact.js'
import Channel from '../models/channel.js'
import { sendToGraph, type SendResult } from '../services/graph_client.js'
import { toGraphMessage, type OutboundContent } from '../services/outbound_content.js'
import { applyPendingStatuses } from '../services/inbound_statuses.js'

interface Payload extends TenantJobPayload {
  messageId: string
}

interface SendState {
  /** Set just before the request to WhatsApp, cleared when its answer is known. */
  startedAt?: string
  lastError?: string
}

/** WhatsApp refused a free-form message as outside the 24-hour window. */
const REENGAGEMENT = 131047

/**
 * Delivers one outbound message to WhatsApp.
 *
 * Never twice: the message row records that a request is in flight before it
 * is made and clears that once WhatsApp's answer is known. A retry that finds
 * an answer known (an error) tries again; one that finds a request still in
 * flight (the worker died, or the request timed out after WhatsApp may have
 * taken it) does not guess: the message fails as "delivery unconfirmed" for
 * a person to check, rather than reach the customer twice.
 */
export default class SendMessageJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { messageId }: Payload) {
    const claimed = await tenant.transaction(async (trx) => {
      const message = await Message.query({ client: trx })
        .where('id', messageId)
        .forUpdate()
        .first()
      if (!message || message.externalId || message.status === 'failed') return null
      const send = (message.payload.send ?? {}) as SendState
      if (send.startedAt) {
        markFailed(
          message,
          null,
          'Delivery unconfirmed: the send was interrupted; check before resending'
        )
        await message.useTransaction(trx).save()
        return null
      }
      message.payload = {
        ...message.payload,
        send: { ...send, startedAt: new Date().toISOString() },
      }
      await message.useTransaction(trx).save()
      const contact = await Contact.query({ client: trx })
        .where('id', message.contactId)
        .firstOrFail()
      return { message, contact }
    })
    if (!claimed) return

    const channel = await Channel.query()
      .where('id', claimed.message.channelId)
      .where('tenant_id', tenant.id)
      .firstOrFail()
    const content = claimed.message.payload.content as OutboundContent

    let result: SendResult
    if (channel.type === 'sandbox') {
      // The sandbox phone is ours: the message is on its screen as soon as it is "sent".
      result = { ok: true, wamid: `sandbox.${randomUUID()}`, waId: null }
    } else {
      await waitForTurn(channel)
      const to = claimed.contact.phone ?? claimed.contact.waId
      result = await sendToGraph(channel, toGraphMessage(to!, content))
    }

    const statusEvents = await tenant.transaction(async (trx) => {
      const message = await Message.query({ client: trx })
        .where('id', messageId)
        .forUpdate()
        .firstOrFail()
      const send = { ...(message.payload.send as SendState) }
      if (result.ok) {
        delete send.startedAt
        message.externalId = result.wamid
        const reached = channel.type === 'sandbox' ? 'sent' : 'queued'
        if (STATUS_RANK[reached] > STATUS_RANK[message.status]) message.status = reached
        if (channel.type === 'sandbox') message.sentAt = DateTime.now()
      } else if (result.definite) {
        delete send.startedAt
        send.lastError = result.title
        if (!result.retryable) {
          markFailed(message, result.code, result.title)
          if (result.code === REENGAGEMENT) {
            await trx
              .from('conversations')
              .where('id', message.conversationId)
              .update({ window_closed_at: new Date() })
          }
        }
      } else {
        send.lastError = result.title
      }
      message.payload = { ...message.payload, send }
      await message.useTransaction(trx).save()
      // A status webhook can beat our own record of the wamid; it was parked.
      return result.ok ? applyPendingStatuses(trx, tenant, result.wamid) : []
    })
    for (const event of statusEvents) await emitter.emit('message:status', event)

    if (!result.ok && (result.retryable || !result.definite)) {
      // BullMQ retries with exponential backoff, which also spaces out
      // WhatsApp's per-recipient limit (131056).
      throw new Error(`WhatsApp send failed: ${result.title}`)
    }
  }

  /** Out of retries: the message says so, with WhatsApp's last reason. */
  async rescue({ tenant: slug, messageId }: Payload, error: Error) {
    const tenant = await findUsableTenant(slug)
    if (!tenant) return
    await contextFor(tenant).transaction(async (trx) => {
      const message = await Message.query({ client: trx })
        .where('id', messageId)
        .forUpdate()
        .first()
      if (!message || message.externalId || message.status === 'failed') return
      const send = (message.payload.send ?? {}) as SendState
      markFailed(message, null, send.lastError ?? error.message)
      await message.useTransaction(trx).save()
    })
  }
}

function markFailed(message: Message, code: number | null, title: string) {
  message.status = 'failed'
  message.errorCode = code
  message.errorTitle = title
  message.failedAt = DateTime.now()
}

/**
 * Each number sends at most its configured rate (WhatsApp's default tier is
 * 80 messages a second), counted in Redis so every worker shares the budget.
 */
async function waitForTurn(channel: Channel) {
  const perSecond =
    channel.settings.messagesPerSecond ??
    app.config.get<number>('whatsapp.defaultMessagesPerSecond')
  const budget = limiter.use({ requests: perSecond, duration: '1 sec' })
  for (;;) {
    try {
      await budget.consume(`wa-send:${channel.phoneNumberId}`)
      return
    } catch (error) {
      if (!(error instanceof limiterErrors.E_TOO_MANY_REQUESTS)) throw error
      await sleep(Math.max(20, error.response.availableIn * 1000))
    }
  }
}
