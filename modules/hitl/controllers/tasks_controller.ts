import { wantsFragment } from '#app/http/htmx'
import type { HttpContext } from '@adonisjs/core/http'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { DateTime } from 'luxon'
import {
  actorFromRequest,
  can,
  membersWithRoles,
  type WorkspaceAccess,
} from '#modules/identity/index'
import { workspaceLayout } from '#modules/tenancy/index'
import { approvedTemplatesOf } from '#modules/channels/index'
import { keysetPage, pageRequestFrom } from '#app/http/api/index'
import { keepInput } from '#app/http/form_errors'
import db from '@adonisjs/lucid/services/db'
import Task, { TASK_STATUSES, type TaskStatus } from '../models/task.js'
import {
  commentOnTask,
  findTask,
  mayAct,
  maySee,
  pendingCount,
  reassignTask,
  resolveTask,
  restrictToAgent,
  taskHistory,
  type Decision,
} from '../services/task_service.js'
import { TaskError } from '../services/task_errors.js'
import { inputComponents, type Values } from '../services/components.js'
import { renderMarkdown } from '../services/markdown.js'
import { approvedText, sendOutlook } from '../services/send_action.js'
import { tasksTopic } from '../services/live.js'
import { streamLive } from '#modules/inbox/index'

const VIEWS = ['all', 'mine', 'unassigned'] as const
const DUES = ['overdue', 'today', 'week'] as const
type InboxView = (typeof VIEWS)[number]

/**
 * The task inbox. Owners and admins see and act on everything; agents on
 * the tasks assigned to them (or to agents) and unassigned ones; viewers
 * read. Controllers stay thin: the decisions are task_service's.
 */
export default class TasksController {
  async index(ctx: HttpContext) {
    const { bouncer, request, view, access, tenant } = ctx
    await bouncer.with('TasksPolicy').authorize('view', access)
    const layout = workspaceLayout(ctx, 'tasks')
    const qs = request.qs()
    const filters = {
      view: (VIEWS.includes(qs.view) ? qs.view : 'all') as InboxView,
      status: (TASK_STATUSES.includes(qs.status) || qs.status === 'any' ? qs.status : 'pending') as
        TaskStatus | 'any',
      kind: String(qs.kind ?? '').trim(),
      due: DUES.includes(qs.due) ? (qs.due as (typeof DUES)[number]) : '',
    }
    let page
    try {
      page = pageRequestFrom({ cursor: qs.cursor, limit: 50 })
    } catch {
      page = pageRequestFrom({ limit: 50 })
    }
    // Single statements naming the tenant's schema: no transaction round trips.
    // Plain rows, not models: a page is 50 of them, read once to render.
    const query = tenant.query(Task).pojo<TaskListRow>()
    if (filters.status !== 'any') query.where('status', filters.status)
    if (filters.kind) query.where('kind', filters.kind)
    if (filters.view === 'mine') query.where('assignee_user_id', access.userId)
    if (filters.view === 'unassigned')
      query.whereNull('assignee_user_id').whereNull('assignee_role')
    if (access.role === 'agent') restrictToAgent(query, access)
    const now = DateTime.now()
    if (filters.due === 'overdue') query.where('due_at', '<', now.toJSDate())
    if (filters.due === 'today') query.where('due_at', '<', now.endOf('day').toJSDate())
    if (filters.due === 'week') query.where('due_at', '<', now.plus({ days: 7 }).toJSDate())
    const fragment = wantsFragment(request, 'task-list')
    // The list's refresh (live, htmx) needs no kinds for the filter.
    const [{ rows, nextCursor }, kinds, names] = await Promise.all([
      keysetPage(query, { column: 'created_at', direction: 'desc', page }),
      fragment ? Promise.resolve([]) : taskKinds(tenant),
      memberNames(access.tenantId),
    ])
    const search = new URLSearchParams()
    for (const [key, value] of Object.entries(filters)) if (value) search.set(key, value)
    const labels = labelCache(ctx)
    const data = {
      base: layout.base,
      filters,
      kinds,
      views: VIEWS,
      statuses: TASK_STATUSES,
      dues: DUES,
      tasks: rows.map((row) => presentRow(ctx, listRow(row), names, labels)),
      overdueLabel: labels('tasks.overdue'),
      listUrl: `${layout.base}/tasks?${search}`,
      nextUrl: nextCursor
        ? `${layout.base}/tasks?${new URLSearchParams({ ...Object.fromEntries(search), cursor: nextCursor })}`
        : null,
    }
    if (fragment) return view.render('hitl::tasks/list', data)
    return view.render('hitl::tasks/index', {
      ...layout,
      ...data,
      ...assets(),
      canAnalyze: can(access, 'tasks.act'),
    })
  }

