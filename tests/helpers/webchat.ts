import { addWebchatChannel } from '#modules/channels/index'
import { openWebchatChannel, startVisitorSession } from '#modules/channels/services/webchat_service'
import { systemActor } from '#modules/tenancy/index'
import type { Tenant } from '#modules/tenancy/index'
import { withoutPlan } from '#tests/helpers/tenants'

/**
 * A web chat channel of `tenant` and a visitor already in it, made through
 * the service (as the widget's first call would), so a test can go straight
 * to the visitor's endpoints.
 */
export async function webchatVisitor(tenant: Tenant, ip = '203.0.113.7') {
  // Usually the tenant's second channel: off its plan, whose limit is billing's test.
  await withoutPlan(tenant)
  const channel = await addWebchatChannel(tenant, { name: 'Website chat' }, systemActor)
  const target = await openWebchatChannel(channel.id)
  const { visitorToken } = await startVisitorSession(target, { name: 'Visitor' }, { ip })
  return { channel, visitorToken }
}
