import { DateTime } from 'luxon'
import { randomUUID } from 'node:crypto'
import { beforeCreate, column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'

export const CONTACT_FIELD_TYPES = ['text', 'number', 'date', 'boolean', 'choice'] as const
export type ContactFieldType = (typeof CONTACT_FIELD_TYPES)[number]

/** A custom field the workspace defines for its contacts; values live in contacts.attributes. */
export default class ContactField extends TenantModel {
  static table = 'contact_fields'
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare key: string

  @column()
  declare label: string

  @column()
  declare type: ContactFieldType

  @column()
  declare required: boolean

  @column({ prepare: (value: string[]) => JSON.stringify(value ?? []) })
  declare choices: string[]

  @column()
  declare position: number

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignId(field: ContactField) {
    field.id ??= randomUUID()
  }
}
