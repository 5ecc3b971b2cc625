import { pageOfMessages, findTenantChannel } from '#modules/channels/index'
import {
  newerActiveConversation,
  pageOfConversations,
  conversationById,
  Conversation,
  ConversationError,
  assignConversation,
  importHistory,
  markConversationPending,
  normalizeLabels,
  reopenConversation,
  resolveConversation,
  setConversationLabels,
  setConversationPriority,
  snoozeConversation,
} from '#modules/inbox/index'
import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import { clock } from '#app/clock'
import type { TenantContext } from '#modules/tenancy/index'
import {
  ApiError,
  validateApiBody,
  validateApiQuery,
  pageBody,
  pageRequestFrom,
  idempotent,
  sendJson,
} from '#app/http/api/index'
import {
  presentConversation,
  presentConversationRow,
  presentMessage,
} from '../../services/api_presenters.js'
import {
  conversationListQuery,
  messageListQuery,
  updateConversationBody,
} from '../../validators/conversation_api_validator.js'
import { ingestBody } from '../../validators/ingest_api_validator.js'

/** How far ahead a conversation may be snoozed: the inbox's limit. */
const MAX_SNOOZE_DAYS = 365

/** The inbox's refusals, under the API's field names. */
const FIELD_NAMES: Record<string, string> = {
  assignee: 'assignee_id',
  until: 'snoozed_until',
  custom_until: 'snoozed_until',
  labels: 'labels',
  priority: 'priority',
}

/**
 * /api/v1/conversations. Changes go through the inbox's own services, so
 * an API client meets the same rules (one active conversation per contact
 * and channel, assignable members only) and the same events fire, with no
 * member as the actor. Lists walk the most recently updated first.
 */
export default class ConversationsApiController {
  async index(ctx: HttpContext) {
    const qs = ctx.request.qs()
    const page = pageRequestFrom(qs)
    const filters = await conversationFilters(ctx)
    const { rows, nextCursor } = await pageOfConversations(ctx.tenant, filters, page)
    return sendJson(ctx, 200, pageBody(rows.map(presentConversationRow), nextCursor))
  }

  async show(ctx: HttpContext) {
    const conversation = await findConversation(ctx.tenant, ctx.params.id)
    return sendJson(ctx, 200, presentConversation(conversation))
  }

  /**
   * Assigns, changes status, labels and priority in that order, each with
   * the inbox's service. Everything that can be refused is checked before
   * the first change, so a refused request changes nothing.
   */
  async update(ctx: HttpContext) {
    const { tenant } = ctx
    const conversation = await findConversation(tenant, ctx.params.id)
    const data = await validateApiBody(ctx, updateConversationBody)
    const labels = await asApiError(async () =>
      data.labels === undefined ? undefined : normalizeLabels(data.labels)
    )
    const until = snoozeUntil(data.status, data.snoozed_until)
    if (data.status && data.status !== 'resolved') await assertNoNewer(tenant, conversation)

    await asApiError(async () => {
      if (data.assignee_id !== undefined) {
        await assignConversation(tenant, conversation.id, data.assignee_id, null)
      }
      if (data.status === 'open') await reopenConversation(tenant, conversation.id, null)
      if (data.status === 'pending') await markConversationPending(tenant, conversation.id, null)
      if (data.status === 'resolved') await resolveConversation(tenant, conversation.id, null)
      if (data.status === 'snoozed') await snoozeConversation(tenant, conversation.id, until!, null)
      if (labels !== undefined) await setConversationLabels(tenant, conversation.id, labels, null)
      if (data.priority !== undefined) {
        await setConversationPriority(tenant, conversation.id, data.priority, null)
      }
    })
    return sendJson(ctx, 200, presentConversation(await findConversation(tenant, conversation.id)))
  }

  /**
   * GET /conversations/:id/messages in the customer's order, oldest first
   * (the order of reading), or newest first with `order=desc`: WhatsApp's
   * timestamp, not arrival, since Meta delivers webhooks out of order.
   * Internal notes are included and marked `is_note`.
   */
  async messages(ctx: HttpContext) {
    const conversation = await findConversation(ctx.tenant, ctx.params.id)
    const page = pageRequestFrom(ctx.request.qs())
    const { order = 'asc' } = await validateApiQuery(ctx, messageListQuery)
    const { rows, nextCursor } = await pageOfMessages(ctx.tenant, conversation.id, {
      direction: order,
      page,
    })
    return sendJson(ctx, 200, pageBody(rows.map(presentMessage), nextCursor))
  }

