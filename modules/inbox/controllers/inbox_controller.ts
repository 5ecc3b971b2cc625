import type { HttpContext } from '@adonisjs/core/http'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { DateTime } from 'luxon'
import { clock } from '#app/clock'
import { can } from '#modules/identity/index'
import { workspaceLayout } from '#modules/tenancy/index'
import type Conversation from '../models/conversation.js'
import type { Channel } from '#modules/channels/index'
import { channelsOf } from '#modules/channels/index'
import { annotateThread, assistantChannels, hasAssistant } from '../services/extensions.js'
import {
  ConversationError,
  MAX_LABELS,
  MAX_LABEL_LENGTH,
  MAX_SNOOZE_DAYS,
  PRIORITIES,
  assignConversation,
  assignableMembers,
  editConversationLabels,
  findConversation,
  findConversationOrFail,
  isUuid,
  markConversationPending,
  markConversationRead,
  reopenConversation,
  resolveConversation,
  setConversationPriority,
  snoozeConversation,
} from '../services/conversation_service.js'
import {
  INBOX_STATUSES,
  INBOX_VIEWS,
  contactPanel,
  inboxFiltersFrom,
  inboxLabels,
  inboxQuery,
  listInbox,
  needsPersonCount,
  peopleNames,
  threadPage,
  type InboxFilters,
} from '../services/inbox_service.js'
import { presentMessage, previewOf } from '../services/message_view.js'
import {
  assigneeFrom,
  labelsFrom,
  priorityFrom,
  snoozeUntilFrom,
} from '../validators/inbox_validator.js'
import { isHtmx, wantsFragment } from '#app/http/htmx'

/** What an action form did wrong, shown beside that form on the re-rendered page. */
interface ActionError {
  field: string | null
  message: string
}

type ChannelInfo = Pick<Channel, 'id' | 'type' | 'name' | 'status'>

/**
 * The team inbox: the conversation list, one conversation with its thread
 * and contact, and what members do to a conversation (assign, resolve,
 * reopen, pending, snooze, labels, priority). Viewers see everything and
 * change nothing.
 */
export default class InboxController {
  async index(ctx: HttpContext) {
    const { bouncer, request, view, access } = ctx
    await bouncer.with('InboxPolicy').authorize('view', access)
    const filters = inboxFiltersFrom(request.qs())
    const layout = workspaceLayout(ctx, filters.view === 'needs_person' ? 'needs_person' : 'inbox')
    const current = isUuid(request.qs().current) ? request.qs().current : null
    const list = await listData(ctx, layout.base, filters, current)
    if (wantsFragment(request, 'inbox-list')) {
      return view.render('inbox::inbox/list', { base: layout.base, ...list, swapList: true })
    }
    return view.render('inbox::inbox/index', {
      ...layout,
      ...list,
      swapList: true,
      canReply: can(access, 'inbox.reply'),
    })
  }

  /** The navigation's "Needs a person" count: a bare number, empty when none. */
  async needsPerson(ctx: HttpContext) {
    const { bouncer, access, tenant, response } = ctx
    await bouncer.with('InboxPolicy').authorize('view', access)
    const count = await needsPersonCount(tenant)
    response.header('Cache-Control', 'no-store')
    // 200 even when empty: htmx leaves the old number in place on a 204.
    response.status(200)
    return count ? ctx.i18n.formatNumber(count) : ''
  }

  async show(ctx: HttpContext) {
    const { bouncer, request, view, access, params, tenant, auth } = ctx
    await bouncer.with('InboxPolicy').authorize('view', access)
    const conversation = await findConversationOrFail(tenant, params.id)
    const base = workspaceLayout(ctx, 'inbox').base
    const before = typeof request.qs().before === 'string' ? request.qs().before : null

    // Reading it is what clears the unread badge; a viewer looking on leaves it for the team.
    if (can(access, 'inbox.reply') && !before) {
      await markConversationRead(tenant, conversation.id, auth.user!.id)
      conversation.unreadCount = 0
    }

    if (wantsFragment(request, 'inbox-thread') || wantsFragment(request, 'inbox-earlier')) {
      const thread = await threadData(ctx, base, conversation, before)
      const template = wantsFragment(request, 'inbox-earlier') ? 'earlier' : 'thread'
      return view.render(`inbox::inbox/${template}`, { base, conversation, ...thread })
    }
    if (wantsFragment(request, 'inbox-conversation-status')) {
      return view.render('inbox::inbox/status', await statusData(ctx, conversation))
    }
    return renderConversation(ctx, conversation, { before })
  }

