import { createHash } from 'node:crypto'
import { Transform } from 'node:stream'
import drive from '@adonisjs/drive/services/main'
import emitter from '@adonisjs/core/services/emitter'
import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import Message, { type MessageMedia } from '../models/message.js'
import Channel from '../models/channel.js'
import { graphJson } from '../services/graph_client.js'
import { MediaDownloadRefused, openMediaDownload } from '../services/media_download.js'

interface Payload extends TenantJobPayload {
  messageId: string
}

/** WhatsApp's largest media (documents) is 100 MB. */
export const MAX_MEDIA_BYTES = 100 * 1024 * 1024

/**
 * Copies an inbound message's media from WhatsApp into the tenant's storage,
 * soon after it arrives: WhatsApp's download links expire, and its media ids
 * after 30 days. The file's SHA-256 must match what WhatsApp announced.
 * Safe to run twice: a stored file is not fetched again. A permanent refusal
 * (media gone, too large) marks the media failed with the reason; transient
 * ones are retried.
 */
export default class FetchMediaJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { messageId }: Payload) {
    const message = await tenant.transaction((trx) =>
      Message.query({ client: trx }).where('id', messageId).first()
    )
    const media = message?.media
    if (!message || !media?.providerId || media.status === 'stored') return
    const channel = await Channel.query()
      .where('id', message.channelId)
      .where('tenant_id', tenant.id)
      .first()
    if (!channel || channel.type !== 'whatsapp') return

    const meta = await graphJson(channel, 'GET', `/${media.providerId}`)
    if (!meta.ok) {
      if (meta.status !== null && meta.status >= 400 && meta.status < 500 && meta.status !== 429) {
        return this.#settle(tenant, messageId, { status: 'failed', error: meta.title })
      }
      throw new Error(`WhatsApp media lookup failed: ${meta.title}`)
    }
    const size = Number(meta.body.file_size ?? 0)
    if (size > MAX_MEDIA_BYTES) {
      return this.#settle(tenant, messageId, { status: 'failed', error: 'larger than 100 MB' })
    }

    let response: Awaited<ReturnType<typeof openMediaDownload>>
    try {
      response = await openMediaDownload(String(meta.body.url ?? ''), channel.accessToken ?? '', {
        timeoutMs: 120_000,
      })
    } catch (error) {
      if (!(error instanceof MediaDownloadRefused)) throw error
      return this.#settle(tenant, messageId, {
        status: 'failed',
        error: `download address refused: ${error.message}`,
      })
    }
    const status = response.statusCode ?? 0
    if (status < 200 || status >= 300) {
      response.resume()
      if (status >= 400 && status < 500 && status !== 429) {
        return this.#settle(tenant, messageId, {
          status: 'failed',
          error: `download refused (HTTP ${status})`,
        })
      }
      throw new Error(`WhatsApp media download failed: HTTP ${status}`)
    }

    const key = `tenants/${tenant.id}/media/${message.id}`
    const hash = createHash('sha256')
    let bytes = 0
    const counted = new Transform({
      transform(chunk, _encoding, done) {
        bytes += chunk.length
        if (bytes > MAX_MEDIA_BYTES) return done(new Error('larger than 100 MB'))
        hash.update(chunk)
        done(null, chunk)
      },
    })
    await drive.use().putStream(key, response.pipe(counted))
    const sha256 = hash.digest('hex')
    const announced = String(meta.body.sha256 ?? media.sha256 ?? '')
    if (announced && announced !== sha256) {
      await drive.use().delete(key)
      throw new Error('media checksum mismatch; fetching again')
    }

    await this.#settle(tenant, messageId, {
      status: 'stored',
      storageKey: key,
      size: bytes,
      mimeType: String(meta.body.mime_type ?? media.mimeType ?? 'application/octet-stream'),
      sha256,
    })
  }

  async #settle(tenant: TenantContext, messageId: string, change: Partial<MessageMedia>) {
    const settled = await tenant.transaction(async (trx) => {
      const message = await Message.query({ client: trx })
        .where('id', messageId)
        .forUpdate()
        .first()
      if (!message?.media) return null
      message.media = { ...message.media, ...change }
      await message.useTransaction(trx).save()
      return message
    })
    if (settled?.media?.status === 'stored') {
      await emitter.emit('message:media_stored', {
        tenant: tenant.slug,
        tenantId: tenant.id,
        messageId: settled.id,
        conversationId: settled.conversationId,
        contactId: settled.contactId,
        channelId: settled.channelId,
        mimeType: (settled.media.mimeType ?? 'application/octet-stream').split(';')[0].trim(),
        filename: settled.media.filename ?? null,
      })
    }
  }
}
