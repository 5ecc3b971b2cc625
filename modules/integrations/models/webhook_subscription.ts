import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import encryption from '@adonisjs/core/services/encryption'
import { afterDelete, afterSave, beforeCreate, column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'
import { invalidateCentralCacheAfterWrite } from '#app/cache/central_cache'

/** One URL a tenant's events are posted to, with the secret that signs them. */
export default class WebhookSubscription extends TenantModel {
  static table = 'webhook_subscriptions'
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare url: string

  @column()
  declare events: string[]

  /** Encrypted with the app key: it must be read back to sign each delivery. */
  @column({ serializeAs: null })
  declare secretEncrypted: string

  @column()
  declare active: boolean

  @column()
  declare description: string | null

  @column()
  declare createdVia: 'workspace' | 'api' | 'rest_hook'

  @column.dateTime()
  declare failingSince: DateTime | null

  @column()
  declare disabledReason: 'gone' | 'failing' | null

  @column.dateTime()
  declare disabledAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  get secret(): string {
    return encryption.decrypt<string>(this.secretEncrypted)!
  }

  set secret(value: string) {
    this.secretEncrypted = encryption.encrypt(value)
  }

  /** Whether an event of `type` goes to this subscription. */
  wants(type: string) {
    return this.events.includes('*') || this.events.includes(type)
  }

  /** Events are published only where someone listens, and processes keep who does (webhook_delivery_service). */
  @afterSave()
  @afterDelete()
  static async forgetKept(subscription: WebhookSubscription) {
    await invalidateCentralCacheAfterWrite(subscription)
  }

  @beforeCreate()
  static assignId(subscription: WebhookSubscription) {
    subscription.id ??= randomUUID()
  }
}
