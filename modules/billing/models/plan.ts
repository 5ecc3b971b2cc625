import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { invalidateCentralCacheAfterWrite } from '#app/cache/central_cache'
import { BaseModel, afterDelete, afterSave, beforeCreate, column } from '@adonisjs/lucid/orm'

export default class Plan extends BaseModel {
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare slug: string

  @column()
  declare name: string

  @column()
  declare priceLabel: string | null

  @column()
  declare maxSeats: number | null

  @column()
  declare maxChannels: number | null

  @column()
  declare maxConversationsPerMonth: number | null

  @column()
  declare maxAiAnswersPerMonth: number | null

  @column()
  declare maxKnowledgeMb: number | null

  /** REST API requests per minute per key; null for the platform default (integrations). */
  @column()
  declare apiRequestsPerMinute: number | null

  @column()
  declare isDefault: boolean

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  /** API requests keep plans' limits in memory: a plan's change reaches every process on its next request. */
  @afterSave()
  @afterDelete()
  static async forgetKept(plan: Plan) {
    await invalidateCentralCacheAfterWrite(plan)
  }

  @beforeCreate()
  static assignId(plan: Plan) {
    plan.id ??= randomUUID()
  }
}
