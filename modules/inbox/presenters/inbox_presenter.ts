/*
| The inbox pages' view models: what the conversation list, a thread and a
| conversation's status bar show, built from the inbox services' rows for
| the Edge templates in views/inbox. Controllers call these and render.
*/
import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import { clock } from '#app/clock'
import { can, peopleNames } from '#modules/identity/index'
import { workspaceLayout } from '#modules/tenancy/index'
import type Conversation from '../models/conversation.js'
import type { Channel } from '#modules/channels/index'
import { channelsOf } from '#modules/channels/index'
import { annotateThread, assistantChannels, hasAssistant } from '../services/extensions.js'
import {
  INBOX_STATUSES,
  INBOX_VIEWS,
  inboxFiltersFrom,
  inboxLabels,
  inboxQuery,
  listInbox,
  threadPage,
  type InboxFilters,
  contactPanel,
} from '../services/inbox_service.js'
import { presentMessage, previewOf } from '../services/message_view.js'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { PRIORITIES, assignableMembers } from '../services/conversation_service.js'
import { snoozeUntilFrom } from '../validators/inbox_validator.js'

export type ChannelInfo = Pick<Channel, 'id' | 'type' | 'name' | 'status'>

export async function channelMap(ctx: HttpContext) {
  const channels = await channelsOf(ctx.tenant.id)
  return new Map<string, ChannelInfo>(channels.map((channel) => [channel.id, channel]))
}

export function channelFor(
  ctx: HttpContext,
  channels: Map<string, ChannelInfo>,
  id: string
): ChannelInfo {
  return (
    channels.get(id) ?? {
      id,
      type: 'whatsapp',
      name: ctx.i18n.t('inbox.channel_removed'),
      status: 'disabled',
    }
  )
}

/** Everything the conversation list shows: tabs with unread counts, rows, the next page. */
export async function listData(
  ctx: HttpContext,
  base: string,
  filters: InboxFilters,
  current: string | null
) {
  const userId = ctx.auth.user!.id
  const [page, labels, channels] = await Promise.all([
    listInbox(ctx.tenant, filters, userId),
    inboxLabels(ctx.tenant),
    channelMap(ctx),
  ])
  const [names, assisted] = await Promise.all([
    peopleNames(page.rows.map((row) => row.assigneeId)),
    assistantChannels(
      ctx.tenant,
      page.rows.map((row) => row.channelId)
    ),
  ])
  const t = (key: string, data?: Record<string, unknown>) => ctx.i18n.t(key, data)
  const query = inboxQuery(filters)
  const rows = page.rows
    .map((row) => ({
      ...row,
      href: `${base}/inbox/${row.id}${query}`,
      label: row.contact.name || row.contact.profileName || row.contact.phone || t('inbox.unnamed'),
      channel: channelFor(ctx, channels, row.channelId),
      preview: previewOf(row.last, t),
      when: shortWhen(ctx, row.activityAt),
      assignee: row.assigneeId ? (names.get(row.assigneeId) ?? t('inbox.former_member')) : null,
      current: row.id === current,
    }))
    .map((row) => {
      const owner = ownerOf(row, assisted.has(row.channelId))
      return { ...row, owner, ownerLabel: ownerLabel(ctx, owner, row.assignee) }
    })
  return {
    filters,
    rows,
    tabs: INBOX_VIEWS.map((view) => ({
      view,
      href: `${base}/inbox${inboxQuery(filters, { view })}`,
      unread: page.unread[view],
      current: filters.view === view,
    })),
    nextHref: page.nextCursor
      ? `${base}/inbox${inboxQuery(filters, { cursor: page.nextCursor })}`
      : null,
    firstHref: filters.cursor ? `${base}/inbox${query}` : null,
    listQuery: query.slice(1),
    listRefresh: refreshUrl(
      `${base}/inbox${inboxQuery(filters, { cursor: filters.cursor })}`,
      current
    ),
    labels,
    channels: [...channels.values()],
    statuses: INBOX_STATUSES,
    filtered: !!(filters.q || filters.label || filters.channel),
  }
}

