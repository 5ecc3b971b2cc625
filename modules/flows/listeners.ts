import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import { clock } from '#app/clock'
import { usableTenantContext } from '#modules/tenancy/index'
import { registerAssistantHold } from '#modules/brain/index'
import { publishEvent } from '#modules/integrations/index'
import { findFlow } from './services/flow_service.js'
import { conversationById } from '#modules/inbox/index'
import {
  findSession,
  flowHolds,
  handleInbound,
  liveSessionOn,
  pauseSession,
  personHas,
  resumeSession,
} from './services/runtime.js'
import { presentSession } from './presenters/flow_presenter.js'
import { registerFlowNodeListeners } from './services/runtime_nodes.js'

/**
 * The flows module's listeners: a customer's message goes to the flow
 * running on its conversation (or may start one), and the assistant stays
 * silent on what a flow holds; a person taking the conversation (assigned,
 * or an agent writing) pauses its flow, and handing it back (unassigned,
 * or back to the assistant) resumes it; completion is published as the
 * `flow.completed` webhook event.
 */
export function registerFlowsListeners() {
  const safely = (what: string, work: () => Promise<unknown>) =>
    work().catch((error) => logger.error({ err: error }, `flows: ${what} failed`))

  registerAssistantHold(flowHolds)
  registerFlowNodeListeners()

  emitter.on('message:received', (event) =>
    safely('inbound message', async () => {
      const tenant = await usableTenantContext(event.tenant)
      if (tenant) await handleInbound(tenant, event, clock.now())
    })
  )
  const personTakes = async (slug: string, conversationId: string, reason: string) => {
    const tenant = await usableTenantContext(slug)
    if (!tenant) return
    const session = await liveSessionOn(tenant, conversationId)
    if (session?.status === 'active') await pauseSession(tenant, session.id, reason, clock.now())
  }
  // Handed back: nobody assigned and the assistant's again (inbox's
  // unassign, or its "hand back to the assistant", which announces 'owner').
  const handedBack = async (slug: string, conversationId: string) => {
    const tenant = await usableTenantContext(slug)
    if (!tenant) return
    const session = await liveSessionOn(tenant, conversationId)
    if (session?.status !== 'paused') return
    const conversation = await conversationById(tenant, conversationId)
    if (!conversation || (await personHas(tenant, conversation))) return
    await resumeSession(tenant, session.id, clock.now())
  }
  emitter.on('conversation:assigned', (event) =>
    safely('assignment', async () => {
      if (event.assigneeId) {
        await personTakes(event.tenant, event.conversationId, 'person_took_over')
      } else if (event.previousAssigneeId) {
        await handedBack(event.tenant, event.conversationId)
      }
    })
  )
  emitter.on('conversation:updated', (event) =>
    safely('hand back', async () => {
      if (event.changes.includes('owner')) await handedBack(event.tenant, event.conversationId)
    })
  )
  emitter.on('message:sent', (event) =>
    safely('agent reply', async () => {
      if (event.authorType === 'agent' && !event.isNote) {
        await personTakes(event.tenant, event.conversationId, 'person_replied')
      }
    })
  )
  emitter.on('flow:completed', (event) =>
    safely('flow.completed webhook', async () => {
      const tenant = await usableTenantContext(event.tenant)
      if (!tenant) return
      const session = await findSession(tenant, event.sessionId)
      if (!session) return
      const flow = await findFlow(tenant, session.flowId)
      await publishEvent(tenant, 'flow.completed', `flow.completed:${session.id}`, async () =>
        presentSession(session, flow ? { name: flow.name, version: flow.version } : undefined)
      )
    })
  )
}
