import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { beforeCreate, column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'

export type NudgeFinalAction = 'none' | 'label' | 'resolve'

const json = { prepare: (value: unknown) => JSON.stringify(value ?? []) }

/** After our last message, N hours of the customer's silence earn a nudge (at most K). */
export default class NudgeRule extends TenantModel {
  static table = 'nudge_rules'
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare name: string

  @column()
  declare enabled: boolean

  @column()
  declare label: string | null

  @column()
  declare afterHours: number

  @column()
  declare maxNudges: number

  @column()
  declare message: string

  @column()
  declare templateName: string | null

  @column()
  declare templateLanguage: string | null

  @column(json)
  declare templateVariables: string[]

  @column()
  declare finalAction: NudgeFinalAction

  @column()
  declare finalLabel: string | null

  /** Quiet hours in minutes after midnight, contact-local; both null for none. */
  @column()
  declare quietStart: number | null

  @column()
  declare quietEnd: number | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignId(rule: NudgeRule) {
    rule.id ??= randomUUID()
  }
}
