import type { HttpContext } from '@adonisjs/core/http'
import { ApiError, idempotent, sendJson, validateApiBody } from '#app/http/api/index'
import { contactById, conversationForSend, lastConversationOfContact } from '#modules/inbox/index'
import { findFlow, flowStats, listFlows } from '../../services/flow_service.js'
import { FlowSessionError, startSession } from '../../services/runtime.js'
import { presentFlow, presentSession } from '../../presenters/flow_presenter.js'
import { startSessionBody } from '../../validators/flow_api_validator.js'

/**
 * /api/v1/flows and /api/v1/flows/:id/sessions. Another tenant's flow or
 * contact is simply not found.
 */
export default class FlowsApiController {
  async index(ctx: HttpContext) {
    const flows = await listFlows(ctx.tenant)
    const stats = await flowStats(
      ctx.tenant,
      flows.map((f) => f.id)
    )
    return sendJson(ctx, 200, {
      data: flows.map((flow) => presentFlow(flow, stats.get(flow.id))),
      next_cursor: null,
    })
  }

  async start(ctx: HttpContext) {
    const flow = await findFlow(ctx.tenant, ctx.params.id)
    if (!flow) throw new ApiError(404, 'not_found', 'No such flow')
    return idempotent(ctx, async () => {
      const data = await validateApiBody(ctx, startSessionBody)
      const contact = await contactById(ctx.tenant, data.contact_id)
      if (!contact) {
        throw new ApiError(422, 'contact_not_found', 'No such contact', {
          contact_id: ['No such contact'],
        })
      }
      // The contact's conversation on their latest channel is where the flow talks.
      const conversation = await latestConversation(ctx, contact.id)
      if (!conversation) {
        throw new ApiError(
          409,
          'no_conversation',
          'The contact has no conversation to run the flow in'
        )
      }
      try {
        const session = await startSession(ctx.tenant, flow, {
          conversationId: conversation.id,
          contactId: contact.id,
          source: 'api',
          variables: data.variables ?? {},
        })
        if (!session) throw new ApiError(409, 'session_active', 'The flow did not start')
        return { status: 201, body: presentSession(session, flow) }
      } catch (error) {
        if (error instanceof FlowSessionError) {
          throw new ApiError(error.status, error.code, error.message)
        }
        throw error
      }
    })
  }
}

async function latestConversation(ctx: HttpContext, contactId: string) {
  const last = await lastConversationOfContact(ctx.tenant, contactId)
  if (!last) return null
  const opened = await conversationForSend(ctx.tenant, contactId, last.channelId)
  return opened?.conversation ?? null
}
