import { DateTime } from 'luxon'
import { column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'
import type { Component, Values } from '../services/components.js'

export type TaskStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled'
export type TaskPriority = 'low' | 'normal' | 'high' | 'urgent'
export type OnTimeout = 'cancel' | 'approve' | 'reject'
export type SourceType = 'api' | 'assistant' | 'analyzer' | 'pulse' | 'flow'

export const TASK_STATUSES: TaskStatus[] = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'cancelled',
]
export const TASK_PRIORITIES: TaskPriority[] = ['low', 'normal', 'high', 'urgent']
export const ON_TIMEOUT: OnTimeout[] = ['cancel', 'approve', 'reject']
export const SOURCE_TYPES: SourceType[] = ['api', 'assistant', 'analyzer', 'pulse', 'flow']

export type TaskAction =
  | { type: 'none' }
  | { type: 'callback' }
  /**
   * `author: 'assistant'`: the approved message is the assistant's (a draft
   * reply a person approved), so the conversation stays the assistant's.
   * Set only by modules in code, never through the API.
   */
  | { type: 'send_message'; text_from?: string; author?: 'assistant' }

export interface TaskAllowed {
  edit: boolean
  reject_reasons: string[]
}

export interface TaskResponse {
  decision: Exclude<TaskStatus, 'pending'>
  values: Values
  /** What the AI proposed, beside what the person submitted. */
  original_values: Values
  /** Names of the values the person changed. */
  edited: string[]
  reason: string | null
  comment: string | null
  by: { type: 'user' | 'api' | 'system' | 'link'; id: string | null; name: string | null }
  at: string
  /** What approval sent, for send_message. */
  message_id?: string | null
}

const json = { prepare: (value: unknown) => (value === null ? null : JSON.stringify(value)) }

/** A human approval task (see migrations/tenant for the columns' meaning). */
export default class Task extends TenantModel {
  static table = 'hitl_tasks'
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare kind: string

  @column()
  declare title: string

  @column()
  declare description: string | null

  @column()
  declare status: TaskStatus

  @column()
  declare priority: TaskPriority

  @column.dateTime()
  declare dueAt: DateTime | null

  @column.dateTime()
  declare expiresAt: DateTime | null

  @column()
  declare onTimeout: OnTimeout

  @column()
  declare assigneeUserId: string | null

  @column()
  declare assigneeRole: string | null

  @column()
  declare contactId: string | null

  @column()
  declare conversationId: string | null

  @column(json)
  declare components: Component[]

  @column(json)
  declare action: TaskAction

  @column(json)
  declare allowed: TaskAllowed

  @column(json)
  declare response: TaskResponse | null

  @column()
  declare sourceType: SourceType

  @column()
  declare sourceRef: string | null

  @column()
  declare idempotencyKey: string | null

  @column()
  declare callbackUrl: string | null

  @column({ serializeAs: null })
  declare callbackSecretEncrypted: string | null

  @column({ serializeAs: null })
  declare resumeTokenHash: string | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @column.dateTime()
  declare resolvedAt: DateTime | null

  get isPending() {
    return this.status === 'pending'
  }

  get isOverdue() {
    return this.status === 'pending' && !!this.dueAt && this.dueAt.toMillis() < Date.now()
  }
}
