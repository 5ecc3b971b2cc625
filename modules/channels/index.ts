/*
| Channels (the WhatsApp Engine) owns transport: WhatsApp Cloud API intake
| and sending, web chat, the sandbox phone, templates, media, opt-out, and
| the messages they carry. Contacts, conversations and the team inbox are
| the inbox module's.
*/
import './permissions.js'
import Channel from './models/channel.js'
import Message from './models/message.js'
import WebhookEvent from './models/webhook_event.js'

export { Channel, Message, WebhookEvent }
export type { ChannelType, ChannelSettings } from './models/channel.js'
export type { MessageDirection, MessageStatus, MessageMedia } from './models/message.js'
export { STATUS_RANK } from './models/message.js'
export { ChannelError } from './services/channel_errors.js'
export {
  addWhatsAppChannel,
  addSandboxChannel,
  addWebchatChannel,
  updateWebchatChannel,
  type WebchatSettingsInput,
  channelsOf,
  findTenantChannel,
  findWhatsAppChannel,
  type WhatsAppChannelInput,
} from './services/channel_service.js'
export {
  updateChannel,
  rotateChannelSecrets,
  setChannelStatus,
  setChannelAssignment,
  type ChannelAssignment,
  removeChannel,
  type ChannelUpdate,
  type ChannelSecrets,
} from './services/channel_service.js'

export const channelsPolicies = {
  ChannelsPolicy: () => import('./policies/channels_policy.js'),
  TemplatesPolicy: () => import('./policies/templates_policy.js'),
  SandboxPolicy: () => import('./policies/sandbox_policy.js'),
  MediaPolicy: () => import('./policies/media_policy.js'),
}
export {
  registerChannelsListeners,
  type MessageReceivedEvent,
  type MessageStatusEvent,
  type MessageSentEvent,
  type MediaStoredEvent,
  type MemberMessageEvent,
} from './events.js'
export {
  sandboxChannelOf,
  sandboxConversationOf,
  defaultCustomer as defaultSandboxCustomer,
} from './services/sandbox_service.js'
export { sendDirectWhatsApp } from './services/direct_send.js'
export { storedMediaOf, inboundPdfsOf, type StoredMedia } from './services/media_service.js'
export { applyPendingStatuses } from './services/inbound_statuses.js'
export { INBOUND_QUEUE } from './services/inbound_queue.js'
export {
  pruneProcessedWebhookEvents,
  sweepUnprocessedWebhookEvents,
} from './services/inbound_recovery.js'
export {
  queueOutboundMessage,
  type OutboundRequest,
  type PlannedMessage,
} from './services/outbound_service.js'
export {
  checkOutboundContent,
  toGraphMessage,
  LIMITS,
  type OutboundContent,
  type ListCard,
} from './services/outbound_content.js'
export { default as MessageTemplate, type TemplateCategory } from './models/message_template.js'
export {
  syncTemplates,
  submitTemplate,
  checkNewTemplate,
  countBodyVariables,
  type NewTemplate,
  type SyncResult,
} from './services/template_service.js'
export { default as SyncTemplatesJob } from './jobs/sync_templates_job.js'
export {
  applyKeywords,
  normalizeKeyword,
  DEFAULT_OPT_OUT_WORDS,
} from './services/opt_out_service.js'
export { default as SyncAllTemplatesJob } from './jobs/sync_all_templates_job.js'
export {
  registerWebchatListeners,
  openWebchatChannel,
  webchatTopic,
} from './services/webchat_service.js'
export {
  pageOfMessages,
  pageOfTemplates,
  messageIn,
  latestMessage,
  contactMessagesSince,
  messageById,
  conversationMessagesIn,
  messagesByExternalIdsIn,
  approvedTemplatesOf,
  approvedTemplateOf,
  templateRecipientsSince,
  storeNoteIn,
  type TemplatePageFilters,
} from './services/message_pages.js'
export { lastOutboundAtSql } from './services/message_times.js'
export { pacedRate } from './services/send_pacing.js'
export {
  sendTemplateBatch,
  settleInDoubt,
  type TemplateBatchSend,
  type TemplateBatchOutcome,
} from './services/template_batch.js'
