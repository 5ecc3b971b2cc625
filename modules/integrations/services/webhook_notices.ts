import { findTenant, type TenantContext } from '#modules/tenancy/index'
import env from '#start/env'
import mail from '@adonisjs/mail/services/main'
import { ownerAccounts, translatorFor } from '#modules/identity/index'
import type WebhookSubscription from '../models/webhook_subscription.js'

/**
 * Tells a workspace's owners that we turned a webhook off, in each owner's
 * language, with a link to its page (where the reason shows too). Their
 * n8n or Zapier flow has stopped receiving events: that is worth an e-mail.
 */
export async function notifyOwnersOfDisabledWebhook(
  tenant: TenantContext,
  subscription: WebhookSubscription
) {
  const workspace = await findTenant(tenant.id)
  const owners = await ownerAccounts(tenant.id)
  const link = `${env.get('APP_URL', 'http://localhost:3333')}/t/${tenant.slug}/settings/webhooks/${subscription.id}`
  for (const user of owners) {
    const t = translatorFor(user.locale)
    const data = {
      link,
      locale: user.locale,
      text: {
        greeting: t('webhooks.disabled_mail.greeting'),
        body: t(`webhooks.disabled_mail.body_${subscription.disabledReason ?? 'failing'}`, {
          url: subscription.url,
          workspace: workspace?.name ?? tenant.slug,
        }),
        action: t('webhooks.disabled_mail.action'),
        after: t('webhooks.disabled_mail.after'),
      },
    }
    await mail.sendLater((message) => {
      message
        .to(user.email)
        .subject(t('webhooks.disabled_mail.subject', { workspace: workspace?.name ?? tenant.slug }))
        .htmlView('integrations::webhooks/emails/disabled', data)
        .textView('integrations::webhooks/emails/disabled_text', data)
    })
  }
}
