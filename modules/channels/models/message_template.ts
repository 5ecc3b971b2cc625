import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { beforeCreate, column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'

export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION'

export default class MessageTemplate extends TenantModel {
  static table = 'message_templates'
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare channelId: string

  @column()
  declare providerId: string | null

  @column()
  declare name: string

  @column()
  declare language: string

  @column()
  declare category: TemplateCategory

  @column()
  declare status: string

  @column()
  declare previousStatus: string | null

  @column.dateTime()
  declare statusChangedAt: DateTime | null

  @column()
  declare rejectedReason: string | null

  // node-postgres sends a JS array as a Postgres array; jsonb needs JSON.
  @column({ prepare: (value: unknown) => JSON.stringify(value ?? []) })
  declare components: Array<Record<string, any>>

  @column()
  declare bodyVariables: number

  @column.dateTime()
  declare syncedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignId(template: MessageTemplate) {
    template.id ??= randomUUID()
  }

  get isApproved() {
    return this.status === 'APPROVED'
  }
}
