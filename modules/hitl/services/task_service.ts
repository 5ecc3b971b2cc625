import { hasMemberWithRole, type Role } from '#modules/identity/index'
import { conversationById, contactById } from '#modules/inbox/index'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import emitter from '@adonisjs/core/services/emitter'
import encryption from '@adonisjs/core/services/encryption'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { DateTime } from 'luxon'
import { recordAudit, type AuditActor, type TenantContext } from '#modules/tenancy/index'
import Task, {
  type OnTimeout,
  type SourceType,
  type TaskAction,
  type TaskPriority,
  type TaskResponse,
  type TaskStatus,
} from '../models/task.js'
import {
  checkComponents,
  checkValues,
  editedNames,
  initialValues,
  inputComponents,
  type Component,
  type Values,
} from './components.js'
import { TaskError, alreadyResolved, fieldsFrom, taskNotFound } from './task_errors.js'
import { queueCallback } from './callbacks.js'
import { sendApprovedMessage } from './send_action.js'
import { publishTaskNotice } from './live.js'
import { noteExpiry } from './expiry_schedule.js'

export const ASSIGNABLE_ROLES: Role[] = ['owner', 'admin', 'agent']

export interface NewTask {
  kind: string
  title: string
  description?: string | null
  priority?: TaskPriority
  due_at?: string | null
  expires_at?: string | null
  on_timeout?: OnTimeout
  assignee?: { user_id?: string | null; role?: string | null } | null
  contact_id?: string | null
  conversation_id?: string | null
  components: unknown
  action?: { type: string; text_from?: string; author?: 'assistant' } | null
  allowed?: { edit?: boolean; reject_reasons?: string[] } | null
  source?: { type?: SourceType; ref?: string | null } | null
  callback_url?: string | null
  /**
   * Names the task for a caller that may create it twice (a scheduled step
   * run again after a crash): a second create with the key returns the
   * first task (`created: false`) and opens nothing.
   */
  idempotency_key?: string | null
}

/** Who resolved a task: a member, an API key, the resume link or the expiry sweep. */
export interface Resolver {
  by: TaskResponse['by']
  audit: AuditActor
}

export interface Decision {
  decision: 'approve' | 'reject'
  values?: Values
  comment?: string | null
  reason?: string | null
  /** Outside the 24-hour window, the approved template to send instead. */
  template?: { name: string; language: string; variables?: string[] } | null
}

const DECIDED: Record<Decision['decision'], TaskStatus> = {
  approve: 'approved',
  reject: 'rejected',
}

/**
 * Opens a task. Everything is checked before anything is written: a bad
 * component is a 422 naming it and its field, and nothing is stored. With
 * a callback_url the task gets its own signing secret, returned once here.
 */