  async assign(ctx: HttpContext) {
    return act(ctx, async (conversation) => {
      const assigneeId = assigneeFrom(ctx.request.input('assignee'))
      const changed = await assignConversation(
        ctx.tenant,
        conversation.id,
        assigneeId,
        ctx.auth.user!.id
      )
      if (!changed.assigneeId) return ctx.i18n.t('inbox.flash.unassigned')
      const names = await peopleNames([changed.assigneeId])
      return ctx.i18n.t('inbox.flash.assigned', { name: names.get(changed.assigneeId) ?? '' })
    })
  }

  async resolve(ctx: HttpContext) {
    return act(ctx, async (conversation) => {
      await resolveConversation(ctx.tenant, conversation.id, ctx.auth.user!.id)
      return ctx.i18n.t('inbox.flash.resolved')
    })
  }

  async reopen(ctx: HttpContext) {
    return act(ctx, async (conversation) => {
      await reopenConversation(ctx.tenant, conversation.id, ctx.auth.user!.id)
      return ctx.i18n.t('inbox.flash.reopened')
    })
  }

  async pending(ctx: HttpContext) {
    return act(ctx, async (conversation) => {
      await markConversationPending(ctx.tenant, conversation.id, ctx.auth.user!.id)
      return ctx.i18n.t('inbox.flash.pending')
    })
  }

  async snooze(ctx: HttpContext) {
    return act(ctx, async (conversation) => {
      const user = ctx.auth.user!
      const until = snoozeUntilFrom(ctx.request.only(['until', 'custom_until']), user.timezone)
      const changed = await snoozeConversation(ctx.tenant, conversation.id, until, user.id)
      return ctx.i18n.t('inbox.flash.snoozed', {
        until: ctx.i18n.formatDate(changed.snoozedUntil!.toJSDate(), {
          dateStyle: 'medium',
          timeStyle: 'short',
          timeZone: user.timezone,
        }),
      })
    })
  }

  async labels(ctx: HttpContext) {
    return act(ctx, async (conversation) => {
      const add = labelsFrom(ctx.request.input('add'))
      const removing = ctx.request.input('remove')
      const remove = typeof removing === 'string' ? [removing] : []
      await editConversationLabels(ctx.tenant, conversation.id, { add, remove }, ctx.auth.user!.id)
      return ctx.i18n.t('inbox.flash.labels')
    })
  }

  async priority(ctx: HttpContext) {
    return act(ctx, async (conversation) => {
      const priority = priorityFrom(ctx.request.input('priority'))
      await setConversationPriority(ctx.tenant, conversation.id, priority, ctx.auth.user!.id)
      return ctx.i18n.t('inbox.flash.priority', {
        priority: ctx.i18n.t(`inbox.priority.${priority}`),
      })
    })
  }
}

/**
 * Runs one action on the addressed conversation for a member who may reply,
 * then returns to the conversation (keeping the list's filters) with what
 * happened. A refusal re-renders the page with the message beside its form
 * and the status it deserves (422, or 409 when another conversation is in
 * the way); nothing changes.
 */
