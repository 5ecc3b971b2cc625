import type { TenantContext } from '#modules/tenancy/index'
import Message from '../models/message.js'

/*
| Where a message's file is in the tenant's storage, and how it may be shown.
*/

/**
 * Types a browser shows as media, never runs: these open in the tab
 * (`inline`); anything else (HTML, SVG, scripts, office files) is always a
 * download, whatever its sender called it.
 */
const INLINE_TYPES =
  /^(image\/(jpeg|png|gif|webp|avif|bmp)|audio\/[\w.+-]+|video\/[\w.+-]+|application\/pdf)$/i

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/amr': 'amr',
  'video/mp4': 'mp4',
  'video/3gpp': '3gp',
  'application/pdf': 'pdf',
}

export interface StoredMedia {
  key: string
  mimeType: string
  filename: string
  inline: boolean
  isPdf: boolean
}

/**
 * The stored file of message `messageId`, looked up in the tenant's own
 * schema, or null: no such message here, no file, or not fetched yet. Only
 * keys under the tenant's own storage prefix are served.
 */
export async function storedMediaOf(
  tenant: TenantContext,
  messageId: string
): Promise<StoredMedia | null> {
  if (!/^[0-9a-f-]{36}$/i.test(messageId)) return null
  const message = await tenant.transaction((trx) =>
    Message.query({ client: trx }).where('id', messageId).first()
  )
  const media = message?.media
  if (!message || !media || media.status !== 'stored' || !media.storageKey) return null
  if (!media.storageKey.startsWith(`tenants/${tenant.id}/`)) return null
  const mimeType = (media.mimeType ?? 'application/octet-stream').split(';')[0].trim().toLowerCase()
  const safeType = /^[\w.+-]+\/[\w.+-]+$/.test(mimeType) ? mimeType : 'application/octet-stream'
  const extension = EXTENSIONS[safeType]
  return {
    key: media.storageKey,
    mimeType: safeType,
    filename:
      media.filename ||
      `${message.type}-${message.id.slice(0, 8)}${extension ? `.${extension}` : ''}`,
    inline: INLINE_TYPES.test(safeType),
    isPdf: safeType === 'application/pdf',
  }
}

/**
 * A conversation's inbound PDFs received since `since`, oldest first, with
 * whether each file is stored yet (the quote analyzer groups a customer's
 * quotes by them).
 */
export async function inboundPdfsOf(tenant: TenantContext, conversationId: string, since: Date) {
  const rows = await tenant.transaction((trx) =>
    Message.query({ client: trx })
      .where('conversation_id', conversationId)
      .where('direction', 'inbound')
      .where('type', 'document')
      .whereRaw(`lower(media->>'mimeType') like 'application/pdf%'`)
      .where('created_at', '>=', since)
      // The conversation's order (WhatsApp's time, then arrival).
      .orderBy('sort_at')
      .orderBy('seq')
      .limit(50)
  )
  return rows.map((message) => ({
    messageId: message.id,
    receivedAt: message.createdAt.toJSDate(),
    stored: message.media?.status === 'stored',
    failed: message.media?.status === 'failed',
  }))
}