export async function createTask(tenant: TenantContext, input: NewTask, audit: AuditActor) {
  const problems = checkComponents(input.components)
  if (problems.length) {
    throw new TaskError('invalid_component', problems[0].message, 422, fieldsFrom(problems))
  }
  const components = input.components as Component[]
  const action = checkAction(input, components)
  const assignee = await checkAssignee(tenant, input.assignee ?? null)
  const dueAt = parseTime(input.due_at, 'due_at')
  const expiresAt = parseTime(input.expires_at, 'expires_at')
  if (expiresAt && expiresAt.toMillis() <= Date.now()) {
    throw new TaskError('validation_failed', 'expires_at is in the past', 422, {
      expires_at: ['A time in the future'],
    })
  }
  await checkContact(tenant, input)

  const callbackSecret = input.callback_url
    ? `whsec_${randomBytes(24).toString('base64url')}`
    : null
  const resumeToken = randomBytes(24).toString('base64url')
  // The task and its first history entry in one statement naming the
  // tenant's schema: atomic without a transaction (BEGIN, SET LOCAL, COMMIT).
  const sourceType = input.source?.type ?? 'api'
  const inserted = await db.rawQuery(
    `with task as (
       insert into ${tenant.table('hitl_tasks')}
         (id, kind, title, description, status, priority, due_at, expires_at, on_timeout,
          assignee_user_id, assignee_role, contact_id, conversation_id, components, action,
          allowed, source_type, source_ref, callback_url, callback_secret_encrypted,
          resume_token_hash, idempotency_key)
       values (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?, ?)
       on conflict (idempotency_key) where idempotency_key is not null do nothing
       returning *),
     event as (
       insert into ${tenant.table('hitl_task_events')} (task_id, type, actor_user_id, actor_label, data)
       select id, 'created', ?, ?, ?::jsonb from task)
     select * from task`,
    [
      randomUUID(),
      input.kind,
      input.title,
      input.description ?? null,
      input.priority ?? 'normal',
      dueAt?.toJSDate() ?? null,
      expiresAt?.toJSDate() ?? null,
      input.on_timeout ?? 'cancel',
      assignee.userId,
      assignee.role,
      input.contact_id ?? null,
      input.conversation_id ?? null,
      JSON.stringify(components),
      JSON.stringify(action),
      JSON.stringify({
        edit: input.allowed?.edit ?? true,
        reject_reasons: input.allowed?.reject_reasons ?? [],
      }),
      sourceType,
      input.source?.ref ?? null,
      input.callback_url ?? null,
      callbackSecret ? encryption.encrypt(callbackSecret) : null,
      hashToken(resumeToken),
      input.idempotency_key ?? null,
      audit.userId,
      audit.label,
      JSON.stringify({ source: sourceType }),
    ]
  )
  if (!inserted.rows[0] && input.idempotency_key) {
    // Created before under this key: that task, nothing opened or announced.
    const earlier = await tenant
      .query(Task)
      .where('idempotency_key', input.idempotency_key)
      .firstOrFail()
    return { task: earlier, callbackSecret: null, resumeToken: null, created: false }
  }
  const task = Task.$createFromAdapterResult(inserted.rows[0])!
  if (expiresAt) {
    // The sweep reads only the workspaces due (expiry_schedule.ts); should
    // Redis refuse, the hourly full pass still finds this task.
    await noteExpiry(tenant.id, expiresAt.toJSDate()).catch((error) =>
      logger.warn({ err: error, tenant: tenant.slug }, 'task expiry not scheduled')
    )
  }
  await announce(tenant, 'hitl:task_created', task)
  return { task, callbackSecret, resumeToken: resumeToken as string | null, created: true }
}

function checkAction(input: NewTask, components: Component[]): TaskAction {
  const action = input.action ?? { type: input.callback_url ? 'callback' : 'none' }
  const fail = (field: string, message: string) => {
    throw new TaskError('validation_failed', message, 422, { [field]: [message] })
  }
  switch (action.type) {
    case 'none':
      return { type: 'none' }
    case 'callback':
      if (!input.callback_url) fail('callback_url', 'A callback action needs a callback_url')
      return { type: 'callback' }
    case 'send_message': {
      if (!input.contact_id && !input.conversation_id) {
        fail('contact_id', 'send_message needs the contact (contact_id or conversation_id)')
      }
      const texts = inputComponents(components).filter((c) => c.type === 'editable_text')
      const previews = components.filter((c) => c.type === 'message_preview')
      const from = action.text_from ?? texts[0]?.name
      if (from && !texts.some((c) => c.name === from)) {
        fail('action.text_from', `No editable_text component is named ${from}`)
      }
      if (!from && !previews.some((c) => typeof c.text === 'string' || c.template)) {
        fail(
          'action',
          'send_message needs an editable_text (the message) or a message_preview with text or a template'
        )
      }
      const author = action.author === 'assistant' ? { author: 'assistant' as const } : {}
      return from
        ? { type: 'send_message', text_from: from, ...author }
        : { type: 'send_message', ...author }
    }
    default:
      return fail('action.type', 'One of callback, send_message, none')
  }
}

async function checkAssignee(tenant: TenantContext, assignee: NewTask['assignee']) {
  if (!assignee || (!assignee.user_id && !assignee.role)) return { userId: null, role: null }
  if (assignee.user_id) {
    const member = await hasMemberWithRole(tenant.id, assignee.user_id, [
      'owner',
      'admin',
      'agent',
      'viewer',
    ])
    if (!member) {
      throw new TaskError(
        'validation_failed',
        'The assignee is not a member of this workspace',
        422,
        {
          'assignee.user_id': ['Not a member of this workspace'],
        }
      )
    }
    return { userId: assignee.user_id, role: null }
  }
  if (!ASSIGNABLE_ROLES.includes(assignee.role as Role)) {
    throw new TaskError(
      'validation_failed',
      'The assignee role is not one of owner, admin, agent',
      422,
      {
        'assignee.role': ['One of owner, admin, agent'],
      }
    )
  }
  return { userId: null, role: assignee.role as string }
}

