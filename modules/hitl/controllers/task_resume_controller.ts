import type { HttpContext } from '@adonisjs/core/http'
import { findUsableTenant, contextFor } from '#modules/tenancy/index'
import { ApiError, renderApiError, sendJson, validateApiBody } from '#app/http/api/index'
import { findTaskByResumeToken, resolveTask } from '../services/task_service.js'
import { presentTask } from '../services/task_presenter.js'
import { resolveTaskBody } from '../validators/task_validator.js'
import { asApiError } from './api/tasks_api_controller.js'

/**
 * The single-use resume link of a task (`resume_url` in the create
 * answer): a POST `{decision, values?, comment?}` resolves the task with no
 * API key, for a step (an n8n Wait node's form, a Slack button) that only
 * has a URL. Single use because a task resolves once: after that the link
 * answers 409, and an unknown token 404 (never says whether a task exists).
 */
export default class TaskResumeController {
  async resume(ctx: HttpContext) {
    // Outside /api/, so errors are rendered here in the API's shape.
    try {
      return await this.#resume(ctx)
    } catch (error) {
      return renderApiError(error, ctx)
    }
  }

  async #resume(ctx: HttpContext) {
    const tenant = await findUsableTenant(ctx.params.slug)
    const context = tenant ? contextFor(tenant) : null
    const task = context ? await findTaskByResumeToken(context, String(ctx.params.token)) : null
    if (!context || !task) throw new ApiError(404, 'not_found', 'No such task link')
    const data = await validateApiBody(ctx, resolveTaskBody)
    const resolved = await resolveTask(
      context,
      task.id,
      {
        decision: data.decision,
        values: (data.values ?? undefined) as Record<string, unknown> | undefined,
        comment: data.comment,
        reason: data.reason,
        template: data.template ?? null,
      },
      {
        by: { type: 'link', id: null, name: 'resume link' },
        audit: {
          userId: null,
          label: 'task resume link',
          source: ctx.request.ip(),
          userAgent: ctx.request.header('user-agent') ?? null,
        },
      }
    ).catch(asApiError)
    return sendJson(ctx, 200, presentTask(resolved))
  }
}
