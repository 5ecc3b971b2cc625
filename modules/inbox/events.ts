import emitter from '@adonisjs/core/services/emitter'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import { dispatchTenantJobInBatch, usableTenantContext } from '#modules/tenancy/index'
import { findTenantChannel, type MessageReceivedEvent } from '#modules/channels/index'
import { batchMemo, batchedWork } from '#app/queue/work_batch'
import { assignOnReply, markNeedsPerson } from './services/conversation_service.js'
import { closeLiveStreams, inboxTopic, publishLiveMany } from './services/live_updates.js'
import AutoAssignJob from './jobs/auto_assign_job.js'

/*
| The inbox module's typed events: contacts and conversations. Like the
| channels module's message events, payloads carry the tenant slug and ids,
| never records, and each is emitted after the transaction that made it
| true has committed. (Inbound processing in channels opens conversations
| and contacts and emits `conversation:created` and `contact:created`.)
*/

interface TenantEvent {
  /** The tenant's slug: pass it to dispatchTenantJob or findUsableTenant. */
  tenant: string
  tenantId: string
}

export interface ConversationCreatedEvent extends TenantEvent {
  conversationId: string
  contactId: string
  channelId: string
}

export interface ContactCreatedEvent extends TenantEvent {
  contactId: string
  source: string
}

/** Who did it: a member (user id), or the platform itself (auto-assignment, a job). */
interface ActorFields {
  byUserId: string | null
}

export interface ConversationAssignedEvent extends TenantEvent, ActorFields {
  conversationId: string
  /** Null when the conversation was unassigned. */
  assigneeId: string | null
  previousAssigneeId: string | null
}

export interface ConversationResolvedEvent extends TenantEvent, ActorFields {
  conversationId: string
}

/**
 * Anything else about a conversation a viewer sees changed: status (reopen,
 * pending, snooze and wake-up), labels, priority, read state, and its
 * owner (handed back from a person to the assistant).
 */
export interface ConversationUpdatedEvent extends TenantEvent, ActorFields {
  conversationId: string
  changes: Array<'status' | 'labels' | 'priority' | 'read' | 'snooze' | 'owner'>
}

export interface ContactUpdatedEvent extends TenantEvent, ActorFields {
  contactId: string
  /** The names of the fields that changed (e.g. 'name', 'tags', 'opt_in'). */
  changes: string[]
}

/** Someone (the assistant, the customer, the API) asked for a person to take over. */
export interface HandoffRequestedEvent extends TenantEvent {
  conversationId: string
  reason: string
  requestedBy: 'assistant' | 'contact' | 'api' | 'agent'
}

declare module '@adonisjs/core/types' {
  interface EventsList {
    'conversation:created': ConversationCreatedEvent
    'conversation:assigned': ConversationAssignedEvent
    'conversation:resolved': ConversationResolvedEvent
    'conversation:updated': ConversationUpdatedEvent
    'contact:created': ContactCreatedEvent
    'contact:updated': ContactUpdatedEvent
    'handoff:requested': HandoffRequestedEvent
  }
}

/**
 * The inbox module's own listeners: assignment on reply and round-robin for
 * new conversations, "needs a person" after a handoff, and the live notices
 * every inbox page refreshes on.
 */
export function registerInboxListeners() {
  // A member who replies to a handed-off conversation nobody took becomes its assignee.
  emitter.on('message:sent', async (event) => {
    if (event.authorType !== 'agent' || event.isNote || !event.authorId) return
    const tenant = await usableTenantContext(event.tenant)
    if (!tenant) return
    const channel = await findTenantChannel(tenant.id, event.channelId)
    await assignOnReply(
      tenant,
      event.conversationId,
      event.authorId,
      channel?.settings.assignOnReply !== false
    )
  })
  // New conversations on channels with round-robin on go to the next online member.
  // A channel with it off queues no job (a campaign opens thousands of
  // conversations a minute); the setting is read once per work batch.
  emitter.on('conversation:created', async (event) => {
    const autoAssign = await batchMemo(`inbox:auto-assign:${event.channelId}`, async () => {
      const channel = await findTenantChannel(event.tenantId, event.channelId)
      return channel?.settings.autoAssign === true
    })
    if (!autoAssign) return
    await dispatchTenantJobInBatch(
      AutoAssignJob,
      { slug: event.tenant },
      { conversationId: event.conversationId },
      { jobId: `assign-${event.tenant}-${event.conversationId}` }
    )
  })
  publishInboxNotices()
  // Open streams would hold the HTTP server's shutdown for ever.
  app.terminating(() => closeLiveStreams())
}

