import { createHash } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Tenant from '../models/tenant.js'
import { recordAudit, type AuditActor } from './audit_log_service.js'
import type { LogoMime } from './branding_logo.js'

export interface BrandingChanges {
  /** Empty or null goes back to the tenant's name. */
  displayName: string | null
  /** `#rrggbb`, or null for the product's colour. */
  primaryColor: string | null
  /** A logo that already passed `inspectLogo`. */
  logo?: { bytes: Buffer; mime: LogoMime } | null
}

/**
 * Saves a workspace's name, colour and (when given) new logo, and records
 * who changed what.
 */
export async function updateBranding(tenant: Tenant, changes: BrandingChanges, actor: AuditActor) {
  await db.transaction(async (trx) => {
    tenant.useTransaction(trx)
    const before = { displayName: tenant.displayName, primaryColor: tenant.primaryColor }
    tenant.displayName = changes.displayName?.trim() || null
    tenant.primaryColor = changes.primaryColor?.toLowerCase() || null
    if (changes.logo) {
      tenant.logoMime = changes.logo.mime
      tenant.logoUpdatedAt = DateTime.now()
    }
    await tenant.save()
    if (changes.logo) {
      await trx.from('tenants').where('id', tenant.id).update({ logo: changes.logo.bytes })
    }
    await recordAudit(
      actor,
      {
        action: 'branding.updated',
        tenant,
        subjectType: 'tenant',
        subjectId: tenant.id,
        metadata: {
          before,
          after: { displayName: tenant.displayName, primaryColor: tenant.primaryColor },
          logo: changes.logo ? { mime: changes.logo.mime, bytes: changes.logo.bytes.length } : null,
        },
      },
      trx
    )
  })
}

export async function removeLogo(tenant: Tenant, actor: AuditActor) {
  await db.transaction(async (trx) => {
    tenant.useTransaction(trx)
    tenant.logoMime = null
    tenant.logoUpdatedAt = null
    await tenant.save()
    await trx.from('tenants').where('id', tenant.id).update({ logo: null })
    await recordAudit(
      actor,
      { action: 'branding.logo_removed', tenant, subjectType: 'tenant', subjectId: tenant.id },
      trx
    )
  })
}

export interface StoredLogo {
  bytes: Buffer
  mime: string
  etag: string
}

/**
 * The logo's bytes, read only here (the Tenant model leaves them behind).
 */
export async function readLogo(tenantId: string): Promise<StoredLogo | null> {
  const row = await db.from('tenants').where('id', tenantId).select('logo', 'logo_mime').first()
  if (!row?.logo || !row.logo_mime) return null
  const bytes = Buffer.isBuffer(row.logo) ? row.logo : Buffer.from(row.logo)
  const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`
  return { bytes, mime: row.logo_mime, etag }
}
