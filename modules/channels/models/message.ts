import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { beforeCreate, column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'

export type MessageDirection = 'inbound' | 'outbound'
export type MessageStatus =
  'received' | 'pending' | 'queued' | 'sent' | 'delivered' | 'read' | 'failed'

/**
 * Outbound statuses only move forward: a late "delivered" never undoes
 * "read". Failed outranks all: a message WhatsApp gave up on stays failed.
 */
export const STATUS_RANK: Record<MessageStatus, number> = {
  received: 0,
  pending: 0,
  queued: 1,
  sent: 2,
  delivered: 3,
  read: 4,
  failed: 5,
}

export interface MessageMedia {
  /** The provider's media id (WhatsApp), used to fetch the file. */
  providerId?: string
  mimeType?: string
  sha256?: string
  filename?: string
  caption?: string
  /** pending until fetched into tenant storage, then stored (or failed). */
  status: 'pending' | 'stored' | 'failed'
  size?: number
  /** Where the file is in the tenant's storage (drive), once stored. */
  storageKey?: string
  error?: string
}

export default class Message extends TenantModel {
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  /**
   * The order rows were written in (an identity column, a bigint read as a
   * string); never set by the application.
   */
  @column()
  declare seq: string

  @column()
  declare conversationId: string

  @column()
  declare contactId: string

  @column()
  declare channelId: string

  @column()
  declare direction: MessageDirection

  @column()
  declare externalId: string | null

  @column()
  declare idempotencyKey: string | null

  @column()
  declare type: string

  @column()
  declare body: string | null

  @column()
  declare payload: Record<string, unknown>

  @column()
  declare media: MessageMedia | null

  @column()
  declare status: MessageStatus

  @column()
  declare errorCode: number | null

  @column()
  declare errorTitle: string | null

  @column()
  declare authorType: 'contact' | 'agent' | 'assistant' | 'system'

  @column()
  declare authorId: string | null

  @column()
  declare isNote: boolean

  @column()
  declare replyToExternalId: string | null

  @column.dateTime()
  declare providerTimestamp: DateTime | null

  @column.dateTime()
  declare sentAt: DateTime | null

  @column.dateTime()
  declare deliveredAt: DateTime | null

  @column.dateTime()
  declare readAt: DateTime | null

  @column.dateTime()
  declare failedAt: DateTime | null

  @column.dateTime()
  declare processedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignId(message: Message) {
    message.id ??= randomUUID()
  }
}