  /**
   * The task inbox's live stream: a notice per created, resolved or
   * reassigned task; the page refetches its list (what this member may see)
   * on each. Server-sent events, as the inbox's stream.
   */
  async events(ctx: HttpContext) {
    if (!can(ctx.access, 'tasks.view')) {
      return ctx.response.forbidden({
        error: { code: 'forbidden', message: 'You cannot see these tasks' },
      })
    }
    await streamLive(ctx, [tasksTopic(ctx.tenant.id)], { event: 'tasks' })
  }

  /** The navigation's count: pending tasks this member may act on. */
  async count(ctx: HttpContext) {
    const { access, tenant, response } = ctx
    if (!can(access, 'tasks.view')) return response.send('')
    const count = await pendingCount(tenant, access)
    return response.header('Cache-Control', 'no-store').send(count > 0 ? String(count) : '')
  }

  async show(ctx: HttpContext) {
    const { bouncer, view, access, tenant, params } = ctx
    await bouncer.with('TasksPolicy').authorize('view', access)
    const task = await findTask(tenant, params.id)
    if (!task || !maySee(task, access)) throw new lucidErrors.E_ROW_NOT_FOUND()
    const layout = workspaceLayout(ctx, 'tasks')
    const canAct = task.isPending && can(access, 'tasks.act') && mayAct(task, access)
    const outlook =
      task.action.type === 'send_message' && task.isPending ? await sendOutlook(tenant, task) : null
    const templates =
      outlook && !outlook.windowOpen && outlook.channelId
        ? await approvedTemplatesOf(tenant, outlook.channelId)
        : []
    const names = await memberNames(access.tenantId)
    const history = await taskHistory(tenant, task.id)
    const old = (name: string) => ctx.session.flashMessages.get(`values.${name}`)
    const values: Values = { ...(task.response?.values ?? {}) }
    for (const component of inputComponents(task.components)) {
      values[component.name] =
        old(component.name) ?? values[component.name] ?? component.value ?? ''
    }
    return view.render('hitl::tasks/show', {
      ...layout,
      ...assets(),
      title: task.title,
      task: presentRow(ctx, task, names),
      record: task,
      descriptionHtml: renderMarkdown(task.description),
      components: task.components.map((component) => ({
        ...component,
        html: component.type === 'text' ? renderMarkdown(component.text as string) : null,
        previewText:
          component.type === 'message_preview'
            ? typeof component.text_from === 'string'
              ? String(values[component.text_from] ?? '')
              : ((component.text as string | undefined) ?? null)
            : null,
      })),
      values,
      canAct,
      canEdit: canAct && task.allowed.edit,
      canReassign: task.isPending && (can(access, 'tasks.manage') || canAct),
      canComment: can(access, 'tasks.act') && mayAct(task, access),
      outlook,
      windowClosesSoon:
        outlook?.windowClosesAt && task.expiresAt
          ? task.expiresAt.toMillis() > outlook.windowClosesAt.getTime()
          : false,
      templates: templates.map((t) => ({
        value: `${t.name}|${t.language}`,
        label: `${t.name} (${t.language})`,
        variables: t.bodyVariables,
      })),
      approvedTextPreview: approvedText(task, values),
      members: await assignable(access.tenantId),
      history: history.map((event) => ({
        ...event,
        when: formatTime(ctx, event.created_at),
        diff: diffOf(event.data),
      })),
      responseBy: task.response ? byLabel(ctx, task.response.by, names) : null,
    })
  }

