import logger from '@adonisjs/core/services/logger'
import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import Channel from '../models/channel.js'
import { syncTemplates } from '../services/template_service.js'

interface Payload extends TenantJobPayload {
  channelId: string
}

/**
 * Syncs one WhatsApp number's templates in the background (on demand from
 * the workspace, and on a schedule). Safe to run twice: a sync is an upsert.
 */
export default class SyncTemplatesJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { channelId }: Payload) {
    const channel = await Channel.query()
      .where('id', channelId)
      .where('tenant_id', tenant.id)
      .where('type', 'whatsapp')
      .where('status', 'active')
      .first()
    if (!channel) return
    const result = await syncTemplates(tenant, channel)
    if (result.changed.length) {
      logger.info(
        { tenant: tenant.slug, channel: channel.id, changed: result.changed },
        'template statuses changed'
      )
    }
  }
}
