import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { BaseModel, beforeCreate, column } from '@adonisjs/lucid/orm'

export type TenantStatus = 'provisioning' | 'active' | 'suspended' | 'deleted'

export default class Tenant extends BaseModel {
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare slug: string

  @column()
  declare name: string

  @column()
  declare schemaName: string

  @column()
  declare status: TenantStatus

  @column()
  declare planId: string | null

  @column()
  declare schemaVersion: string | null

  @column.dateTime()
  declare provisionedAt: DateTime | null

  @column.dateTime()
  declare suspendedAt: DateTime | null

  @column.dateTime()
  declare deletedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignId(tenant: Tenant) {
    tenant.id ??= randomUUID()
  }
}
