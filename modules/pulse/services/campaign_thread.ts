import { can } from '#modules/identity/index'
import type { ThreadAnnotator } from '#modules/inbox/index'

/**
 * The inbox thread names the campaigns whose messages it shows, and whether
 * the customer replied to each (within 72 hours), so a reply is read as an
 * answer to that broadcast.
 */
export const annotateCampaignThread: ThreadAnnotator = async (tenant, thread) => {
  if (!thread.viewer || !can(thread.viewer, 'campaigns.view')) return {}
  const ids = thread.messages.filter((m) => m.authorType === 'system').map((m) => m.id)
  if (!ids.length) return {}
  const result = await tenant.transaction((trx) =>
    trx.rawQuery(
      `select c.id, c.name, r.message_id, r.replied_at from campaign_recipients r
         join campaigns c on c.id = r.campaign_id
        where r.message_id = any(?::uuid[]) order by r.sent_at`,
      [ids]
    )
  )
  const campaigns = result.rows as Array<{
    id: string
    name: string
    message_id: string
    replied_at: Date | null
  }>
  if (!campaigns.length) return {}
  return {
    threadPanels: [
      {
        view: 'pulse::campaigns/thread_panel',
        campaigns: campaigns.map((row) => ({
          id: row.id,
          name: row.name,
          messageId: row.message_id,
          replied: row.replied_at !== null,
        })),
      },
    ],
  }
}
