import db from '@adonisjs/lucid/services/db'
import { recordAudit, type AuditActor, type TenantContext } from '#modules/tenancy/index'

/*
| The workspace's hitl settings (one row in the tenant schema; no row means
| the defaults): whether customers' quote PDFs on WhatsApp start the quote
| analyzer.
*/

export interface HitlSettings {
  analyzeWhatsAppQuotes: boolean
}

export async function hitlSettings(tenant: TenantContext): Promise<HitlSettings> {
  const row = await db.from('hitl_settings').withSchema(tenant.schema).where('id', 1).first()
  return { analyzeWhatsAppQuotes: Boolean(row?.analyze_whatsapp_quotes) }
}

export async function updateHitlSettings(
  tenant: TenantContext,
  settings: HitlSettings,
  actor: AuditActor
) {
  await db.rawQuery(
    `insert into ${tenant.table('hitl_settings')} (id, analyze_whatsapp_quotes, updated_at)
     values (1, ?, now())
     on conflict (id) do update set analyze_whatsapp_quotes = excluded.analyze_whatsapp_quotes,
       updated_at = now()`,
    [settings.analyzeWhatsAppQuotes]
  )
  await recordAudit(actor, {
    action: 'hitl.settings.updated',
    tenant: { id: tenant.id, slug: tenant.slug },
    subjectType: 'hitl_settings',
    metadata: { analyze_whatsapp_quotes: settings.analyzeWhatsAppQuotes },
  })
}
