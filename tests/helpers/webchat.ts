import { addWebchatChannel } from '#modules/channels/index'
import { openWebchatChannel, startVisitorSession } from '#modules/channels/services/webchat_service'
import { systemActor } from '#modules/tenancy/index'
import type { Tenant } from '#modules/tenancy/index'

/**
 * A web chat channel of `tenant` and a visitor already in it, made through
 * the service (as the widget's first call would), so a test can go straight
 * to the visitor's endpoints.
 */
export async function webchatVisitor(tenant: Tenant, ip = '203.0.113.7') {
  const channel = await addWebchatChannel(
    { ...tenant, planId: null },
    { name: 'Website chat' },
    systemActor
  )
  const target = await openWebchatChannel(channel.id)
  const { visitorToken } = await startVisitorSession(target, { name: 'Visitor' }, { ip })
  return { channel, visitorToken }
}
