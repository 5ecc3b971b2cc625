import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { beforeCreate, column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'
import type { ContactFilter } from '#modules/inbox/index'

/** A saved audience: contacts matching a filter, counted and listed live. */
export default class Segment extends TenantModel {
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare name: string

  @column({ prepare: (value: ContactFilter) => JSON.stringify(value) })
  declare filter: ContactFilter

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignId(segment: Segment) {
    segment.id ??= randomUUID()
  }
}