async function act(ctx: HttpContext, work: (conversation: Conversation) => Promise<string>) {
  const { bouncer, access, params, tenant, response, session } = ctx
  await bouncer.with('InboxPolicy').authorize('reply', access)
  const conversation = await findConversationOrFail(tenant, params.id)
  const filters = filtersFromForm(ctx)
  const back = `${workspaceLayout(ctx, 'inbox').base}/inbox/${conversation.id}${inboxQuery(filters)}`
  try {
    const said = await work(conversation)
    if (isHtmx(ctx.request)) {
      // The change itself makes live.js refresh parts of this page at once;
      // those requests would use up a flash message before the redirect's
      // page could show it. So htmx gets the page with the message directly,
      // at the conversation's own address.
      response.header('HX-Push-Url', back)
      const fresh = (await findConversation(tenant, conversation.id)) ?? conversation
      return renderConversation(ctx, fresh, { filters, notice: said })
    }
    session.flash('success', said)
    return response.redirect(back)
  } catch (error) {
    if (!(error instanceof ConversationError)) throw error
    if (error.status === 404) throw new lucidErrors.E_ROW_NOT_FOUND()
    const fresh = (await findConversation(tenant, conversation.id)) ?? conversation
    response.status(error.status)
    return renderConversation(ctx, fresh, {
      filters,
      error: { field: error.field, message: errorMessage(ctx, error) },
    })
  }
}

function errorMessage(ctx: HttpContext, error: ConversationError) {
  const known = [
    'invalid_assignee',
    'invalid_snooze',
    'invalid_labels',
    'invalid_priority',
    'newer_conversation',
  ]
  if (!known.includes(error.code ?? '')) return error.message
  if (error.code === 'invalid_snooze' && error.field === 'custom_until') {
    return ctx.i18n.t('inbox.errors.snooze_unreadable')
  }
  return ctx.i18n.t(`inbox.errors.${error.code}`, {
    days: MAX_SNOOZE_DAYS,
    max: MAX_LABELS,
    length: MAX_LABEL_LENGTH,
  })
}

/** The list's filters as the form carried them back (hidden field `list`). */
function filtersFromForm(ctx: HttpContext) {
  const carried = ctx.request.input('list')
  const params = new URLSearchParams(typeof carried === 'string' ? carried.slice(0, 600) : '')
  return inboxFiltersFrom(Object.fromEntries(params))
}

async function channelMap(ctx: HttpContext) {
  const channels = await channelsOf(ctx.tenant.id)
  return new Map<string, ChannelInfo>(channels.map((channel) => [channel.id, channel]))
}

function channelFor(ctx: HttpContext, channels: Map<string, ChannelInfo>, id: string): ChannelInfo {
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
async function listData(
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
function shortWhen(ctx: HttpContext, at: Date) {
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
function refreshUrl(listUrl: string, current: string | null) {
  if (!current) return listUrl
  return `${listUrl}${listUrl.includes('?') ? '&' : '?'}current=${current}`
}

async function threadData(
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
type Owner = 'person' | 'needs_person' | 'assistant' | 'unassigned'

function ownerOf(
  conversation: { assigneeId: string | null; needsPerson: boolean },
  assistantOn: boolean,
  personReplied = false
): Owner {
  if (conversation.assigneeId) return 'person'
  if (conversation.needsPerson) return 'needs_person'
  if (assistantOn && !personReplied) return 'assistant'
  return 'unassigned'
}

function ownerLabel(ctx: HttpContext, owner: Owner, assignee: string | null) {
  if (owner === 'person') return ctx.i18n.t('inbox.list.assigned_to', { name: assignee ?? '' })
  if (owner === 'unassigned') return ctx.i18n.t('inbox.list.unassigned')
  return ctx.i18n.t(`inbox.owner.${owner}`)
}

/**
 * The conversation's head: status, owner, and the hand-back button, which
 * appears as soon as the assistant hands off (refreshed live).
 */
async function statusData(
  ctx: HttpContext,
  conversation: Conversation,
  filters: InboxFilters = inboxFiltersFrom(ctx.request.qs())
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

async function renderConversation(
  ctx: HttpContext,
  conversation: Conversation,
  options: { before?: string | null; filters?: InboxFilters; error?: ActionError; notice?: string }
) {
  const { access, tenant, view, auth } = ctx
  const layout = workspaceLayout(ctx, 'inbox')
  const filters = options.filters ?? inboxFiltersFrom(ctx.request.qs())
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
  return view.render('inbox::inbox/show', {
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
  })
}

/** Which form an action error belongs to, so the message shows beside it. */
function errorsByForm(error: ActionError | undefined) {
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
