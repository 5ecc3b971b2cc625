import { IANAZone } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { clock } from '#app/clock'
import { CentralCache, centralVersion, invalidateCentralCache } from '#app/cache/central_cache'
import type { TenantContext } from '#modules/tenancy/index'
import { DEFAULT_CONFIDENCE_THRESHOLD } from './answers/types.js'

/*
| A channel's assistant: whether it answers, as whom, in which language,
| when (always, or only outside the business's hours), how sure it must be,
| and when it gives the conversation to a person. One row per channel in
| the tenant schema; a channel without a row has the defaults (off).
*/

export type AssistantLanguage = 'auto' | 'en' | 'ar'
export type AssistantActiveMode = 'always' | 'outside_hours'

/** ISO weekday (1 Monday .. 7 Sunday) to opening and closing time, "HH:MM"; a missing day is closed. */
export type BusinessHours = Partial<Record<string, [string, string]>>

export interface AssistantSettings {
  channelId: string
  enabled: boolean
  personaName: string
  instructions: string
  language: AssistantLanguage
  activeMode: AssistantActiveMode
  timezone: string
  businessHours: BusinessHours
  confidenceThreshold: number
  handoffWords: string[]
  maxFailures: number
  /** Customers see the numbered sources under an answer (agents always do). */
  citeSources: boolean
  /** The assistant's answers wait for a person's approval (a task) instead of being sent. */
  draftReplies: boolean
  updatedAt: Date | null
}

export type AssistantSettingsInput = Omit<AssistantSettings, 'channelId' | 'updatedAt'>

/**
 * Words that, said by the customer, hand the conversation to a person. Kept
 * to words that are requests in themselves: "person" alone would catch
 * questions about insured persons.
 */
export const DEFAULT_HANDOFF_WORDS = [
  'agent',
  'human',
  'representative',
  'real person',
  'operator',
  'موظف',
  'إنسان',
  'شخص حقيقي',
  'خدمة العملاء',
]

export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const

export function defaultAssistantSettings(channelId: string): AssistantSettings {
  return {
    channelId,
    enabled: false,
    personaName: '',
    instructions: '',
    language: 'auto',
    activeMode: 'always',
    timezone: 'UTC',
    businessHours: {},
    confidenceThreshold: DEFAULT_CONFIDENCE_THRESHOLD,
    handoffWords: [...DEFAULT_HANDOFF_WORDS],
    maxFailures: 2,
    citeSources: false,
    draftReplies: false,
    updatedAt: null,
  }
}

interface SettingsRow {
  channel_id: string
  enabled: boolean
  persona_name: string
  instructions: string
  language: AssistantLanguage
  active_mode: AssistantActiveMode
  timezone: string
  business_hours: BusinessHours
  confidence_threshold: string | number
  handoff_words: string[]
  max_failures: number
  cite_sources: boolean
  draft_replies: boolean
  updated_at: Date
}

function fromRow(row: SettingsRow): AssistantSettings {
  return {
    channelId: row.channel_id,
    enabled: row.enabled,
    personaName: row.persona_name,
    instructions: row.instructions,
    language: row.language,
    activeMode: row.active_mode,
    timezone: row.timezone,
    businessHours: row.business_hours ?? {},
    confidenceThreshold: Number(row.confidence_threshold),
    handoffWords: row.handoff_words ?? [],
    maxFailures: row.max_failures,
    citeSources: row.cite_sources ?? false,
    draftReplies: row.draft_replies ?? false,
    updatedAt: row.updated_at,
  }
}

/** Settings of some of the tenant's channels, by channel id (defaults where none were saved). */
export async function readAssistantSettingsOf(tenant: TenantContext, channelIds: string[]) {
  const rows = channelIds.length
    ? await tenant.transaction(
        (trx) =>
          trx.from('assistant_settings').whereIn('channel_id', channelIds) as Promise<SettingsRow[]>
      )
    : []
  const byId = new Map(rows.map((row) => [row.channel_id, fromRow(row)]))
  return new Map(channelIds.map((id) => [id, byId.get(id) ?? defaultAssistantSettings(id)]))
}

export async function readAssistantSettings(tenant: TenantContext, channelId: string) {
  const settings = await readAssistantSettingsOf(tenant, [channelId])
  return settings.get(channelId)!
}

/**
 * Saves a channel's settings (the caller has checked the channel is the
 * tenant's). Handoff words are stored trimmed, lower-cased and unique.
 */
export async function saveAssistantSettings(
  tenant: TenantContext,
  channelId: string,
  input: AssistantSettingsInput,
  byUserId: string | null
) {
  const words = [...new Set(input.handoffWords.map((w) => w.trim().toLowerCase()).filter(Boolean))]
  const row = {
    channel_id: channelId,
    enabled: input.enabled,
    persona_name: input.personaName.trim(),
    instructions: input.instructions.trim(),
    language: input.language,
    active_mode: input.activeMode,
    timezone: input.timezone,
    business_hours: JSON.stringify(input.businessHours),
    confidence_threshold: input.confidenceThreshold,
    handoff_words: words,
    max_failures: input.maxFailures,
    cite_sources: input.citeSources,
    draft_replies: input.draftReplies ?? false,
    updated_by_user_id: byUserId,
    updated_at: new Date(),
  }
  await tenant.transaction(async (trx) => {
    await trx
      .insertQuery()
      .table('assistant_settings')
      .insert(row)
      .knexQuery.onConflict('channel_id')
      .merge()
  })
  // Every process's kept set of enabled channels (assistantEnabledOn) is read again.
  await invalidateCentralCache()
  return readAssistantSettings(tenant, channelId)
}

export function isValidTimezone(zone: string) {
  return IANAZone.isValidZone(zone)
}

/** Whether `at` falls inside the business's hours, in the business's time zone. */
export function withinBusinessHours(settings: AssistantSettings, at = clock.now()) {
  const local = at.setZone(isValidTimezone(settings.timezone) ? settings.timezone : 'UTC')
  const hours = settings.businessHours[String(local.weekday)]
  if (!hours) return false
  const now = local.toFormat('HH:mm')
  return hours[0] <= now && now < hours[1]
}

/** Whether the channel's assistant answers at `at`: on, and (if so set) the business is closed. */
export function assistantActive(settings: AssistantSettings, at = clock.now()) {
  if (!settings.enabled) return false
  return settings.activeMode === 'always' || !withinBusinessHours(settings, at)
}

/**
 * The channels of each tenant with the assistant switched on, kept in
 * process memory under the central cache's version (app/cache/central_cache.ts):
 * saving a channel's settings raises it once the save has committed, so the
 * next message on every process sees the change. Staleness: none beyond an
 * event already being handed on while the save commits; if Redis cannot be
 * read nothing is kept, and if the version could not be raised the kept set
 * expires within 60 s all the same.
 */
const enabledChannels = new CentralCache<Set<string>>()

/**
 * Whether the assistant is switched on for a channel, so a workspace that
 * does not use the assistant pays no job per customer message. (The reply
 * job checks everything else.) One statement per tenant while the central
 * version holds, and inside a work batch one version read for the batch.
 */
export async function assistantEnabledOn(tenant: TenantContext, channelId: string) {
  const enabled = await enabledChannels.get(tenant.id, await centralVersion(), async () => {
    const result = await db.rawQuery(
      `select channel_id from ${tenant.table('assistant_settings')} where enabled`
    )
    return new Set<string>(result.rows.map((row: { channel_id: string }) => row.channel_id))
  })
  return !!enabled?.has(channelId)
}
