import type { HttpContext } from '@adonisjs/core/http'
import env from '#start/env'
import { apiActor, checkTargetUrl } from '#modules/integrations/index'
import {
  ApiError,
  idempotent,
  keysetPage,
  pageBody,
  pageRequestFrom,
  sendJson,
  validateApiBody,
} from '#app/http/api/index'
import Task, { TASK_STATUSES } from '../../models/task.js'
import {
  cancelTask,
  createTask,
  findTask,
  resolveTask,
  type Resolver,
} from '../../services/task_service.js'
import { TaskError } from '../../services/task_errors.js'
import { presentTask } from '../../services/task_presenter.js'
import { cancelTaskBody, createTaskBody, resolveTaskBody } from '../../validators/task_validator.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * /api/v1/tasks: how n8n (or any program) asks a person and hears back.
 * Another tenant's task is simply not found: every query runs in the key's
 * tenant schema.
 */
export default class TasksApiController {
  async index(ctx: HttpContext) {
    const qs = ctx.request.qs()
    const page = pageRequestFrom(qs)
    const fields: Record<string, string[]> = {}
    if (qs.status && !TASK_STATUSES.includes(qs.status))
      fields.status = [`One of ${TASK_STATUSES.join(', ')}`]
    if (qs.contact_id && !UUID.test(String(qs.contact_id))) fields.contact_id = ['A contact id']
    if (
      qs.assignee &&
      qs.assignee !== 'none' &&
      !UUID.test(String(qs.assignee)) &&
      !['owner', 'admin', 'agent'].includes(qs.assignee)
    ) {
      fields.assignee = ['A member’s user id, a role (owner, admin, agent) or none']
    }
    if (Object.keys(fields).length) {
      throw new ApiError(422, 'validation_failed', 'The request is invalid', fields)
    }
    const { rows, nextCursor } = await ctx.tenant.transaction((trx) => {
      const query = Task.query({ client: trx })
      if (qs.status) query.where('status', qs.status)
      if (qs.kind) query.where('kind', String(qs.kind))
      if (qs.contact_id) query.where('contact_id', String(qs.contact_id))
      if (qs.assignee === 'none') query.whereNull('assignee_user_id').whereNull('assignee_role')
      else if (qs.assignee && UUID.test(String(qs.assignee)))
        query.where('assignee_user_id', String(qs.assignee))
      else if (qs.assignee) query.where('assignee_role', String(qs.assignee))
      return keysetPage(query, { column: 'created_at', direction: 'desc', page })
    })
    return sendJson(ctx, 200, pageBody(rows.map(presentTask), nextCursor))
  }

  async show(ctx: HttpContext) {
    const task = await findTask(ctx.tenant, ctx.params.id)
    if (!task) throw new ApiError(404, 'not_found', 'No such task')
    return sendJson(ctx, 200, presentTask(task))
  }

  /**
   * Opens a task. The answer (201) carries the task and, when a
   * callback_url was given, the callback_secret that signs the callback:
   * shown here once, never again. With an Idempotency-Key a retried
   * request opens the task once (and replays the same answer).
   */
  async store(ctx: HttpContext) {
    return idempotent(ctx, async () => {
      const data = await validateApiBody(ctx, createTaskBody)
      if (data.callback_url) {
        data.callback_url = await checkTargetUrl(data.callback_url).catch((error) => {
          throw new ApiError(422, 'validation_failed', error.message, {
            callback_url: [error.message],
          })
        })
      }
      const made = await createTask(ctx.tenant, data as any, apiActor(ctx)).catch(asApiError)
      const base = env.get('APP_URL', `${ctx.request.protocol()}://${ctx.request.host()}`)
      return {
        status: 201,
        body: {
          ...presentTask(made.task),
          callback_secret: made.callbackSecret,
          resume_url: `${base}/webhooks/tasks/${ctx.tenant.slug}/${made.resumeToken}`,
        },
        headers: { Location: `/api/v1/tasks/${made.task.id}` },
      }
    })
  }

  /** A decision made elsewhere (Slack through n8n, say): once, or 409 task_already_resolved. */
  async resolve(ctx: HttpContext) {
    const data = await validateApiBody(ctx, resolveTaskBody)
    if (
      data.values !== undefined &&
      (typeof data.values !== 'object' || data.values === null || Array.isArray(data.values))
    ) {
      throw new ApiError(
        422,
        'validation_failed',
        'values is an object of values by component name',
        {
          values: ['An object of values by component name'],
        }
      )
    }
    const task = await resolveTask(
      ctx.tenant,
      ctx.params.id,
      {
        decision: data.decision,
        values: data.values as Record<string, unknown> | undefined,
        comment: data.comment,
        reason: data.reason,
        template: data.template ?? null,
      },
      apiResolver(ctx)
    ).catch(asApiError)
    return sendJson(ctx, 200, presentTask(task))
  }

  async cancel(ctx: HttpContext) {
    const hasBody = ctx.request.is(['json']) && Object.keys(ctx.request.body()).length > 0
    const data = hasBody ? await validateApiBody(ctx, cancelTaskBody) : {}
    const task = await cancelTask(
      ctx.tenant,
      ctx.params.id,
      apiResolver(ctx),
      data.comment ?? null
    ).catch(asApiError)
    return sendJson(ctx, 200, presentTask(task))
  }
}

function apiResolver(ctx: HttpContext): Resolver {
  return {
    by: { type: 'api', id: ctx.apiKey.id, name: ctx.apiKey.name },
    audit: apiActor(ctx),
  }
}

export function asApiError(error: unknown): never {
  if (error instanceof TaskError) {
    throw new ApiError(error.status, error.code, error.message, error.fields ?? undefined)
  }
  throw error
}
