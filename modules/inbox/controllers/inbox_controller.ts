import type { HttpContext } from '@adonisjs/core/http'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { can, peopleNames } from '#modules/identity/index'
import { workspaceLayout } from '#modules/tenancy/index'
import type Conversation from '../models/conversation.js'
import {
  ConversationError,
  MAX_LABELS,
  MAX_LABEL_LENGTH,
  MAX_SNOOZE_DAYS,
  assignConversation,
  editConversationLabels,
  findConversation,
  findConversationOrFail,
  markConversationPending,
  markConversationRead,
  reopenConversation,
  resolveConversation,
  setConversationPriority,
  snoozeConversation,
} from '../services/conversation_service.js'
import {
  inboxFiltersFrom,
  inboxQuery,
  needsPersonCount,
  readInboxQuery,
} from '../services/inbox_service.js'
import {
  actionForm,
  assignForm,
  labelsForm,
  priorityForm,
  snoozeForm,
  snoozeUntilFrom,
} from '../validators/inbox_validator.js'
import { isHtmx, wantsFragment } from '#app/http/htmx'
import {
  listData,
  threadData,
  statusData,
  conversationPage,
  type ConversationPageOptions,
} from '../presenters/inbox_presenter.js'

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
    const { filters, current } = await readInboxQuery(request.qs())
    const layout = workspaceLayout(ctx, filters.view === 'needs_person' ? 'needs_person' : 'inbox')
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
    const { filters, before } = await readInboxQuery(request.qs())

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
      return view.render('inbox::inbox/status', await statusData(ctx, conversation, filters))
    }
    return renderConversation(ctx, conversation, { before, filters })
  }

  async assign(ctx: HttpContext) {
    return act(ctx, async (conversation) => {
      const { assignee } = await actionForm(assignForm, ctx.request.all())
      const assigneeId = assignee ?? null
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
      const form = await actionForm(snoozeForm, ctx.request.all())
      const until = snoozeUntilFrom(form, user.timezone)
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
      const form = await actionForm(labelsForm, ctx.request.all())
      const edit = { add: form.add ?? [], remove: form.remove ? [form.remove] : [] }
      await editConversationLabels(ctx.tenant, conversation.id, edit, ctx.auth.user!.id)
      return ctx.i18n.t('inbox.flash.labels')
    })
  }

  async priority(ctx: HttpContext) {
    return act(ctx, async (conversation) => {
      const { priority } = await actionForm(priorityForm, ctx.request.all())
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
  const filters = await filtersFromForm(ctx)
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

async function renderConversation(
  ctx: HttpContext,
  conversation: Conversation,
  options: ConversationPageOptions
) {
  return ctx.view.render('inbox::inbox/show', await conversationPage(ctx, conversation, options))
}
