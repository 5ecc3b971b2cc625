import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { beforeCreate, column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'

const json = { prepare: (value: unknown) => JSON.stringify(value ?? []) }

/** A daily check-in: a question with reply buttons on chosen days at a local time. */
export default class CheckinPlan extends TenantModel {
  static table = 'checkin_plans'
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare name: string

  @column()
  declare enabled: boolean

  /** ISO weekdays, 1 (Monday) to 7 (Sunday). */
  @column()
  declare days: number[]

  @column()
  declare localTime: string

  @column()
  declare question: string

  /** Reply buttons; the first counts toward the streak. */
  @column(json)
  declare answers: string[]

  @column()
  declare followUp: string | null

  @column()
  declare nudgeAfterHours: number | null

  @column()
  declare nudgeText: string | null

  @column()
  declare tag: string | null

  @column()
  declare channelId: string | null

  @column()
  declare templateName: string | null

  @column()
  declare templateLanguage: string | null

  @column(json)
  declare templateVariables: string[]

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignId(plan: CheckinPlan) {
    plan.id ??= randomUUID()
  }
}