/** A list row's time: the hour today, the weekday this week, else the date. */
export function shortWhen(ctx: HttpContext, at: Date) {
  const timeZone = ctx.auth.user!.timezone
  const then = DateTime.fromJSDate(at).setZone(timeZone)
  const now = clock.now().setZone(timeZone)
  if (then.hasSame(now, 'day')) {
    return ctx.i18n.formatDate(at, { hour: 'numeric', minute: '2-digit', timeZone })
  }
  if (now.diff(then, 'days').days < 6)
    return ctx.i18n.formatDate(at, { weekday: 'short', timeZone })
  return ctx.i18n.formatDate(at, { day: 'numeric', month: 'short', timeZone })
}

/** The list's own address, naming the conversation open beside it (to highlight it). */
export function refreshUrl(listUrl: string, current: string | null) {
  if (!current) return listUrl
  return `${listUrl}${listUrl.includes('?') ? '&' : '?'}current=${current}`
}

export async function threadData(
  ctx: HttpContext,
  base: string,
  conversation: Conversation,
  before: string | null
) {
  const page = await threadPage(ctx.tenant, conversation.id, before)
  const names = await peopleNames(page.messages.map((message) => message.authorId))
  // What other modules add to the thread (the assistant: its evidence for
  // its own messages, and whether it or a person has the conversation).
  const annotations = await annotateThread(ctx.tenant, {
    conversationId: conversation.id,
    messages: page.messages.map((m) => ({ id: m.id, authorType: m.authorType })),
    viewer: ctx.access,
  })
  const context = {
    base,
    locale: ctx.i18n.locale,
    t: (key: string, data?: Record<string, unknown>) => ctx.i18n.t(key, data),
    names,
    referenced: page.referenced,
  }
  return {
    ...annotations,
    messages: page.messages.map((message) => presentMessage(message, context)),
    earlierHref: page.earlierCursor
      ? `${base}/inbox/${conversation.id}?before=${page.earlierCursor}`
      : null,
    latestHref: before ? `${base}/inbox/${conversation.id}` : null,
  }
}

/**
 * Who has a conversation, at a glance: a named person (assigned), nobody
 * yet after a handoff ("needs a person"), the assistant (it answers on the
 * channel), or simply unassigned.
 */
export type Owner = 'person' | 'needs_person' | 'assistant' | 'unassigned'

export function ownerOf(
  conversation: { assigneeId: string | null; needsPerson: boolean },
  assistantOn: boolean,
  personReplied = false
): Owner {
  if (conversation.assigneeId) return 'person'
  if (conversation.needsPerson) return 'needs_person'
  if (assistantOn && !personReplied) return 'assistant'
  return 'unassigned'
}

export function ownerLabel(ctx: HttpContext, owner: Owner, assignee: string | null) {
  if (owner === 'person') return ctx.i18n.t('inbox.list.assigned_to', { name: assignee ?? '' })
  if (owner === 'unassigned') return ctx.i18n.t('inbox.list.unassigned')
  return ctx.i18n.t(`inbox.owner.${owner}`)
}

/**
 * The conversation's head: status, owner, and the hand-back button, which
 * appears as soon as the assistant hands off (refreshed live).
 */
export async function statusData(
  ctx: HttpContext,
  conversation: Conversation,
  filters: InboxFilters
) {
  const [names, assisted, annotations] = await Promise.all([
    peopleNames([conversation.assigneeId]),
    assistantChannels(ctx.tenant, [conversation.channelId]),
    annotateThread(ctx.tenant, { conversationId: conversation.id, messages: [] }),
  ])
  const assistantState = annotations.assistantState as { state: string } | undefined
  const listQuery = inboxQuery(filters).slice(1)
  const assignee = conversation.assigneeId
    ? (names.get(conversation.assigneeId) ?? ctx.i18n.t('inbox.former_member'))
    : null
  const owner = ownerOf(
    {
      assigneeId: conversation.assigneeId,
      needsPerson: !!conversation.needsPersonAt && !conversation.assigneeId,
    },
    assisted.has(conversation.channelId),
    assistantState?.state === 'human'
  )
  return {
    conversation,
    assignee,
    owner,
    ownerLabel: ownerLabel(ctx, owner, assignee),
    assistantState: assistantState ?? null,
    // With an assistant module present and the assistant off here, the page says so.
    assistantOff: hasAssistant() && !assisted.has(conversation.channelId),
    canManageAssistant: can(ctx.access, 'assistant.manage'),
    canReply: can(ctx.access, 'inbox.reply'),
    listQuery,
    base: workspaceLayout(ctx, 'inbox').base,
  }
}

