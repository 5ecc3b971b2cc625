import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { beforeCreate, column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'

export const CAMPAIGN_STATUSES = [
  'draft',
  'awaiting_approval',
  'scheduled',
  'running',
  'paused',
  'completed',
  'cancelled',
] as const
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number]

export type CampaignAudience =
  { segment_id: string } | { labels: string[] } | { contact_ids: string[] }

const json = { prepare: (value: unknown) => JSON.stringify(value) }

/** A one-off WhatsApp broadcast of one approved template to an audience. */
export default class Campaign extends TenantModel {
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare name: string

  @column()
  declare channelId: string

  @column()
  declare templateName: string

  @column()
  declare templateLanguage: string

  @column(json)
  declare variables: Record<string, string>

  @column(json)
  declare audience: CampaignAudience

  @column.dateTime()
  declare scheduleAt: DateTime | null

  @column()
  declare localTime: boolean

  /** With localTime: the wall-clock `YYYY-MM-DDTHH:mm` each contact gets it at, in their zone. */
  @column()
  declare localAt: string | null

  @column()
  declare quietStart: number | null

  @column()
  declare quietEnd: number | null

  @column()
  declare allowUnknownConsent: boolean

  @column()
  declare requiresApproval: boolean

  @column()
  declare approvalTaskId: string | null

  @column()
  declare status: CampaignStatus

  @column()
  declare generation: number

  @column()
  declare createdBy: string | null

  @column.dateTime()
  declare startedAt: DateTime | null

  @column.dateTime()
  declare completedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  get editable() {
    return this.status === 'draft'
  }

  @beforeCreate()
  static assignId(campaign: Campaign) {
    campaign.id ??= randomUUID()
  }
}
