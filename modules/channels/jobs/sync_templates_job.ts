import logger from '@adonisjs/core/services/logger'
import {
  TenantJob,
  contextFor,
  findUsableTenant,
  type TenantContext,
  type TenantJobPayload,
} from '#modules/tenancy/index'
import Channel from '../models/channel.js'
import { syncTemplates, TemplateSyncError } from '../services/template_service.js'
import { recordTemplateSync } from '../services/template_sync_service.js'

interface Payload extends TenantJobPayload {
  channelId: string
  /** Set for "Sync now" from the workspace: the template_syncs row to report to. */
  syncId?: string
}

/**
 * Syncs one WhatsApp number's templates in the background (on demand from
 * the workspace, and on a schedule). Safe to run twice: a sync is an upsert.
 * WhatsApp refusing the list (an expired token, a wrong account) fails the
 * same way on every try, so it is reported at once, not retried; a throttle
 * or an outage is retried with backoff.
 */
export default class SyncTemplatesJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { channelId, syncId }: Payload) {
    const channel = await Channel.query()
      .where('id', channelId)
      .where('tenant_id', tenant.id)
      .where('type', 'whatsapp')
      .where('status', 'active')
      .first()
    if (!channel) {
      if (syncId) {
        await recordTemplateSync(tenant, syncId, {
          status: 'failed',
          error: 'This number is no longer active',
        })
      }
      return
    }
    if (syncId) await recordTemplateSync(tenant, syncId, { status: 'running' })
    let result
    try {
      result = await syncTemplates(tenant, channel)
    } catch (error) {
      const retry = !(error instanceof TemplateSyncError) || error.retryable
      const message = error instanceof Error ? error.message : String(error)
      if (syncId) {
        await recordTemplateSync(tenant, syncId, {
          status: retry ? 'running' : 'failed',
          error: message,
        })
      }
      if (retry) throw error
      logger.warn({ tenant: tenant.slug, channel: channel.id, err: error }, 'template sync refused')
      return
    }
    if (syncId) {
      await recordTemplateSync(tenant, syncId, {
        status: 'done',
        total: result.total,
        changed: result.changed.length,
      })
    }
    if (result.changed.length) {
      logger.info(
        { tenant: tenant.slug, channel: channel.id, changed: result.changed },
        'template statuses changed'
      )
    }
  }

  /** Out of retries: the person who asked sees WhatsApp's last answer. */
  async rescue({ tenant: slug, syncId }: Payload, error: Error) {
    if (!syncId) return
    const tenant = await findUsableTenant(slug)
    if (!tenant) return
    await recordTemplateSync(contextFor(tenant), syncId, { status: 'failed', error: error.message })
  }
}
