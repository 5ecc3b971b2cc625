import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { invalidateCentralCacheAfterWrite } from '#app/cache/central_cache'
import { BaseModel, afterDelete, afterSave, beforeCreate, column } from '@adonisjs/lucid/orm'

/**
 * A tenant's key to the REST API. Central (see the migration): always read
 * with the tenant's id or by its prefix, through the api key service.
 */
export default class ApiKey extends BaseModel {
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare tenantId: string

  @column()
  declare name: string

  @column()
  declare prefix: string

  @column({ serializeAs: null })
  declare tokenHash: string

  @column()
  declare lastFour: string

  @column()
  declare scopes: string[]

  @column.dateTime()
  declare expiresAt: DateTime | null

  @column.dateTime()
  declare lastUsedAt: DateTime | null

  @column.dateTime()
  declare revokedAt: DateTime | null

  @column()
  declare createdByUserId: string | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  /** API requests keep keys in memory (see api_auth_middleware): a revocation reaches every process. */
  @afterSave()
  @afterDelete()
  static async forgetKept(apiKey: ApiKey) {
    await invalidateCentralCacheAfterWrite(apiKey)
  }

  @beforeCreate()
  static assignId(key: ApiKey) {
    key.id ??= randomUUID()
  }

  /** How the key is shown after creation: `fm_live_<prefix>…<last four>`. */
  get masked() {
    return `${TOKEN_PREFIX}${this.prefix}…${this.lastFour}`
  }

  get status(): 'active' | 'revoked' | 'expired' {
    if (this.revokedAt) return 'revoked'
    if (this.expiresAt && this.expiresAt <= DateTime.now()) return 'expired'
    return 'active'
  }
}

export const TOKEN_PREFIX = 'fm_live_'