  async approve(ctx: HttpContext) {
    return this.#decide(ctx, 'approve')
  }

  async reject(ctx: HttpContext) {
    return this.#decide(ctx, 'reject')
  }

  async #decide(ctx: HttpContext, decision: Decision['decision']) {
    const { bouncer, access, tenant, params, request, response, session, i18n } = ctx
    const task = await findTask(tenant, params.id)
    if (!task || !maySee(task, access)) throw new lucidErrors.E_ROW_NOT_FOUND()
    await bouncer.with('TasksPolicy').authorize('act', access, task)
    const returnTo = conversationReturn(ctx, task)
    const back = returnTo ?? `${workspaceLayout(ctx, 'tasks').base}/tasks/${task.id}`
    const submitted = request.input('values')
    const values: Values = {}
    if (submitted && typeof submitted === 'object') {
      for (const component of inputComponents(task.components)) {
        if (!(component.name in submitted)) {
          // An unticked multiple choice sends nothing: it means "none".
          if (component.type === 'choice' && component.multiple && decision === 'approve')
            values[component.name] = []
          continue
        }
        values[component.name] = submitted[component.name]
      }
    }
    const templateChoice = String(request.input('template', '') ?? '')
    const template = templateChoice.includes('|')
      ? {
          name: templateChoice.split('|')[0],
          language: templateChoice.split('|')[1],
          variables: String(request.input('template_variables', '') ?? '')
            .split('\n')
            .map((line) => line.trim())
            .filter(Boolean),
        }
      : null
    const reasonChoice = String(request.input('reason', '') ?? '').trim()
    const reasonText = String(request.input('reason_text', '') ?? '').trim()
    try {
      await resolveTask(
        tenant,
        task.id,
        {
          decision,
          values: decision === 'approve' && task.allowed.edit ? values : {},
          comment: String(request.input('comment', '') ?? '') || null,
          reason: decision === 'reject' ? reasonChoice || reasonText || null : null,
          template,
        },
        {
          by: {
            type: 'user',
            id: access.userId,
            name: ctx.auth.user!.name || ctx.auth.user!.email,
          },
          audit: actorFromRequest(ctx),
        }
      )
    } catch (error) {
      if (!(error instanceof TaskError)) throw error
      keepInput(ctx)
      session.flash('error', messageFor(ctx, error))
      if (error.fields) session.flash('inputErrorsBag', error.fields)
      return response.redirect(back)
    }
    session.flash(
      'success',
      i18n.t(decision === 'approve' ? 'tasks.flash.approved' : 'tasks.flash.rejected', {
        title: task.title,
      })
    )
    return response.redirect(returnTo ?? `${workspaceLayout(ctx, 'tasks').base}/tasks`)
  }

  async reassign(ctx: HttpContext) {
    const { bouncer, access, tenant, params, request, response, session, i18n } = ctx
    const task = await findTask(tenant, params.id)
    if (!task || !maySee(task, access)) throw new lucidErrors.E_ROW_NOT_FOUND()
    await bouncer.with('TasksPolicy').authorize('reassign', access, task)
    const back = `${workspaceLayout(ctx, 'tasks').base}/tasks/${task.id}`
    const to = String(request.input('assignee', '') ?? '')
    const assignee = to.startsWith('user:')
      ? { user_id: to.slice(5) }
      : to.startsWith('role:')
        ? { role: to.slice(5) }
        : null
    try {
      await reassignTask(tenant, task, assignee, actorFromRequest(ctx))
      session.flash('success', i18n.t('tasks.flash.reassigned'))
    } catch (error) {
      if (!(error instanceof TaskError)) throw error
      session.flash('error', messageFor(ctx, error))
    }
    return response.redirect(back)
  }

  async comment(ctx: HttpContext) {
    const { access, tenant, params, request, response, session, i18n } = ctx
    const task = await findTask(tenant, params.id)
    if (!task || !maySee(task, access)) throw new lucidErrors.E_ROW_NOT_FOUND()
    if (!can(access, 'tasks.act') || !mayAct(task, access))
      return response.forbidden(i18n.t('tasks.forbidden'))
    const back = `${workspaceLayout(ctx, 'tasks').base}/tasks/${task.id}`
    try {
      await commentOnTask(
        tenant,
        task.id,
        String(request.input('body', '') ?? ''),
        actorFromRequest(ctx)
      )
      session.flash('success', i18n.t('tasks.flash.commented'))
    } catch (error) {
      if (!(error instanceof TaskError)) throw error
      keepInput(ctx)
      session.flash('inputErrorsBag', { body: [i18n.t('tasks.errors.comment')] })
    }
    return response.redirect(`${back}#history`)
  }
}

