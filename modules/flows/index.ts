/*
| Flows owns guided conversations: versioned flow graphs (services/graph.ts
| is the format), their sessions on conversations, the runtime that runs
| them step by step through pulse's scheduler, and their pages and API; and
| the session booker (services, members' hours, slots, holds, bookings,
| their reminders and ICS feeds).
*/
import './permissions.js'
import './services/runtime.js'

export {
  NODE_TYPES,
  QUESTION_KINDS,
  WA_LIMITS,
  parseGraph,
  validateGraph,
  fillText,
  type FlowGraph,
  type FlowNode,
  type FlowEdge,
  type GraphProblem,
} from './services/graph.js'
export {
  FlowError,
  listFlows,
  findFlow,
  findFlowOrFail,
  createFlow,
  updateFlow,
  importGraph,
  publishFlow,
  setFlowStatus,
  flowStats,
  nodeStats,
  type Flow,
  type FlowInput,
  type FlowTriggers,
  type FlowStats,
} from './services/flow_service.js'
export {
  FlowSessionError,
  startSession,
  endSession,
  findSession,
  activeSessionOn,
  sessionsOfFlow,
  handleInbound,
  type FlowSession,
  type FlowCompletedEvent,
  type SessionSource,
  type SessionStatus,
} from './services/runtime.js'
export { registerFlowsListeners } from './listeners.js'

export const flowsPolicies = {
  FlowsPolicy: () => import('./policies/flows_policy.js'),
}

// ---- session booker ----
import './booking_events.js'
import './booking_permissions.js'
export { bookingPermissions } from './booking_permissions.js'
export type { BookingCreatedEvent, BookingCancelledEvent } from './booking_events.js'
export {
  BookingError,
  HOLD_MINUTES,
  listBookingServices,
  findBookingService,
  createBookingService,
  updateBookingService,
  memberHours,
  saveMemberHours,
  findSlots,
  holdSlot,
  holdOfferedSlots,
  offeredHolds,
  purgeExpiredHolds,
  bookSlot,
  findBooking,
  cancelBooking,
  rescheduleBooking,
  listBookings,
  upcomingBookingsOf,
  regenerateFeedToken,
  memberOfFeedToken,
  feedBookings,
  type Booking,
  type BookingServiceRecord,
  type Hold,
  type MemberHours,
  type ServiceInput,
} from './services/booking_service.js'
export { buildIcs, bookingUid, type IcsEvent } from './services/booking_ics.js'
export { bookingIcsPath, memberFeed } from './services/booking_calendar.js'
export {
  computeSlots,
  type Slot,
  type WeeklyHours,
  type MemberAvailability,
  type SlotRequest,
} from './services/booking_slots.js'
export const bookingPolicies = {
  BookingPolicy: () => import('./policies/booking_policy.js'),
}
export { registerBookingListeners } from './booking_listeners.js'
export { presentBooking } from './services/booking_presenter.js'
export {
  BOOKING_MESSAGE_KIND,
  REMINDER_OFFSETS,
  bookingMessageText,
  customerTime,
} from './services/booking_reminders.js'
export {
  handleBookingReply,
  isBookingReply,
  SLOT_ROW_PREFIX,
  type BookingReply,
} from './services/booking_replies.js'
export { answerBookingMessage } from './services/booking_inbound.js'
// ---- end session booker ----
