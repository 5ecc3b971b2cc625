import { can } from '#modules/identity/index'
import { conversationById, type ThreadAnnotator } from '#modules/inbox/index'
import { activeEnrollmentsOf, contactTimeline, listSequences } from './sequence_service.js'

/**
 * The inbox thread shows the contact's sequence timeline: what is next (and
 * when), and what ran, was skipped (and why), or ended the sequence.
 */
export const annotateSequenceThread: ThreadAnnotator = async (tenant, thread) => {
  if (!thread.viewer || !can(thread.viewer, 'campaigns.view')) return {}
  const conversation = await conversationById(tenant, thread.conversationId)
  if (!conversation) return {}
  const timeline = await contactTimeline(tenant, conversation.contactId)
  const manage = can(thread.viewer, 'campaigns.manage')
  const enrolled = await activeEnrollmentsOf(tenant, conversation.contactId)
  const sequences = manage ? await listSequences(tenant) : []
  const active = sequences.filter((s) => s.status === 'active')
  const inIds = new Set(enrolled.map((e) => e.sequenceId))
  if (!timeline.upcoming.length && !timeline.past.length && !active.length) return {}
  const show = (entry: (typeof timeline.past)[number]) => ({
    when: entry.at.toUTC().toFormat("yyyy-MM-dd HH:mm 'UTC'"),
    iso: entry.at.toUTC().toISO(),
    sequence: entry.sequenceName,
    kind: entry.kind,
    type: String(entry.detail.type ?? ''),
    reason: String(entry.detail.reason ?? ''),
  })
  return {
    threadPanels: [
      {
        view: 'pulse::sequences/thread_panel',
        upcoming: timeline.upcoming.slice(0, 5).map(show),
        past: timeline.past.slice(0, 12).map(show),
        manage,
        contactId: conversation.contactId,
        conversationId: conversation.id,
        enrolledIn: active.filter((s) => inIds.has(s.id)).map((s) => ({ id: s.id, name: s.name })),
        canEnroll: active.filter((s) => !inIds.has(s.id)).map((s) => ({ id: s.id, name: s.name })),
      },
    ],
  }
}