/**
 * Where a form posted from the inbox thread comes back to: the task's own
 * conversation in this workspace's inbox, and nowhere else (no open redirect).
 */
function conversationReturn(ctx: HttpContext, task: Task) {
  const asked = String(ctx.request.input('return_to', '') ?? '')
  if (!asked || !task.conversationId) return null
  const inbox = `${workspaceLayout(ctx, 'inbox').base}/inbox/${task.conversationId}`
  return asked === inbox ? inbox : null
}

function assets() {
  return { stylesheets: ['/assets/tasks.css'], scripts: ['/assets/live.js', '/assets/tasks.js'] }
}

function messageFor(ctx: HttpContext, error: TaskError) {
  const key = `tasks.errors.${error.code}`
  const translated = ctx.i18n.t(key)
  return translated === key || translated.startsWith('translation missing')
    ? error.message
    : translated
}

async function memberNames(tenantId: string) {
  const members = await membersWithRoles(tenantId, ['owner', 'admin', 'agent', 'viewer'])
  return new Map(members.map((m) => [m.userId, m.name || m.email]))
}

async function assignable(tenantId: string) {
  const members = await membersWithRoles(tenantId, ['owner', 'admin', 'agent'])
  return members
    .map((m) => ({ value: `user:${m.userId}`, label: m.name || m.email }))
    .sort((a, b) => a.label.localeCompare(b.label))
}

function formatTime(ctx: HttpContext, value: Date | DateTime | null) {
  if (!value) return null
  const date = value instanceof Date ? value : value.toJSDate()
  return ctx.i18n.formatDate(date, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: ctx.auth.user?.timezone ?? 'UTC',
  })
}

function byLabel(
  ctx: HttpContext,
  by: { type: string; id: string | null; name: string | null },
  names: Map<string, string>
) {
  if (by.type === 'user' && by.id) return names.get(by.id) ?? by.name ?? ctx.i18n.t('tasks.by.user')
  return by.name
    ? `${ctx.i18n.t(`tasks.by.${by.type}`)} (${by.name})`
    : ctx.i18n.t(`tasks.by.${by.type}`)
}

function diffOf(data: Record<string, unknown>) {
  const edited = (data.edited as string[] | undefined) ?? []
  const before = (data.original_values as Record<string, unknown> | undefined) ?? {}
  const after = (data.values as Record<string, unknown> | undefined) ?? {}
  return edited.map((name) => ({
    name,
    before: display(before[name]),
    after: display(after[name]),
  }))
}

function display(value: unknown) {
  if (value === null || value === undefined) return '—'
  return Array.isArray(value) ? value.join(', ') : String(value)
}

/**
 * Translations without values, each read once per request: i18n parses the
 * ICU message on every t(), and a list page asks for the same few labels
 * on each of its 50 rows.
 */