/**
 * Every change an inbox page shows becomes a notice on the workspace's live
 * topic (see services/live_updates.ts). A notice that cannot be published
 * (Redis down) costs an open page its refresh, never the change itself.
 */
function publishInboxNotices() {
  // Inside a work batch (the inbound hand-off, a batch of webhooks opening
  // conversations) the batch's notices go out in one round trip.
  const publishNotices = batchedWork<{ topic: string; payload: Record<string, unknown> }>(
    async (notices) => {
      await publishLiveMany(notices).catch((error) => {
        logger.warn({ err: error, notices: notices.length }, 'live inbox notices not published')
      })
    }
  )
  const notify = (event: TenantEvent & { conversationId?: string }, notice: LiveNotice) =>
    publishNotices({ topic: inboxTopic(event.tenantId), payload: { ...notice } })
  // A page refetches a conversation on its notice: inside the hand-off's work
  // batch one notice per conversation (its last message) is enough, and the
  // batch's notices go out in one round trip.
  const notifyReceived = batchedWork<MessageReceivedEvent>(async (events) => {
    const last = new Map<string, MessageReceivedEvent>()
    for (const e of events) last.set(e.conversationId, e)
    await publishLiveMany(
      [...last.values()].map((e) => ({
        topic: inboxTopic(e.tenantId),
        payload: { kind: 'message', conversationId: e.conversationId, messageId: e.messageId },
      }))
    ).catch((error) => {
      logger.warn({ err: error, notices: last.size }, 'live inbox notices not published')
    })
  })
  emitter.on('message:received', (e) => notifyReceived(e))
  emitter.on('message:sent', (e) =>
    notify(e, { kind: 'message', conversationId: e.conversationId, messageId: e.messageId })
  )
  emitter.on('message:status', (e) =>
    notify(e, { kind: 'status', conversationId: e.conversationId, messageId: e.messageId })
  )
  emitter.on('conversation:created', (e) =>
    notify(e, { kind: 'conversation', conversationId: e.conversationId })
  )
  emitter.on('conversation:assigned', (e) =>
    notify(e, { kind: 'assignment', conversationId: e.conversationId })
  )
  emitter.on('conversation:resolved', (e) =>
    notify(e, { kind: 'conversation', conversationId: e.conversationId })
  )
  emitter.on('conversation:updated', (e) =>
    notify(e, { kind: 'conversation', conversationId: e.conversationId })
  )
  emitter.on('contact:updated', (e) => notify(e, { kind: 'contact', contactId: e.contactId }))
  // Marked first, so the pages that refetch on the notice see "needs a person".
  emitter.on('handoff:requested', async (e) => {
    try {
      const tenant = await usableTenantContext(e.tenant)
      if (tenant) await markNeedsPerson(tenant, e.conversationId)
    } catch (error) {
      logger.error({ err: error, tenant: e.tenant }, 'marking a handoff as needing a person failed')
    }
    notify(e, { kind: 'handoff', conversationId: e.conversationId })
  })
}

/** What a live inbox notice says: what kind of thing changed, and which. */
export interface LiveNotice {
  kind: 'message' | 'status' | 'conversation' | 'assignment' | 'contact' | 'handoff'
  conversationId?: string
  messageId?: string
  contactId?: string
}
