/*
| Inbox owns the people and the talk: contacts, conversations and their
| assignment (round-robin, availability), the team inbox with its composer
| and canned responses, and the live updates its pages refresh on. Messages
| themselves travel through the channels module.
*/
import './permissions.js'
import Contact from './models/contact.js'
import Conversation from './models/conversation.js'
import CannedResponse from './models/canned_response.js'

import ContactField from './models/contact_field.js'

export { Contact, Conversation, CannedResponse, ContactField }
export { LANGUAGE_TAG, isTimeZone, guessLocale } from './services/contact_locale.js'
export {
  listContactFields,
  attributeProblemText,
  CONTACT_FIELD_TYPES,
  type ContactFieldType,
} from './services/contact_field_service.js'
export type { ConversationStatus, ConversationPriority } from './models/conversation.js'
export { CUSTOMER_WINDOW_HOURS } from './models/conversation.js'
export {
  ContactError,
  createContact,
  updateContact,
  deleteContact,
  findContact,
  listContacts,
  contactCount,
  recordKeywordConsent,
  withdrawMarketingConsent,
  ContactAttributesError,
  CONSENT_SOURCES,
  type ConsentSource,
  type NewContact,
  type ContactDetails,
} from './services/contact_service.js'
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
export { autoAssignConversation } from './services/auto_assignment.js'
export {
  contactsOfSenders,
  activeConversationsFor,
  lockConversations,
  countInboundMessages,
  channelHasConversations,
  numberTalksElsewhere,
  recentContactsOn,
  createVisitorContact,
  followedConversation,
  markWindowClosed,
  type InboundSender,
} from './services/intake_service.js'
export {
  registerAssignmentGate,
  registerThreadAnnotator,
  registerAssistantProbe,
  assistantOffOn,
  type AssignmentGate,
  type ThreadAnnotator,
  type ThreadShown,
  type ThreadPanel,
  type ThreadMessageRef,
} from './services/extensions.js'
export { inboxFigures, type InboxFigures } from './services/inbox_service.js'
export {
  contactForSend,
  contactsForSend,
  conversationForSend,
  conversationsForSendMany,
  type ContactToSend,
} from './services/conversation_opening.js'
export {
  importHistory,
  type HistoryImport,
  type HistoryImportResult,
} from './services/history_import.js'
export { publishLive, publishLiveMany, streamLive, inboxTopic } from './services/live_updates.js'
export {
  registerInboxListeners,
  type ConversationCreatedEvent,
  type ContactCreatedEvent,
  type ConversationAssignedEvent,
  type ConversationResolvedEvent,
  type ConversationUpdatedEvent,
  type ContactUpdatedEvent,
  type HandoffRequestedEvent,
  type LiveNotice,
} from './events.js'

export const inboxPolicies = {
  ContactsPolicy: () => import('./policies/contacts_policy.js'),
  InboxPolicy: () => import('./policies/inbox_policy.js'),
  CannedResponsesPolicy: () => import('./policies/canned_responses_policy.js'),
}
export {
  pageOfContacts,
  findContactByPhone,
  pageOfConversations,
  conversationById,
  newerActiveConversation,
  contactIn,
  conversationIn,
  contactById,
  lastConversationOfContact,
  contactByWaIdIn,
  currentConversationIn,
  latestContact,
  latestConversation,
  type ContactPageFilters,
  type ConversationPageFilters,
} from './services/inbox_pages.js'
export {
  FILTER_OPS,
  MAX_CONDITIONS,
  checkContactFilter,
  compileContactFilter,
  contactAudienceSql,
  matchContacts,
  opsFor,
  pageOfMatchingContacts,
  type ContactFilter,
  type FilterCondition,
  type FilterOp,
  type FilterProblem,
  type MatchingContact,
  type AudienceRow,
} from './services/contact_filter.js'
export {
  ContactImportError,
  findContactImport,
  findContactImportOrFail,
  importErrorsPage,
  runContactImport,
  startContactImport,
  uploadContactImport,
  MAX_IMPORT_BYTES,
  type ContactImport,
  type ImportOptions,
} from './services/contact_import_service.js'
export { guessMapping, normalizePhone } from './services/contact_import_rows.js'
export { default as ImportContactsJob } from './jobs/import_contacts_job.js'
export { contactsCsv, csvLine, type ExportSelection } from './services/contact_export.js'
