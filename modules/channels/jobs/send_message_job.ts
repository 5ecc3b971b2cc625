import { errors as lucidErrors } from '@adonisjs/lucid'
import { contactIn, markWindowClosed } from '#modules/inbox/index'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import emitter from '@adonisjs/core/services/emitter'
import type { MessageStatusEvent } from '../events.js'
import drive from '@adonisjs/drive/services/main'
import { peekSendTurn, takeSendTurn } from '../services/send_pacing.js'
import {
  TenantJob,
  contextFor,
  findUsableTenant,
  type TenantContext,
  type TenantJobPayload,
} from '#modules/tenancy/index'
import Message, { STATUS_RANK } from '../models/message.js'
import Channel from '../models/channel.js'
import { sendToGraph, uploadMediaToGraph, type SendResult } from '../services/graph_client.js'
import { toGraphMessage, type OutboundContent } from '../services/outbound_content.js'
import { applyPendingStatuses } from '../services/inbound_statuses.js'

interface Payload extends TenantJobPayload {
  messageId: string
}

interface SendState {
  /** Set just before the request to WhatsApp, cleared when its answer is known. */
  startedAt?: string
  lastError?: string
  /** WhatsApp's id for an uploaded file, once uploaded: a retry sends it without uploading again. */
  mediaId?: string
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
    if (!(await this.#uploadFile(tenant, messageId))) return

    // Room in the number's budget is waited for before the send is claimed
    // (a worker that dies while waiting leaves no send in doubt); the turn
    // itself is taken just before the request, so the rate holds at WhatsApp.
    const waiting = await tenant.transaction((trx) =>
      Message.query({ client: trx }).where('id', messageId).select('channel_id').first()
    )
    if (!waiting) return
    const channel = await Channel.query()
      .where('id', waiting.channelId)
      .where('tenant_id', tenant.id)
      .firstOrFail()
    const ours = channel.type === 'sandbox' || channel.type === 'webchat'
    if (!ours) await waitForTurn(channel, peekSendTurn)

    // A send found interrupted fails, and says so like any status change.
    let unconfirmed: MessageStatusEvent | null = null
    const claimed = await tenant.transaction(async (trx) => {
      const message = await Message.query({ client: trx })
        .where('id', messageId)
        .forUpdate()
        .first()
      if (!message || message.externalId || message.status === 'failed') return null
      const send = (message.payload.send ?? {}) as SendState
      if (send.startedAt) {
        const previousStatus = message.status
        markFailed(
          message,
          null,
          'Delivery unconfirmed: the send was interrupted; check before resending'
        )
        await message.useTransaction(trx).save()
        unconfirmed = {
          tenant: tenant.slug,
          tenantId: tenant.id,
          messageId: message.id,
          externalId: message.externalId ?? '',
          conversationId: message.conversationId,
          status: message.status,
          previousStatus,
          errorCode: null,
          errorTitle: message.errorTitle,
        }
        return null
      }
      message.payload = {
        ...message.payload,
        send: { ...send, startedAt: new Date().toISOString() },
      }
      await message.useTransaction(trx).save()
      const contact = await contactIn(trx, message.contactId)
      if (!contact) throw new lucidErrors.E_ROW_NOT_FOUND()
      return { message, contact }
    })
    if (unconfirmed) await emitter.emit('message:status', unconfirmed)
    if (!claimed) return

    const stored = claimed.message.payload.content as OutboundContent
    const uploadedId = (claimed.message.payload.send as SendState | undefined)?.mediaId
    // A file from our storage goes out as the media id WhatsApp gave it.
    const content: OutboundContent =
      uploadedId && 'file' in stored
        ? { ...stored, file: undefined, link: undefined, mediaId: uploadedId }
        : stored

    let result: SendResult
    // The sandbox phone and the web chat widget are ours: the message is on
    // their screen (the widget reads it from our database) once it is "sent".
    if (ours) {
      result = { ok: true, wamid: `${channel.type}.${randomUUID()}`, waId: null }
    } else {
      await waitForTurn(channel, takeSendTurn)
      const to = claimed.contact.phone ?? claimed.contact.waId
      result = await sendToGraph(channel, toGraphMessage(to!, content))
    }

    const statusEvents = await tenant.transaction(async (trx) => {
      const message = await Message.query({ client: trx })
        .where('id', messageId)
        .forUpdate()
        .firstOrFail()
      const send = { ...(message.payload.send as SendState) }
      const previousStatus = message.status
      if (result.ok) {
        delete send.startedAt
        message.externalId = result.wamid
        const reached = ours ? 'sent' : 'queued'
        if (STATUS_RANK[reached] > STATUS_RANK[message.status]) message.status = reached
        if (ours) message.sentAt = DateTime.now()
      } else if (result.definite) {
        delete send.startedAt
        send.lastError = result.title
        if (!result.retryable) {
          markFailed(message, result.code, result.title)
          if (result.code === REENGAGEMENT) {
            await markWindowClosed(trx, message.conversationId)
          }
        }
      } else {
        send.lastError = result.title
      }
      message.payload = { ...message.payload, send }
      await message.useTransaction(trx).save()
      // The send's own step (queued, sent for our own channels, failed) is a
      // status change too: open inboxes show it as it happens.
      const own: MessageStatusEvent[] =
        message.status === previousStatus
          ? []
          : [
              {
                tenant: tenant.slug,
                tenantId: tenant.id,
                messageId: message.id,
                externalId: message.externalId ?? '',
                conversationId: message.conversationId,
                status: message.status,
                previousStatus,
                errorCode: message.errorCode,
                errorTitle: message.errorTitle,
              },
            ]
      // A status webhook can beat our own record of the wamid; it was parked.
      const parked = result.ok ? await applyPendingStatuses(trx, tenant, result.wamid) : []
      return [...own, ...parked]
    })
    for (const event of statusEvents) await emitter.emit('message:status', event)

    if (!result.ok && (result.retryable || !result.definite)) {
      // BullMQ retries with exponential backoff, which also spaces out
      // WhatsApp's per-recipient limit (131056).
      throw new Error(`WhatsApp send failed: ${result.title}`)
    }
  }

  /**
   * A WhatsApp message carrying a file from the tenant's storage: the file
   * goes to WhatsApp's media endpoint first, and its media id is recorded on
   * the message before anything is sent. The upload is not the customer's
   * to see, so it happens before the send is claimed; a retry finds the id
   * and does not upload again. Returns false when the message is settled
   * (already sent, failed, or the file was refused).
   */
  async #uploadFile(tenant: TenantContext, messageId: string): Promise<boolean> {
    const message = await tenant.transaction((trx) =>
      Message.query({ client: trx }).where('id', messageId).first()
    )
    if (!message || message.externalId || message.status === 'failed') return false
    const content = message.payload.content as OutboundContent
    const send = (message.payload.send ?? {}) as SendState
    if (!('file' in content) || !content.file || send.mediaId || send.startedAt) return true
    const channel = await Channel.query()
      .where('id', message.channelId)
      .where('tenant_id', tenant.id)
      .firstOrFail()
    if (channel.type !== 'whatsapp') return true

    const file = content.file
    const settle = async (change: (row: Message, state: SendState) => void) => {
      await tenant.transaction(async (trx) => {
        const row = await Message.query({ client: trx })
          .where('id', messageId)
          .forUpdate()
          .firstOrFail()
        const state = { ...((row.payload.send ?? {}) as SendState) }
        change(row, state)
        row.payload = { ...row.payload, send: state }
        await row.useTransaction(trx).save()
      })
    }
    // Only this tenant's uploads: a key is data, and data can be forged.
    if (!file.key.startsWith(`tenants/${tenant.id}/`) || !(await drive.use().exists(file.key))) {
      await settle((row) => markFailed(row, null, 'The attached file is missing from storage'))
      return false
    }
    const bytes = await drive.use().getBytes(file.key)
    const uploaded = await uploadMediaToGraph(channel, {
      bytes,
      mimeType: file.mimeType,
      filename: content.filename ?? file.name ?? file.key.split('/').pop()!,
    })
    if (uploaded.ok) {
      await settle((_row, state) => {
        state.mediaId ??= uploaded.id
      })
      return true
    }
    await settle((row, state) => {
      state.lastError = uploaded.title
      if (!uploaded.retryable) markFailed(row, uploaded.code, uploaded.title)
    })
    if (!uploaded.retryable) return false
    throw new Error(`WhatsApp media upload failed: ${uploaded.title}`)
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
 * 80 messages a second) in any one second, counted in Redis so every worker
 * shares the budget (services/send_pacing.ts).
 */
async function waitForTurn(
  channel: Channel,
  ask: (key: string, perSecond: number) => Promise<number>
) {
  const perSecond =
    channel.settings.messagesPerSecond ??
    app.config.get<number>('whatsapp.defaultMessagesPerSecond')
  for (;;) {
    const wait = await ask(channel.phoneNumberId ?? channel.id, perSecond)
    if (wait === 0) return
    await sleep(wait)
  }
}
