import emitter from '@adonisjs/core/services/emitter'
import { dispatchTenantJobInBatch, usableTenantContext } from '#modules/tenancy/index'
import { registerUsageMeter } from '#modules/billing/index'
import { channelsInUse, findTenantChannel } from './services/channel_service.js'
import { assignOnReply, markNeedsPerson } from './services/conversation_service.js'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import { closeLiveStreams, inboxTopic, publishLiveMany } from './services/live_updates.js'
import { batchedWork } from '#app/queue/work_batch'
import ApplyKeywordsJob from './jobs/apply_keywords_job.js'
import AutoAssignJob from './jobs/auto_assign_job.js'
import FetchMediaJob from './jobs/fetch_media_job.js'
import { scheduleTemplateSync } from './jobs/sync_all_templates_job.js'
import type { MessageStatus } from './models/message.js'
import { INBOUND_QUEUE } from './services/inbound_queue.js'
import { mayBeKeyword } from './services/opt_out_service.js'
import { startInboundRecovery } from './jobs/inbound_recovery_job.js'

const MEDIA_TYPES = ['image', 'audio', 'video', 'document', 'sticker']

/*
| The channels module's typed events. Payloads carry the tenant slug and ids,
| never records: a listener reads what it needs, as it is when it runs (and
| usually hands the work to a job of its own). The one exception is an
| inbound message's text, which listeners decide on before they queue work.
| Every event is emitted after the transaction that made it true has
| committed, so a listener that reads the row finds it.
*/

interface TenantEvent {
  /** The tenant's slug: pass it to dispatchTenantJob or findUsableTenant. */
  tenant: string
  tenantId: string
}

/**
 * An inbound message handed downstream, in the order WhatsApp stamped the
 * messages of its conversation. Delivery is at least once: after a worker
 * crash the last batch may be emitted again, so listeners key their work on
 * `messageId` (a job id, a unique row).
 */
export interface MessageReceivedEvent extends TenantEvent {
  messageId: string
  externalId: string | null
  conversationId: string
  contactId: string
  channelId: string
  type: string
  /** The message's text as stored (a text's body, a tapped button's title, a caption), or null. */
  text: string | null
  providerTimestamp: string | null
}

/** An outbound message's delivery status moved forward (never backwards). */
export interface MessageStatusEvent extends TenantEvent {
  messageId: string
  externalId: string
  conversationId: string
  status: MessageStatus
  previousStatus: MessageStatus
  errorCode: number | null
  errorTitle: string | null
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

/**
 * An outbound message (or an internal note) was written to a conversation:
 * by an agent in the inbox, the assistant, the API or a campaign. Emitted
 * when the row exists; delivery progress follows as `message:status`.
 */
export interface MessageSentEvent extends TenantEvent {
  messageId: string
  conversationId: string
  contactId: string
  channelId: string
  type: string
  isNote: boolean
  authorType: 'agent' | 'assistant' | 'system'
  authorId: string | null
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
 * pending, snooze and wake-up), labels, priority, read state.
 */
export interface ConversationUpdatedEvent extends TenantEvent, ActorFields {
  conversationId: string
  changes: Array<'status' | 'labels' | 'priority' | 'read' | 'snooze'>
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
    'message:received': MessageReceivedEvent
    'message:sent': MessageSentEvent
    'message:status': MessageStatusEvent
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
 * The channels module's own listeners: wherever a worker pool works the
 * inbound queue, the recovery sweep for stored-but-unqueued webhooks runs
 * beside it.
 */
export function registerChannelsListeners() {
  // Billing counts channels through the module that owns them.
  registerUsageMeter('channels', channelsInUse)
  // Every text-like inbound message short enough to be an opt-out/opt-in
  // keyword is read for them in a job of its own (one per message, so a
  // redelivered event adds nothing). Longer ones, most of them, need no job.
  // Media is copied into tenant storage before WhatsApp's links expire.
  // Inside the hand-off's work batch these jobs are queued with the batch's others.
  emitter.on('message:received', async (event) => {
    if (!MEDIA_TYPES.includes(event.type)) return
    await dispatchTenantJobInBatch(
      FetchMediaJob,
      { slug: event.tenant },
      { messageId: event.messageId },
      { jobId: `media-${event.tenant}-${event.messageId}` }
    )
  })
  emitter.on('message:received', async (event) => {
    if (!['text', 'button', 'interactive'].includes(event.type) || !mayBeKeyword(event.text)) {
      return
    }
    await dispatchTenantJobInBatch(
      ApplyKeywordsJob,
      { slug: event.tenant },
      { messageId: event.messageId },
      { jobId: `keywords-${event.tenant}-${event.messageId}` }
    )
  })
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
  emitter.on('conversation:created', async (event) => {
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
  // Schedules live in Redis for the whole cluster: a pool stopping leaves them to the others.
  emitter.on('queue:started', async ({ queues }) => {
    if (queues.includes(INBOUND_QUEUE)) await startInboundRecovery()
    // Only real worker processes keep the template schedule; the test suite's pools do not.
    if (queues.includes('default') && !app.inTest) await scheduleTemplateSync()
  })
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
