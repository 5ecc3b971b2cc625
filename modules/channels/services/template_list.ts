import { DateTime } from 'luxon'
import type { TenantContext } from '#modules/tenancy/index'
import type Channel from '../models/channel.js'
import MessageTemplate from '../models/message_template.js'

/*
| The templates page's list: each WhatsApp number with its templates as last
| synced, filtered by number, status and a search over name and text.
*/

export const TEMPLATE_STATUSES = [
  'APPROVED',
  'PENDING',
  'REJECTED',
  'PAUSED',
  'DISABLED',
  'DELETED',
] as const

export interface TemplateFilters {
  channelId: string
  status: string
  q: string
}

export function templateFiltersFrom(
  qs: Record<string, unknown>,
  channels: Array<Pick<Channel, 'id'>>
): TemplateFilters {
  const channelId = typeof qs.channel === 'string' ? qs.channel : ''
  const status = typeof qs.status === 'string' ? qs.status.toUpperCase() : ''
  return {
    channelId: channels.some((channel) => channel.id === channelId) ? channelId : '',
    status: (TEMPLATE_STATUSES as readonly string[]).includes(status) ? status : '',
    q: typeof qs.q === 'string' ? qs.q.trim().slice(0, 200) : '',
  }
}

export interface TemplateRow {
  id: string
  name: string
  language: string
  category: string
  status: string
  previousStatus: string | null
  statusChangedAt: DateTime | null
  rejectedReason: string | null
  syncedAt: DateTime | null
  header: string | null
  body: string
  footer: string | null
  buttons: string[]
}

export interface TemplateGroup {
  channel: Channel
  templates: TemplateRow[]
  /** When the number's templates were last brought up to date. */
  lastSyncedAt: DateTime | null
}

const MAX_PER_NUMBER = 500

function textOf(components: Array<Record<string, any>>, type: string) {
  const found = components.find((c) => String(c.type).toUpperCase() === type)
  return typeof found?.text === 'string' ? found.text : null
}

export function templateRow(template: MessageTemplate): TemplateRow {
  const components = Array.isArray(template.components) ? template.components : []
  const buttons = components.find((c) => String(c.type).toUpperCase() === 'BUTTONS')
  const header = components.find((c) => String(c.type).toUpperCase() === 'HEADER')
  return {
    id: template.id,
    name: template.name,
    language: template.language,
    category: template.category,
    status: template.status,
    previousStatus: template.previousStatus,
    statusChangedAt: template.statusChangedAt,
    rejectedReason: template.rejectedReason,
    syncedAt: template.syncedAt,
    header:
      header && String(header.format ?? 'TEXT').toUpperCase() !== 'TEXT'
        ? `[${String(header.format).toLowerCase()}]`
        : (header?.text ?? null),
    body: textOf(components, 'BODY') ?? '',
    footer: textOf(components, 'FOOTER'),
    buttons: (Array.isArray(buttons?.buttons) ? buttons.buttons : [])
      .map((button: any) => (typeof button?.text === 'string' ? button.text : ''))
      .filter(Boolean),
  }
}

/**
 * The numbers (all, or the one filtered on) with their templates. Deleted
 * templates are listed only when asked for by status.
 */
export async function listTemplates(
  tenant: TenantContext,
  channels: Channel[],
  filters: TemplateFilters
): Promise<TemplateGroup[]> {
  const shown = filters.channelId
    ? channels.filter((channel) => channel.id === filters.channelId)
    : channels
  if (!shown.length) return []
  return tenant.transaction(async (trx) => {
    const groups: TemplateGroup[] = []
    for (const channel of shown) {
      const query = MessageTemplate.query({ client: trx })
        .where('channel_id', channel.id)
        .orderBy('name')
        .orderBy('language')
        .limit(MAX_PER_NUMBER)
      if (filters.status) query.where('status', filters.status)
      else query.whereNot('status', 'DELETED')
      if (filters.q) {
        const like = `%${filters.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
        query.where((where) =>
          where.whereILike('name', like).orWhereRaw('components::text ilike ?', [like])
        )
      }
      const templates = await query
      const last = await trx
        .from('message_templates')
        .where('channel_id', channel.id)
        .max('synced_at as at')
        .first()
      const lastSyncedAt = last?.at ? DateTime.fromJSDate(new Date(last.at)) : null
      groups.push({ channel, templates: templates.map(templateRow), lastSyncedAt })
    }
    return groups
  })
}
