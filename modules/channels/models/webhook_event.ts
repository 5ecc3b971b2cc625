import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'

export default class WebhookEvent extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare provider: 'whatsapp'

  @column()
  declare channelId: string | null

  @column()
  declare tenantId: string | null

  @column()
  declare payload: Record<string, any>

  @column.dateTime()
  declare receivedAt: DateTime

  @column.dateTime()
  declare processedAt: DateTime | null

  @column()
  declare attempts: number

  @column()
  declare lastError: string | null
}
