'use strict'

/*
| Labelled output fields per record, so a Zap's mapping reads "Contact
| phone" and "Event ID" instead of Zapier's flattened "Data Phone" and "ID".
| A trigger's record is the resource's own fields with the event's id, type
| and time beside them (see lib/events.js).
*/

const f = (key, label, type = 'string') => ({ key, label, type })

const event = [
  f('event_id', 'Event ID'),
  f('event_type', 'Event type'),
  f('event_created_at', 'Event time', 'datetime'),
]

const contact = [
  f('id', 'Contact ID'),
  f('phone', 'Phone'),
  f('wa_id', 'WhatsApp ID'),
  f('name', 'Name'),
  f('profile_name', 'WhatsApp profile name'),
  f('email', 'E-mail'),
  f('tags[]', 'Tags'),
  f('notes', 'Notes'),
  f('opt_in', 'Opt-in'),
  f('opted_out_at', 'Opted out at', 'datetime'),
  f('source', 'Source'),
  f('created_at', 'Created at', 'datetime'),
  f('updated_at', 'Updated at', 'datetime'),
]

const conversation = [
  f('id', 'Conversation ID'),
  f('contact_id', 'Contact ID'),
  f('channel_id', 'Channel ID'),
  f('status', 'Status'),
  f('assignee_id', 'Assignee ID'),
  f('labels[]', 'Labels'),
  f('priority', 'Priority'),
  f('unread_count', 'Unread messages', 'integer'),
  f('last_message_at', 'Last message at', 'datetime'),
  f('resolved_at', 'Resolved at', 'datetime'),
  f('created_at', 'Created at', 'datetime'),
  f('updated_at', 'Updated at', 'datetime'),
]

const message = [
  f('id', 'Message ID'),
  f('conversation_id', 'Conversation ID'),
  f('contact_id', 'Contact ID'),
  f('channel_id', 'Channel ID'),
  f('direction', 'Direction'),
  f('type', 'Type'),
  f('body', 'Text'),
  f('status', 'Status'),
  f('error_code', 'Error code'),
  f('error_title', 'Error'),
  f('author_type', 'Author type'),
  f('external_id', 'WhatsApp message ID'),
  f('sent_at', 'Sent at', 'datetime'),
  f('delivered_at', 'Delivered at', 'datetime'),
  f('read_at', 'Read at', 'datetime'),
  f('created_at', 'Created at', 'datetime'),
]

const knowledgeSource = [
  f('id', 'Source ID'),
  f('kind', 'Kind'),
  f('title', 'Title'),
  f('status', 'Status'),
  f('error_code', 'Error code'),
  f('version', 'Version', 'integer'),
  f('live_version', 'Live version', 'integer'),
  f('url', 'URL'),
  f('file_name', 'File name'),
  f('chunk_count', 'Passages', 'integer'),
  f('created_at', 'Created at', 'datetime'),
  f('updated_at', 'Updated at', 'datetime'),
]

const task = [
  f('id', 'Task ID'),
  f('kind', 'Kind'),
  f('title', 'Title'),
  f('status', 'Status'),
  f('priority', 'Priority'),
  f('contact_id', 'Contact ID'),
  f('conversation_id', 'Conversation ID'),
  f('response__decision', 'Decision'),
  f('response__reason', 'Reason'),
  f('response__comment', 'Comment'),
  f('created_at', 'Created at', 'datetime'),
  f('resolved_at', 'Resolved at', 'datetime'),
]

const handoff = [
  f('id', 'Conversation ID'),
  f('reason', 'Reason'),
  f('requested_by', 'Requested by'),
  f('conversation__contact_id', 'Contact ID'),
  f('conversation__channel_id', 'Channel ID'),
  f('conversation__status', 'Conversation status'),
]

const campaign = [
  f('id', 'Campaign ID'),
  f('name', 'Name'),
  f('status', 'Status'),
  f('channel_id', 'Channel ID'),
  f('template__name', 'Template'),
  f('stats__targeted', 'Targeted', 'integer'),
  f('stats__skipped', 'Skipped', 'integer'),
  f('stats__sent', 'Sent', 'integer'),
  f('stats__delivered', 'Delivered', 'integer'),
  f('stats__read', 'Read', 'integer'),
  f('stats__replied', 'Replied', 'integer'),
  f('stats__failed', 'Failed', 'integer'),
  f('started_at', 'Started at', 'datetime'),
  f('completed_at', 'Completed at', 'datetime'),
]

const enrollment = [
  f('id', 'Enrollment ID'),
  f('sequence_id', 'Sequence ID'),
  f('sequence_name', 'Sequence'),
  f('contact_id', 'Contact ID'),
  f('status', 'Status'),
  f('source', 'Enrolled by'),
  f('exit_reason', 'Exit reason'),
  f('enrolled_at', 'Enrolled at', 'datetime'),
  f('ended_at', 'Ended at', 'datetime'),
]

const checkin = [
  f('id', 'Check-in ID'),
  f('plan__name', 'Plan'),
  f('contact__id', 'Contact ID'),
  f('contact__name', 'Contact name'),
  f('contact__phone', 'Contact phone'),
  f('day', 'Day'),
  f('answer', 'Answer'),
  f('answer_index', 'Answer number', 'integer'),
  f('answered_at', 'Answered at', 'datetime'),
]

const renewal = [
  f('id', 'Reminder ID'),
  f('rule__name', 'Rule'),
  f('contact__id', 'Contact ID'),
  f('contact__name', 'Contact name'),
  f('contact__phone', 'Contact phone'),
  f('field', 'Date field'),
  f('date', 'Date'),
  f('offset_days', 'Days from the date', 'integer'),
  f('status', 'Status'),
  f('renewal_status', 'Renewal status'),
  f('task_id', 'Task ID'),
  f('ran_at', 'Ran at', 'datetime'),
]

const booking = [
  f('id', 'Booking ID'),
  f('service_id', 'Service ID'),
  f('member_id', 'Team member ID'),
  f('contact_id', 'Contact ID'),
  f('start', 'Starts at', 'datetime'),
  f('end', 'Ends at', 'datetime'),
  f('time_zone', 'Customer time zone'),
  f('local_start', 'Start in the customer’s zone'),
  f('status', 'Status'),
  f('cancelled_by', 'Cancelled by'),
  f('cancelled_at', 'Cancelled at', 'datetime'),
]

const flowSession = [
  f('id', 'Session ID'),
  f('flow_id', 'Flow ID'),
  f('flow_name', 'Flow'),
  f('contact_id', 'Contact ID'),
  f('conversation_id', 'Conversation ID'),
  f('status', 'Status'),
  f('source', 'Started by'),
  f('started_at', 'Started at', 'datetime'),
  f('ended_at', 'Ended at', 'datetime'),
]

module.exports = {
  booking,
  event,
  contact,
  conversation,
  message,
  knowledgeSource,
  handoff,
  task,
  campaign,
  enrollment,
  checkin,
  renewal,
  flowSession,
}
