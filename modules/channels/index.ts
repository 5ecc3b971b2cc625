/*
| Channels (the WhatsApp Engine) owns contacts, conversations and messages,
| the WhatsApp Cloud API, web chat and sandbox channels, and the team inbox.
*/
import './permissions.js'
import Contact from './models/contact.js'
import Channel from './models/channel.js'
import Conversation from './models/conversation.js'
import Message from './models/message.js'
import WebhookEvent from './models/webhook_event.js'

export { Contact, Channel, Conversation, Message, WebhookEvent }
export type { ChannelType, ChannelSettings } from './models/channel.js'
export type { ConversationStatus, ConversationPriority } from './models/conversation.js'
export type { MessageDirection, MessageStatus, MessageMedia } from './models/message.js'
export { STATUS_RANK } from './models/message.js'
export { CUSTOMER_WINDOW_HOURS } from './models/conversation.js'
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
  removeChannel,
  type ChannelUpdate,
  type ChannelSecrets,
} from './services/channel_service.js'
export {
  ContactError,
  createContact,
  updateContact,
  deleteContact,
  findContact,
  listContacts,
  type NewContact,
  type ContactDetails,
} from './services/contact_service.js'
export { normalizeE164 } from './validators/phone_rule.js'

export const channelsPolicies = {
  ChannelsPolicy: () => import('./policies/channels_policy.js'),
  ContactsPolicy: () => import('./policies/contacts_policy.js'),
  InboxPolicy: () => import('./policies/inbox_policy.js'),
  TemplatesPolicy: () => import('./policies/templates_policy.js'),
  SandboxPolicy: () => import('./policies/sandbox_policy.js'),
  MediaPolicy: () => import('./policies/media_policy.js'),
  CannedResponsesPolicy: () => import('./policies/canned_responses_policy.js'),
}
export {
  registerChannelsListeners,
  type MessageReceivedEvent,
  type MessageStatusEvent,
  type ConversationCreatedEvent,
  type ContactCreatedEvent,
  type MessageSentEvent,
  type ConversationAssignedEvent,
  type ConversationResolvedEvent,
  type ConversationUpdatedEvent,
  type ContactUpdatedEvent,
  type HandoffRequestedEvent,
} from './events.js'
export { applyPendingStatuses } from './services/inbound_statuses.js'
export { autoAssignConversation } from './services/auto_assignment.js'
export {
  registerAssignmentGate,
  registerThreadAnnotator,
  registerAssistantProbe,
  type AssignmentGate,
  type ThreadAnnotator,
  type ThreadShown,
  type ThreadMessageRef,
} from './services/extensions.js'
export { INBOUND_QUEUE } from './services/inbound_queue.js'
export { inboxFigures, type InboxFigures } from './services/inbox_service.js'
export {
  pruneProcessedWebhookEvents,
  sweepUnprocessedWebhookEvents,
} from './services/inbound_recovery.js'
export {
  queueOutboundMessage,
  type OutboundRequest,
  type PlannedMessage,
} from './services/outbound_service.js'
export { contactForSend, conversationForSend } from './services/conversation_opening.js'
export {
  importHistory,
  type HistoryImport,
  type HistoryImportResult,
} from './services/history_import.js'
export {
  checkOutboundContent,
  toGraphMessage,
  type OutboundContent,
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
  ConversationError,
  assignConversation,
  resolveConversation,
  reopenConversation,
  markConversationPending,
  snoozeConversation,
  setConversationLabels,
  editConversationLabels,
  setConversationPriority,
  markConversationRead,
  normalizeLabels,
  clearNeedsPerson,
} from './services/conversation_service.js'