async function checkContact(tenant: TenantContext, input: NewTask) {
  if (input.contact_id) {
    const contact = await contactById(tenant, input.contact_id)
    if (!contact) {
      throw new TaskError('contact_not_found', 'No such contact', 404, {
        contact_id: ['No such contact in this workspace'],
      })
    }
  }
  if (input.conversation_id) {
    const conversation = await conversationById(tenant, input.conversation_id)
    if (!conversation) {
      throw new TaskError('conversation_not_found', 'No such conversation', 404, {
        conversation_id: ['No such conversation in this workspace'],
      })
    }
    if (input.contact_id && conversation.contactId !== input.contact_id) {
      throw new TaskError('validation_failed', 'The conversation is not the contact’s', 422, {
        conversation_id: ['Belongs to another contact'],
      })
    }
    input.contact_id ??= conversation.contactId
  }
}

function parseTime(value: string | null | undefined, field: string) {
  if (value === undefined || value === null) return null
  const time = DateTime.fromISO(value)
  if (!time.isValid) {
    throw new TaskError('validation_failed', `${field} is not an ISO-8601 time`, 422, {
      [field]: ['An ISO-8601 time'],
    })
  }
  return time
}

export function hashToken(token: string) {
  return createHash('sha256').update(token).digest('hex')
}

export function callbackSecretOf(task: Task) {
  return task.callbackSecretEncrypted
    ? encryption.decrypt<string>(task.callbackSecretEncrypted)
    : null
}

export async function findTask(tenant: TenantContext, id: string) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null
  return tenant.query(Task).where('id', id).first()
}

export async function findTaskByResumeToken(tenant: TenantContext, token: string) {
  return tenant.query(Task).where('resume_token_hash', hashToken(token)).first()
}

/**
 * Resolves a pending task once. The decision is written by a conditional
 * UPDATE (`where status = 'pending'`), so of two people approving at once,
 * or an approval racing the expiry sweep, exactly one wins; the other gets
 * 409 task_already_resolved. An approval whose action sends a message
 * checks the 24-hour window and opt-out now, not at creation, and the
 * message and the decision commit in one statement (the message's key is
 * the task's, so it is sent at most once).
 */
export async function resolveTask(
  tenant: TenantContext,
  id: string,
  decision: Decision,
  resolver: Resolver
) {
  const task = await findTask(tenant, id)
  if (!task) throw taskNotFound()
  if (task.status !== 'pending') throw alreadyResolved(task.status)

  const submitted = decision.values ?? {}
  const original = initialValues(task.components)
  if (!task.allowed.edit && decision.decision === 'approve') {
    const changed = editedNames(original, { ...original, ...submitted })
    if (changed.length) {
      throw new TaskError(
        'edit_not_allowed',
        'This task may be approved as it is, not edited',
        422,
        {
          values: ['Editing is not allowed on this task'],
        }
      )
    }
  }
  const { values, problems } = checkValues(task.components, submitted, {
    enforceRequired: decision.decision === 'approve',
  })
  if (problems.length) {
    throw new TaskError('validation_failed', problems[0].message, 422, fieldsFrom(problems))
  }
  const reason = decision.reason?.trim() || null
  if (
    decision.decision === 'reject' &&
    task.allowed.reject_reasons.length &&
    reason &&
    !task.allowed.reject_reasons.includes(reason)
  ) {
    throw new TaskError('validation_failed', 'Choose one of the listed reasons', 422, {
      reason: [`One of ${task.allowed.reject_reasons.join(', ')}`],
    })
  }
  const status = DECIDED[decision.decision]
  const response: TaskResponse = {
    decision: status as TaskResponse['decision'],
    values,
    original_values: original,
    edited: editedNames(original, values),
    reason,
    comment: decision.comment?.trim() || null,
    by: resolver.by,
    at: new Date().toISOString(),
  }

  let resolved: Task | null
  if (status === 'approved' && task.action.type === 'send_message') {
    resolved = await sendApprovedMessage(tenant, task, response, decision.template ?? null)
  } else {
    resolved = await settle(tenant, task.id, status, response)
  }
  if (!resolved) {
    const now = await findTask(tenant, id)
    throw alreadyResolved(now?.status ?? 'resolved')
  }
  await afterResolution(tenant, resolved, resolver.audit)
  return resolved
}