/** What an action form did wrong, shown beside that form on the re-rendered page. */
export interface ActionError {
  field: string | null
  message: string
}

/** Everything a conversation's page shows: the list beside it, the thread, the status bar, the contact panel. */
export async function conversationPage(
  ctx: HttpContext,
  conversation: Conversation,
  options: ConversationPageOptions
) {
  const { access, tenant, auth } = ctx
  const layout = workspaceLayout(ctx, 'inbox')
  const filters = options.filters ?? (await inboxFiltersFrom(ctx.request.qs()))
  const [list, thread, panel, members, channels, status] = await Promise.all([
    listData(ctx, layout.base, filters, conversation.id),
    threadData(ctx, layout.base, conversation, options.before ?? null),
    contactPanel(tenant, conversation.contactId, conversation.id),
    assignableMembers(tenant),
    channelMap(ctx),
    statusData(ctx, conversation, filters),
  ])
  if (!panel) throw new lucidErrors.E_ROW_NOT_FOUND()
  const { contact } = panel
  const channel = channelFor(ctx, channels, conversation.channelId)
  const user = auth.user!
  const canReply = can(access, 'inbox.reply')
  const now = clock.now()
  // With the date: "next week" can be eight days away, the same weekday as "tomorrow".
  const formatWhen = (at: DateTime) =>
    ctx.i18n.formatDate(at.toJSDate(), {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: 'numeric',
      minute: '2-digit',
      timeZone: user.timezone,
    })
  return {
    ...layout,
    ...list,
    ...thread,
    ...status,
    swapList: false,
    conversation,
    contact,
    contactLabel:
      contact.name || contact.profileName || contact.phone || ctx.i18n.t('inbox.unnamed'),
    attributes: Object.entries(contact.attributes ?? {}).map(([key, value]) => ({
      key,
      value: typeof value === 'string' ? value : JSON.stringify(value),
    })),
    previous: panel.previous.map((row) => ({
      ...row,
      href: `${layout.base}/inbox/${row.id}`,
      channel: channelFor(ctx, channels, row.channelId),
    })),
    channel,
    // Web chat and the sandbox have no 24-hour rule.
    windowOpen: channel.type === 'whatsapp' ? conversation.isWindowOpen() : true,
    canReply,
    members,
    priorities: PRIORITIES,
    snoozeChoices: {
      hour: formatWhen(snoozeUntilFrom({ until: '1h' }, user.timezone, now)),
      tomorrow: formatWhen(snoozeUntilFrom({ until: 'tomorrow' }, user.timezone, now)),
      nextWeek: formatWhen(snoozeUntilFrom({ until: 'next_week' }, user.timezone, now)),
    },
    snoozeMin: now.setZone(user.timezone).plus({ minutes: 5 }).toFormat("yyyy-MM-dd'T'HH:mm"),
    threadRefresh: `${layout.base}/inbox/${conversation.id}`,
    actionError: options.error ?? null,
    notice: options.notice ?? null,
    errorFor: errorsByForm(options.error),
    // What was typed into the refused form (not `old`: that is the views' own helper).
    typed: {
      custom_until: options.error ? String(ctx.request.input('custom_until') ?? '') : '',
      add: options.error ? String(ctx.request.input('add') ?? '') : '',
    },
  }
}

export interface ConversationPageOptions {
  before?: string | null
  filters?: InboxFilters
  error?: ActionError
  notice?: string
}

/** Which form an action error belongs to, so the message shows beside it. */
export function errorsByForm(error: ActionError | undefined) {
  const forms: Record<string, string | null> = {
    assignee: null,
    priority: null,
    labels: null,
    snooze: null,
  }
  if (!error?.field) return forms
  const form = error.field === 'until' || error.field === 'custom_until' ? 'snooze' : error.field
  if (form in forms) forms[form] = error.message
  return forms
}
