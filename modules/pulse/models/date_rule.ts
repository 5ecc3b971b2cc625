import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { beforeCreate, column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'

const json = { prepare: (value: unknown) => JSON.stringify(value ?? []) }

/**
 * Reminders on a contact's date field (a policy's end date): at each
 * offset (days before or after, at a local time in the contact's zone) a
 * message and/or a task for the conversation's assignee.
 */
export default class DateRule extends TenantModel {
  static table = 'date_rules'
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare name: string

  @column()
  declare enabled: boolean

  @column()
  declare fieldKey: string

  @column()
  declare offsets: number[]

  @column()
  declare localTime: string

  @column()
  declare channelId: string | null

  @column()
  declare message: string | null

  @column()
  declare templateName: string | null

  @column()
  declare templateLanguage: string | null

  @column(json)
  declare templateVariables: string[]

  @column()
  declare createTask: boolean

  @column()
  declare taskTitle: string | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignId(rule: DateRule) {
    rule.id ??= randomUUID()
  }
}
