import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { beforeCreate, column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'

export type DeliveryStatus = 'pending' | 'sending' | 'retrying' | 'delivered' | 'failed'

/** One event on its way to one subscription, with what its last attempt met. */
export default class WebhookDelivery extends TenantModel {
  static table = 'webhook_deliveries'
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare subscriptionId: string

  @column()
  declare eventId: string

  @column()
  declare eventType: string

  @column()
  declare body: string

  @column()
  declare status: DeliveryStatus

  @column()
  declare attempts: number

  @column()
  declare lastStatusCode: number | null

  @column()
  declare lastResponseExcerpt: string | null

  @column()
  declare lastError: string | null

  @column()
  declare lastDurationMs: number | null

  @column.dateTime()
  declare lastAttemptAt: DateTime | null

  @column.dateTime()
  declare attemptStartedAt: DateTime | null

  @column.dateTime()
  declare nextAttemptAt: DateTime | null

  @column.dateTime()
  declare deliveredAt: DateTime | null

  @column.dateTime()
  declare windowStartedAt: DateTime

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignId(delivery: WebhookDelivery) {
    delivery.id ??= randomUUID()
  }
}
