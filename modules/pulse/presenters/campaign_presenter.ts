import type Campaign from '../models/campaign.js'
import type { CampaignStats, RecipientRow } from '../services/campaign_service.js'
import { clockText } from '../services/campaign_schedule.js'

/** The API's campaign: `status` is one of the six public states (awaiting approval is a draft). */
export function presentCampaign(campaign: Campaign, stats: CampaignStats) {
  return {
    id: campaign.id,
    name: campaign.name,
    status: campaign.status === 'awaiting_approval' ? 'draft' : campaign.status,
    awaiting_approval: campaign.status === 'awaiting_approval',
    channel_id: campaign.channelId,
    template: {
      name: campaign.templateName,
      language: campaign.templateLanguage,
      variables: campaign.variables,
    },
    audience: campaign.audience,
    schedule_at: campaign.localAt
      ? campaign.localAt
      : (campaign.scheduleAt?.toUTC().toISO() ?? null),
    local_time: campaign.localTime,
    quiet_hours:
      campaign.quietStart === null || campaign.quietEnd === null
        ? null
        : { start: clockText(campaign.quietStart), end: clockText(campaign.quietEnd) },
    stats: {
      targeted: stats.targeted,
      skipped: stats.skipped,
      sent: stats.sent,
      delivered: stats.delivered,
      read: stats.read,
      replied: stats.replied,
      failed: stats.failed,
    },
    started_at: campaign.startedAt?.toUTC().toISO() ?? null,
    completed_at: campaign.completedAt?.toUTC().toISO() ?? null,
    created_at: campaign.createdAt.toUTC().toISO(),
  }
}

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null)

export function presentRecipient(row: RecipientRow) {
  return {
    id: String(row.id),
    contact_id: row.contact_id,
    phone: row.phone,
    status: row.status === 'accepted' || row.status === 'sending' ? 'queued' : row.status,
    skip_reason: row.skip_reason,
    error:
      row.error_code !== null || row.error_title
        ? { code: row.error_code, title: row.error_title, retryable: row.retryable }
        : null,
    cost_category: row.cost_category,
    sent_at: iso(row.sent_at),
    delivered_at: iso(row.delivered_at),
    read_at: iso(row.read_at),
    replied_at: iso(row.replied_at),
    failed_at: iso(row.failed_at),
    message_id: row.message_id,
  }
}

export const RECIPIENT_CSV_COLUMNS = [
  'contact_id',
  'phone',
  'status',
  'skip_reason',
  'error_code',
  'error_title',
  'cost_category',
  'sent_at',
  'delivered_at',
  'read_at',
  'replied_at',
  'failed_at',
] as const

function csvCell(value: unknown) {
  if (value === null || value === undefined) return ''
  let text = value instanceof Date ? value.toISOString() : String(value)
  // A cell a spreadsheet would run as a formula is quoted as text.
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function recipientCsvLine(row: RecipientRow) {
  const presented = presentRecipient(row)
  const values: Record<string, unknown> = {
    ...presented,
    error_code: row.error_code,
    error_title: row.error_title,
  }
  return RECIPIENT_CSV_COLUMNS.map((column) => csvCell(values[column])).join(',') + '\r\n'
}
