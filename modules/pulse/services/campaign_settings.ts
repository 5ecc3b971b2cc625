import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'

/**
 * The workspace's campaign rules, set by owners and admins:
 * `allowUnknownConsent` lets a campaign (that asks for it) send marketing to
 * contacts never asked for consent; `requireApproval` sends every campaign
 * through an owner's approval task before it launches.
 */
export interface CampaignSettings {
  allowUnknownConsent: boolean
  requireApproval: boolean
}

export const CAMPAIGN_SETTINGS_DEFAULTS: CampaignSettings = {
  allowUnknownConsent: false,
  requireApproval: false,
}

function settingsOf(row: Record<string, any> | undefined): CampaignSettings {
  if (!row) return { ...CAMPAIGN_SETTINGS_DEFAULTS }
  return {
    allowUnknownConsent: row.allow_unknown_consent === true,
    requireApproval: row.require_approval === true,
  }
}

export async function readCampaignSettings(tenant: TenantContext): Promise<CampaignSettings> {
  const result = await db.rawQuery(
    `select allow_unknown_consent, require_approval
       from ${tenant.table('campaign_settings')} where id = 1`
  )
  return settingsOf(result.rows[0])
}

/** The same, inside a tenant transaction (its search path is the tenant's schema). */
export async function campaignSettingsIn(trx: TransactionClientContract) {
  const result = await trx.rawQuery(
    `select allow_unknown_consent, require_approval from campaign_settings where id = 1`
  )
  return settingsOf(result.rows[0])
}

export async function saveCampaignSettings(tenant: TenantContext, input: CampaignSettings) {
  await db.rawQuery(
    `insert into ${tenant.table('campaign_settings')}
       (id, allow_unknown_consent, require_approval, updated_at)
     values (1, ?, ?, now())
     on conflict (id) do update set allow_unknown_consent = excluded.allow_unknown_consent,
       require_approval = excluded.require_approval, updated_at = now()`,
    [input.allowUnknownConsent, input.requireApproval]
  )
}