  /**
   * POST /conversations/ingest: history from another system, never sent.
   * Answers 201 when anything was added, 200 when all of it was already
   * here, listing each message as created or skipped.
   */
  async ingest(ctx: HttpContext) {
    return idempotent(ctx, async () => {
      const data = await validateApiBody(ctx, ingestBody)
      const channel = await findTenantChannel(ctx.tenant.id, data.channel_id)
      if (!channel) {
        throw new ApiError(422, 'validation_failed', 'The request is invalid', {
          channel_id: ['No such channel in this workspace'],
        })
      }
      const result = await importHistory(ctx.tenant, {
        contact: { phone: data.contact.phone, name: data.contact.name ?? null },
        channelId: channel.id,
        messages: data.messages.map((message) => ({
          externalId: message.external_id,
          direction: message.direction,
          text: message.text,
          sentAt: DateTime.fromISO(message.sent_at, { setZone: true }),
        })),
      })
      const created = result.messages.filter((message) => message.created).length
      return {
        status: created ? 201 : 200,
        body: {
          contact_id: result.contactId,
          contact_created: result.contactCreated,
          conversation_id: result.conversationId,
          conversation_created: result.conversationCreated,
          created,
          skipped: result.messages.length - created,
          messages: result.messages.map((message) => ({
            external_id: message.externalId,
            id: message.id,
            status: message.created ? 'created' : 'skipped',
          })),
        },
      }
    })
  }
}

async function findConversation(tenant: TenantContext, id: string) {
  const conversation = await conversationById(tenant, id)
  if (!conversation) throw new ApiError(404, 'not_found', 'No such conversation')
  return conversation
}

/**
 * A resolved conversation comes back only while its contact has no other
 * active one on the channel: checked before any change, so the assignment
 * of the same request is not made and then left behind by a 409 (the
 * service checks again under its lock).
 */
async function assertNoNewer(tenant: TenantContext, conversation: Conversation) {
  if (conversation.status !== 'resolved') return
  const newer = await newerActiveConversation(tenant, conversation)
  if (newer) {
    throw new ApiError(
      409,
      'newer_conversation',
      'This contact has a newer conversation on this channel that is still open; continue there'
    )
  }
}

/** The snooze time a status change needs, checked as the inbox checks it. */
function snoozeUntil(status: string | undefined, raw: string | undefined) {
  const refuse = (message: string): never => {
    throw new ApiError(422, 'invalid_snooze', message, { snoozed_until: [message] })
  }
  if (status !== 'snoozed') {
    if (raw !== undefined) refuse('Give snoozed_until only with status "snoozed"')
    return null
  }
  if (raw === undefined) refuse('Say until when to snooze (snoozed_until)')
  const until = DateTime.fromISO(raw!, { setZone: true })
  const now = clock.now()
  if (until <= now) refuse('Choose a time in the future to snooze until')
  if (until > now.plus({ days: MAX_SNOOZE_DAYS })) {
    refuse(`Snooze for at most ${MAX_SNOOZE_DAYS} days`)
  }
  return until
}

/** Runs inbox services, turning their refusals into the API's errors. */
async function asApiError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (!(error instanceof ConversationError)) throw error
    if (error.status === 404) throw new ApiError(404, 'not_found', 'No such conversation')
    const field = error.field ? (FIELD_NAMES[error.field] ?? error.field) : null
    throw new ApiError(
      error.status,
      error.code!,
      error.message,
      field ? { [field]: [error.message] } : undefined
    )
  }
}

async function conversationFilters(ctx: HttpContext) {
  const query = await validateApiQuery(ctx, conversationListQuery)
  return {
    status: query.status ?? null,
    assignee: query.assignee?.toLowerCase() ?? null,
    label: query.label ?? null,
    channelId: query.channel_id ?? null,
    contactId: query.contact_id ?? null,
    updatedSince: (query.updated_since as unknown as DateTime | undefined) ?? null,
  }
}
