import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import encryption from '@adonisjs/core/services/encryption'
import { BaseModel, afterDelete, afterSave, beforeCreate, column } from '@adonisjs/lucid/orm'
import { invalidateCentralCacheAfterWrite } from '#app/cache/central_cache'

export type ChannelType = 'whatsapp' | 'sandbox' | 'webchat'

export interface ChannelSettings {
  /** Outbound messages per second for this number (WhatsApp's default tier is 80). */
  messagesPerSecond?: number
  /**
   * WhatsApp's messaging tier: unique users the business may start
   * conversations with in a moving 24 hours (250, 2000, 10000, 100000);
   * unset or null is unlimited. Campaigns wait for room under it.
   */
  messagingTier?: number | null
  /**
   * WhatsApp: the Meta app the access token belongs to. Template header
   * samples are uploaded to it (Meta's Resumable Upload API names the app).
   */
  metaAppId?: string
  /** Words that opt a contact out, compared case-insensitively on the whole message. */
  optOutWords?: string[]
  /** New conversations go to online members in turn (round-robin). */
  autoAssign?: boolean
  /**
   * A member who replies to a handed-off conversation nobody took becomes
   * its assignee. On unless set to false.
   */
  assignOnReply?: boolean
  /** Web chat: the greeting shown before the visitor writes, per language. */
  welcomeMessage?: { en?: string; ar?: string }
  /** Web chat: the sites (origins) that may embed the widget; none means any site. */
  allowedOrigins?: string[]
  /** Web chat: the widget's colour (`#rrggbb`) instead of the workspace's brand colour. */
  brandColor?: string
}

/**
 * A way customers reach a tenant. Central (see the migration): always read
 * with the tenant's id, through the services in this module.
 */
export default class Channel extends BaseModel {
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare tenantId: string

  @column()
  declare type: ChannelType

  @column()
  declare name: string

  @column()
  declare status: 'active' | 'disabled'

  @column()
  declare phoneNumberId: string | null

  @column()
  declare wabaId: string | null

  @column()
  declare displayNumber: string | null

  @column({ serializeAs: null })
  declare accessTokenEncrypted: string | null

  @column({ serializeAs: null })
  declare appSecretEncrypted: string | null

  @column({ serializeAs: null })
  declare verifyToken: string | null

  @column()
  declare settings: ChannelSettings

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  /** The API keeps channels in memory for sends: disabling one reaches every process at once. */
  @afterSave()
  @afterDelete()
  static async forgetKept(channel: Channel) {
    await invalidateCentralCacheAfterWrite(channel)
  }

  @beforeCreate()
  static assignId(channel: Channel) {
    channel.id ??= randomUUID()
  }

  get accessToken(): string | null {
    return this.accessTokenEncrypted ? encryption.decrypt<string>(this.accessTokenEncrypted) : null
  }

  set accessToken(value: string | null) {
    this.accessTokenEncrypted = value ? encryption.encrypt(value) : null
  }

  get appSecret(): string | null {
    return this.appSecretEncrypted ? encryption.decrypt<string>(this.appSecretEncrypted) : null
  }

  set appSecret(value: string | null) {
    this.appSecretEncrypted = value ? encryption.encrypt(value) : null
  }

  /** The last four characters, for lists: "••••1a2b". */
  static mask(secret: string | null) {
    return secret ? `••••${secret.slice(-4)}` : ''
  }
}
