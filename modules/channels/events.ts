import emitter from '@adonisjs/core/services/emitter'
import { dispatchTenantJobInBatch } from '#modules/tenancy/index'
import { registerUsageMeter } from '#modules/billing/index'
import { channelsInUse } from './services/channel_service.js'
import app from '@adonisjs/core/services/app'
import ApplyKeywordsJob from './jobs/apply_keywords_job.js'
import FetchMediaJob from './jobs/fetch_media_job.js'
import { scheduleTemplateSync } from './jobs/sync_all_templates_job.js'
import type { MessageStatus } from './models/message.js'
import { INBOUND_QUEUE } from './services/queue_names.js'
import { mayBeKeyword } from './services/opt_out_service.js'
import { startInboundRecovery } from './jobs/inbound_recovery_job.js'

const MEDIA_TYPES = ['image', 'audio', 'video', 'document', 'sticker']

/*
| The channels module's typed events: messages in and out (the inbox
| module's events.ts holds those of contacts and conversations). Payloads carry the tenant slug and ids,
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
  /** WhatsApp's `pricing` of the status webhook (its category: marketing, utility, …), when given. */
  pricing?: { category: string | null; billable: boolean | null } | null
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

/**
 * An inbound message's file was copied into the tenant's storage (see
 * FetchMediaJob): listeners that read files (the quote analyzer reads PDFs)
 * start here, not at `message:received`, when the file is not there yet.
 * At least once: a job run twice may emit it twice.
 */
export interface MediaStoredEvent extends TenantEvent {
  messageId: string
  conversationId: string
  contactId: string
  channelId: string
  mimeType: string
  filename: string | null
}

/**
 * A team member wrote to the business number from their own WhatsApp number
 * (identity's membersByWhatsApp): an internal request, never stored as a
 * customer's message or conversation. Listeners (the data engine's search
 * by message) answer through `sendDirectWhatsApp`. At least once: key work
 * on `externalId` (the wamid).
 */
export interface MemberMessageEvent extends TenantEvent {
  channelId: string
  userId: string
  /** The member's wa_id, where answers go. */
  waId: string
  externalId: string
  /** The text, or a tapped button's or list row's title. */
  text: string | null
  /** The id of the list row or button tapped, when the message was one. */
  choiceId: string | null
  locale: string | null
}

declare module '@adonisjs/core/types' {
  interface EventsList {
    'member:message': MemberMessageEvent
    'message:received': MessageReceivedEvent
    'message:media_stored': MediaStoredEvent
    'message:sent': MessageSentEvent
    'message:status': MessageStatusEvent
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
  // Schedules live in Redis for the whole cluster: a pool stopping leaves them to the others.
  emitter.on('queue:started', async ({ queues }) => {
    if (queues.includes(INBOUND_QUEUE)) await startInboundRecovery()
    // Only real worker processes keep the template schedule; the test suite's pools do not.
    if (queues.includes('default') && !app.inTest) await scheduleTemplateSync()
  })
}