/**
 * The conditional write that resolves a task: null when it was no longer
 * pending (someone else resolved it first).
 */
export async function settle(
  tenant: TenantContext,
  id: string,
  status: TaskStatus,
  response: TaskResponse,
  client?: TransactionClientContract
) {
  const result = await (client ?? db).rawQuery(
    `update ${tenant.table('hitl_tasks')}
        set status = ?, response = ?::jsonb, resolved_at = now(), updated_at = now()
      where id = ? and status = 'pending'
      returning *`,
    [status, JSON.stringify(response), id]
  )
  const row = result.rows[0]
  return row ? Task.$createFromAdapterResult(row)! : null
}

/** The SQL of `settle`, for a write that must commit in another statement (the message insert). */
export function settleStatement(
  tenant: TenantContext,
  id: string,
  status: TaskStatus,
  response: TaskResponse
) {
  return {
    sql: `update ${tenant.table('hitl_tasks')}
             set status = ?, response = ?::jsonb, resolved_at = now(), updated_at = now()
           where id = ? and status = 'pending'
           returning id`,
    bindings: [status, JSON.stringify(response), id] as unknown[],
  }
}

/** Cancels a pending task (the automation no longer needs the answer). */
export async function cancelTask(
  tenant: TenantContext,
  id: string,
  resolver: Resolver,
  comment?: string | null
) {
  const task = await findTask(tenant, id)
  if (!task) throw taskNotFound()
  if (task.status !== 'pending') throw alreadyResolved(task.status)
  const original = initialValues(task.components)
  const resolved = await settle(tenant, id, 'cancelled', {
    decision: 'cancelled',
    values: original,
    original_values: original,
    edited: [],
    reason: null,
    comment: comment ?? null,
    by: resolver.by,
    at: new Date().toISOString(),
  })
  if (!resolved) {
    const now = await findTask(tenant, id)
    throw alreadyResolved(now?.status ?? 'resolved')
  }
  await afterResolution(tenant, resolved, resolver.audit)
  return resolved
}

/**
 * What follows every resolution, once: the history entry, the audit log,
 * the callback (queued, signed, retried), the typed event other modules
 * react to, and the task.resolved webhook.
 */
export async function afterResolution(tenant: TenantContext, task: Task, audit: AuditActor) {
  const response = task.response!
  await tenant.transaction(async (trx) => {
    await addEvent(trx, task.id, task.status, audit, response.comment ?? response.reason, {
      edited: response.edited,
      original_values: pick(response.original_values, response.edited),
      values: pick(response.values, response.edited),
      reason: response.reason,
      message_id: response.message_id ?? null,
    })
  })
  await recordAudit(audit, {
    action: `hitl.task.${task.status}`,
    tenant: { id: tenant.id, slug: tenant.slug },
    subjectType: 'hitl_task',
    subjectId: task.id,
    metadata: { kind: task.kind, edited: response.edited, reason: response.reason },
  })
  if (task.callbackUrl) {
    await queueCallback(tenant, task).catch((error) => {
      logger.error({ err: error, tenant: tenant.slug, task: task.id }, 'task callback not queued')
    })
  }
  await announce(tenant, 'hitl:task_resolved', task)
}

function pick(values: Values, names: string[]) {
  return Object.fromEntries(names.map((name) => [name, values[name] ?? null]))
}

async function announce(
  tenant: TenantContext,
  event: 'hitl:task_created' | 'hitl:task_resolved',
  task: Task
) {
  try {
    await emitter.emit(event, {
      tenant: tenant.slug,
      tenantId: tenant.id,
      taskId: task.id,
      kind: task.kind,
      status: task.status,
      sourceType: task.sourceType,
      sourceRef: task.sourceRef,
      conversationId: task.conversationId,
    })
  } catch (error) {
    // The task is stored and resolved; a failing listener must not undo that answer.
    logger.error({ err: error, tenant: tenant.slug, event }, 'task event listener failed')
  }
}

