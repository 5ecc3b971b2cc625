import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { BaseModel, beforeCreate, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import User from './user.js'

export type Role = 'owner' | 'admin' | 'agent' | 'viewer'
export type Availability = 'online' | 'busy' | 'offline'
export const AVAILABILITIES: Availability[] = ['online', 'busy', 'offline']

export default class Membership extends BaseModel {
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare tenantId: string

  @column()
  declare userId: string

  @column()
  declare role: Role

  /** Online members take new conversations by round-robin; see modules/channels auto-assignment. */
  @column()
  declare availability: Availability

  /** The member's own WhatsApp number (wa_id digits): their messages to the business are internal. */
  @column()
  declare whatsappPhone: string | null

  @belongsTo(() => User)
  declare user: BelongsTo<typeof User>

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignId(membership: Membership) {
    membership.id ??= randomUUID()
  }
}
