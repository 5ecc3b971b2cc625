import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { beforeCreate, column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'

export type ConversationStatus = 'open' | 'pending' | 'snoozed' | 'resolved'
export type ConversationPriority = 'none' | 'low' | 'medium' | 'high' | 'urgent'

/** WhatsApp allows free-form replies for 24 hours after the customer's last message. */
export const CUSTOMER_WINDOW_HOURS = 24

export default class Conversation extends TenantModel {
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare contactId: string

  @column()
  declare channelId: string

  @column()
  declare status: ConversationStatus

  @column.dateTime()
  declare snoozedUntil: DateTime | null

  @column()
  declare assigneeId: string | null

  @column()
  declare labels: string[]

  @column()
  declare priority: ConversationPriority

  @column()
  declare unreadCount: number

  @column.dateTime()
  declare lastMessageAt: DateTime | null

  @column.dateTime()
  declare lastCustomerMessageAt: DateTime | null

  @column.dateTime()
  declare resolvedAt: DateTime | null

  @column.dateTime()
  declare windowClosedAt: DateTime | null

  /** When it was handed to a person (the assistant or the customer asked); null once settled. */
  @column.dateTime()
  declare needsPersonAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignId(conversation: Conversation) {
    conversation.id ??= randomUUID()
  }

  /** Whether a free-form message may be sent now. */
  isWindowOpen(now = DateTime.now()) {
    if (!this.lastCustomerMessageAt) return false
    if (this.windowClosedAt && this.windowClosedAt >= this.lastCustomerMessageAt) return false
    return now.diff(this.lastCustomerMessageAt, 'hours').hours < CUSTOMER_WINDOW_HOURS
  }
}