function labelCache(ctx: HttpContext) {
  const cache = new Map<string, string>()
  const label = (key: string, value?: { name: string; text: string }) => {
    const id = value ? `${key}:${value.name}` : key
    let text = cache.get(id)
    if (text === undefined) {
      // A value is put in after: the message is translated once around a marker.
      text = value ? ctx.i18n.t(key, { [value.name]: VALUE_MARKER }) : ctx.i18n.t(key)
      cache.set(id, text)
    }
    return value ? text.replace(VALUE_MARKER, value.text) : text
  }
  return label
}

const VALUE_MARKER = '\u0001'

/** The kinds in use, for the filter: a loose index scan (one probe per kind, not per task). */
async function taskKinds(tenant: HttpContext['tenant']) {
  const table = tenant.table('hitl_tasks')
  const result = await db.rawQuery(
    `with recursive kinds as (
       (select kind from ${table} order by kind limit 1)
       union all
       select (select t.kind from ${table} t where t.kind > kinds.kind order by t.kind limit 1)
         from kinds where kinds.kind is not null)
     select kind from kinds where kind is not null limit 50`
  )
  return result.rows.map((row: { kind: string }) => row.kind)
}

/** A list row as PostgreSQL returns it (`select *`), the columns the list shows. */
interface TaskListRow {
  id: string
  title: string
  kind: string
  status: TaskStatus
  priority: Task['priority']
  assignee_user_id: string | null
  assignee_role: string | null
  due_at: Date | null
  expires_at: Date | null
  created_at: Date
  resolved_at: Date | null
  action: Task['action']
}

/** What presentRow reads of a task: a Task, or a list row in its shape. */
type Presentable = Pick<
  Task,
  | 'id'
  | 'title'
  | 'kind'
  | 'status'
  | 'priority'
  | 'assigneeUserId'
  | 'assigneeRole'
  | 'dueAt'
  | 'expiresAt'
  | 'createdAt'
  | 'resolvedAt'
  | 'action'
  | 'isOverdue'
>

function listRow(row: TaskListRow): Presentable {
  const time = (value: Date | null) => (value ? DateTime.fromJSDate(value) : null)
  const dueAt = time(row.due_at)
  return {
    id: row.id,
    title: row.title,
    kind: row.kind,
    status: row.status,
    priority: row.priority,
    assigneeUserId: row.assignee_user_id,
    assigneeRole: row.assignee_role,
    dueAt,
    expiresAt: time(row.expires_at),
    createdAt: DateTime.fromJSDate(row.created_at),
    resolvedAt: time(row.resolved_at),
    action: row.action,
    isOverdue: row.status === 'pending' && !!dueAt && dueAt.toMillis() < Date.now(),
  }
}

/** What a task looks like in the list and the page header. */
function presentRow(
  ctx: HttpContext,
  task: Presentable,
  names: Map<string, string>,
  label: ReturnType<typeof labelCache> = labelCache(ctx)
) {
  const assignee = task.assigneeUserId
    ? (names.get(task.assigneeUserId) ?? label('tasks.assignee.former_member'))
    : task.assigneeRole
      ? label(`tasks.assignee.role_${task.assigneeRole}`)
      : label('tasks.assignee.unassigned')
  const due = formatTime(ctx, task.dueAt)
  return {
    id: task.id,
    title: task.title,
    kind: task.kind,
    status: task.status,
    statusLabel: label(`tasks.status.${task.status}`),
    priority: task.priority,
    priorityLabel: label(`tasks.priority.${task.priority}`),
    assignee,
    overdue: task.isOverdue,
    due,
    dueLabel: due ? label('tasks.due_at', { name: 'when', text: due }) : null,
    dueIso: task.dueAt?.toISO() ?? null,
    expires: formatTime(ctx, task.expiresAt),
    created: formatTime(ctx, task.createdAt),
    createdIso: task.createdAt.toISO(),
    resolved: formatTime(ctx, task.resolvedAt),
    action: task.action.type,
  }
}

export type { WorkspaceAccess }