export async function addEvent(
  trx: TransactionClientContract,
  taskId: string,
  type: string,
  actor: AuditActor,
  body: string | null,
  data: Record<string, unknown> = {}
) {
  await trx.table('hitl_task_events').insert({
    task_id: taskId,
    type,
    actor_user_id: actor.userId,
    actor_label: actor.label,
    body,
    data: JSON.stringify(data),
  })
}

export interface TaskEventRow {
  id: string
  type: string
  actor_user_id: string | null
  actor_label: string | null
  body: string | null
  data: Record<string, unknown>
  created_at: Date
}

export async function taskHistory(tenant: TenantContext, taskId: string): Promise<TaskEventRow[]> {
  const result = await db.rawQuery(
    `select * from ${tenant.table('hitl_task_events')} where task_id = ? order by created_at, id`,
    [taskId]
  )
  return result.rows
}

export async function commentOnTask(
  tenant: TenantContext,
  taskId: string,
  body: string,
  actor: AuditActor
) {
  const text = body.trim()
  if (!text)
    throw new TaskError('validation_failed', 'Write a comment', 422, { body: ['Write a comment'] })
  if (text.length > 4000) {
    throw new TaskError('validation_failed', 'At most 4000 characters', 422, {
      body: ['At most 4000 characters'],
    })
  }
  await tenant.transaction((trx) => addEvent(trx, taskId, 'comment', actor, text))
}

export async function reassignTask(
  tenant: TenantContext,
  task: Task,
  assignee: { user_id?: string | null; role?: string | null } | null,
  actor: AuditActor
) {
  if (task.status !== 'pending') throw alreadyResolved(task.status)
  const checked = await checkAssignee(tenant, assignee)
  await tenant.transaction(async (trx) => {
    await trx.from('hitl_tasks').where('id', task.id).update({
      assignee_user_id: checked.userId,
      assignee_role: checked.role,
      updated_at: new Date(),
    })
    await addEvent(trx, task.id, 'reassigned', actor, null, {
      user_id: checked.userId,
      role: checked.role,
    })
  })
  await recordAudit(actor, {
    action: 'hitl.task.reassigned',
    tenant: { id: tenant.id, slug: tenant.slug },
    subjectType: 'hitl_task',
    subjectId: task.id,
    metadata: { user_id: checked.userId, role: checked.role },
  })
  await publishTaskNotice({
    tenantId: tenant.id,
    taskId: task.id,
    change: 'reassigned',
    status: task.status,
    conversationId: task.conversationId,
  })
}

/** Pending tasks in the workspace, for the navigation's count (what this member may act on). */
export async function pendingCount(tenant: TenantContext, viewer: { userId: string; role: Role }) {
  const query = db.from('hitl_tasks').withSchema(tenant.schema).where('status', 'pending')
  if (viewer.role === 'agent') restrictToAgent(query, viewer)
  const row = await query.count('* as n').first()
  return Number(row?.n ?? 0)
}

/** Agents see the tasks assigned to them (or their role) and unassigned ones. */
export function restrictToAgent(
  query: { where: (fn: (q: any) => void) => unknown },
  viewer: { userId: string; role: Role }
) {
  query.where((q: any) => {
    q.where('assignee_user_id', viewer.userId)
      .orWhere((u: any) => u.whereNull('assignee_user_id').whereNull('assignee_role'))
      .orWhere((r: any) => r.whereNull('assignee_user_id').where('assignee_role', viewer.role))
  })
}

/** Whether a member may act on (resolve, comment, reassign) this task. */
export function mayAct(task: Task, viewer: { userId: string; role: Role }) {
  if (viewer.role === 'owner' || viewer.role === 'admin') return true
  if (viewer.role !== 'agent') return false
  if (task.assigneeUserId) return task.assigneeUserId === viewer.userId
  return !task.assigneeRole || task.assigneeRole === 'agent'
}

/** Whether a member sees this task at all. */
export function maySee(task: Task, viewer: { userId: string; role: Role }) {
  return viewer.role !== 'agent' || mayAct(task, viewer)
}
