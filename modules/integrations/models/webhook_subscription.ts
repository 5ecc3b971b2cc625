import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import encryption from '@adonisjs/core/services/encryption'
import { beforeCreate, column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'

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

  @beforeCreate()
  static assignId(subscription: WebhookSubscription) {
    subscription.id ??= randomUUID()
  }
}
