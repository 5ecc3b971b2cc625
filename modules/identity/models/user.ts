import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { BaseModel, beforeCreate, column } from '@adonisjs/lucid/orm'
import { DbRememberMeTokensProvider } from '@adonisjs/auth/session'

export default class User extends BaseModel {
  static selfAssignPrimaryKey = true
  static rememberMeTokens = DbRememberMeTokensProvider.forModel(User)

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

  /** The workspace to open after sign-in: the one used last. */
  @column()
  declare lastTenantId: string | null

  @column.dateTime()
  declare lastSignInAt: DateTime | null

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
