import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'

export default class AuditLog extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column.dateTime({ autoCreate: true })
  declare occurredAt: DateTime

  @column()
  declare actorUserId: string | null

  @column()
  declare actorLabel: string

  @column()
  declare action: string

  @column()
  declare tenantId: string | null

  @column()
  declare tenantSlug: string | null

  @column()
  declare subjectType: string | null

  @column()
  declare subjectId: string | null

  @column()
  declare source: string | null

  @column()
  declare userAgent: string | null

  @column()
  declare metadata: Record<string, unknown>
}
