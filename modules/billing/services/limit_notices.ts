import { findTenant } from '#modules/tenancy/index'
import db from '@adonisjs/lucid/services/db'
import mail from '@adonisjs/mail/services/main'
import env from '#start/env'
import { ownersOf, translatorFor } from '#modules/identity/index'
import type { LimitUsage } from './usage_service.js'

/**
 * Mails the owners that a limit reached a threshold (80 or 100 percent),
 * once per limit, threshold and month: the notice row is claimed first and
 * only the caller that inserts it sends, so concurrent creations and
 * repeated jobs send one e-mail. Reaching 100% at once claims 80% too and
 * sends the 100% e-mail alone.
 */
export async function sendLimitNotices(
  tenantId: string,
  usage: LimitUsage,
  thresholds: number[],
  period: string
) {
  const claimed: Array<{ threshold: number }> = await db
    .insertQuery()
    .table('usage_notices')
    .insert(
      thresholds.map((threshold) => ({
        tenant_id: tenantId,
        metric: usage.limit,
        period,
        threshold,
      }))
    )
    .knexQuery.onConflict(['tenant_id', 'metric', 'period', 'threshold'])
    .ignore()
    .returning('threshold')
  if (!claimed.length) return
  const threshold = Math.max(...claimed.map((row) => Number(row.threshold)))
  const tenant = await findTenant(tenantId)
  if (!tenant) return
  const workspace = tenant.displayName || tenant.name
  const link = `${env.get('APP_URL', 'http://localhost:3333')}/t/${tenant.slug}`
  for (const owner of await ownersOf(tenantId)) {
    const t = translatorFor(owner.locale)
    const limitName = t(`billing.usage.limits.${usage.limit}`)
    const figures = {
      used: formatFigure(usage.limit, usage.used),
      allowed: formatFigure(usage.limit, usage.allowed ?? 0),
    }
    const data = {
      link,
      locale: owner.locale,
      text: {
        body: t(`billing.usage.mail.body_${threshold}`, {
          limit: limitName,
          workspace,
          ...figures,
        }),
        next: t(`billing.usage.mail.next_${threshold}`),
        action: t('billing.usage.mail.action'),
      },
    }
    await mail.sendLater((message) => {
      message
        .to(owner.email)
        .subject(t(`billing.usage.mail.subject_${threshold}`, { limit: limitName, workspace }))
        .htmlView('billing::emails/limit_notice', data)
        .textView('billing::emails/limit_notice_text', data)
    })
  }
}

/** Knowledge reads in MB (one decimal); the others are counts. */
export function formatFigure(limit: string, value: number) {
  if (limit !== 'knowledge_bytes') return String(value)
  return `${(value / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MB`
}
