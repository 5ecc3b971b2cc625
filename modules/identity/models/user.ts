import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { BaseModel, beforeCreate, column } from '@adonisjs/lucid/orm'

export default class User extends BaseModel {
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare email: string

  @column()
  declare name: string

  @column({ serializeAs: null })
  declare password: string

  @column()
  declare locale: 'en' | 'ar'

  @column()
  declare timezone: string

  @column()
  declare isSuperAdmin: boolean

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignId(user: User) {
    user.id ??= randomUUID()
  }

  static findByEmail(email: string) {
    return this.query().whereRaw('lower(email) = ?', [email.trim().toLowerCase()]).first()
  }
}
