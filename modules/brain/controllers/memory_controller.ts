import type { HttpContext } from '@adonisjs/core/http'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { errors as vineErrors } from '@vinejs/vine'
import { can } from '#modules/identity/index'
import { workspaceLayout } from '#modules/tenancy/index'
import { findContact } from '#modules/inbox/index'
import { FACT_KINDS } from '../services/memory.js'
import {
  MemoryError,
  addFact,
  deleteFact,
  memoryPanel,
  saveSummary,
  updateFact,
} from '../services/memory/editing.js'
import {
  factValidator,
  summaryValidator,
  MAX_FACT_VALUE,
  MAX_SUMMARY,
} from '../validators/memory_validator.js'
import { wantsFragment } from '#app/http/htmx'

/** Which form of the panel a refusal belongs to: 'summary', 'new' or a fact's id. */
interface FormProblem {
  form: string
  errors: Record<string, string>
  typed: Record<string, string>
}

/**
 * A contact's conversational memory, in the inbox's contact panel (loaded
 * by htmx) and on a page of its own (the same panel, for browsers without
 * JavaScript). Whoever sees contacts reads it; agents and up correct it.
 * An htmx request gets the panel back in place, refusals included; a plain
 * form post is redirected to the memory page, which shows them.
 */
export default class MemoryController {
  async show(ctx: HttpContext) {
    await ctx.bouncer.with('MemoryPolicy').authorize('view', ctx.access)
    return this.#render(ctx, ctx.session.flashMessages.get('memoryProblem') ?? null)
  }

  async summary(ctx: HttpContext) {
    await ctx.bouncer.with('MemoryPolicy').authorize('edit', ctx.access)
    const { data, problem } = await this.#validate(ctx, 'summary', () =>
      ctx.request.validateUsing(summaryValidator)
    )
    if (!data) return this.#refused(ctx, problem)
    await saveSummary(ctx.tenant, ctx.params.id, data.summary ?? '', ctx.auth.user!.id).catch(
      (error) => this.#notFound(error)
    )
    return this.#done(
      ctx,
      data.summary ? 'memory.flash.summary_saved' : 'memory.flash.summary_cleared'
    )
  }

  async addFact(ctx: HttpContext) {
    await ctx.bouncer.with('MemoryPolicy').authorize('edit', ctx.access)
    const { data, problem } = await this.#validate(ctx, 'new', () =>
      ctx.request.validateUsing(factValidator)
    )
    if (!data) return this.#refused(ctx, problem)
    await addFact(ctx.tenant, ctx.params.id, data).catch((error) => this.#notFound(error))
    return this.#done(ctx, 'memory.flash.fact_added')
  }

  async updateFact(ctx: HttpContext) {
    await ctx.bouncer.with('MemoryPolicy').authorize('edit', ctx.access)
    const { id, factId } = ctx.params
    const { data, problem } = await this.#validate(ctx, factId, () =>
      ctx.request.validateUsing(factValidator)
    )
    if (!data) return this.#refused(ctx, problem)
    try {
      await updateFact(ctx.tenant, id, factId, data)
    } catch (error) {
      if (!(error instanceof MemoryError) || error.code !== 'duplicate_fact') {
        return this.#notFound(error)
      }
      return this.#refused(ctx, {
        form: factId,
        errors: { value: ctx.i18n.t('memory.errors.duplicate_fact') },
        typed: { kind: data.kind, value: data.value },
      })
    }
    return this.#done(ctx, 'memory.flash.fact_saved')
  }

  async destroyFact(ctx: HttpContext) {
    await ctx.bouncer.with('MemoryPolicy').authorize('edit', ctx.access)
    await deleteFact(ctx.tenant, ctx.params.id, ctx.params.factId).catch((error) =>
      this.#notFound(error)
    )
    return this.#done(ctx, 'memory.flash.fact_deleted')
  }

  /** The validated form, or the refusal to answer with. */
  async #validate<T>(
    ctx: HttpContext,
    form: string,
    validate: () => Promise<T>
  ): Promise<{ data: T; problem: null } | { data: null; problem: FormProblem }> {
    try {
      return { data: await validate(), problem: null }
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
      const fieldErrors: Record<string, string> = {}
      for (const message of error.messages as Array<{ field: string; message: string }>) {
        fieldErrors[message.field] ??= message.message
      }
      const problem: FormProblem = {
        form,
        errors: fieldErrors,
        typed: {
          summary: String(ctx.request.input('summary') ?? '').slice(0, MAX_SUMMARY * 2),
          kind: String(ctx.request.input('kind') ?? ''),
          value: String(ctx.request.input('value') ?? '').slice(0, MAX_FACT_VALUE * 2),
        },
      }
      return { data: null, problem }
    }
  }

  #memoryPath(ctx: HttpContext) {
    return `${workspaceLayout(ctx, 'contacts').base}/contacts/${ctx.params.id}/memory`
  }

  async #refused(ctx: HttpContext, problem: FormProblem) {
    if (wantsFragment(ctx.request)) return this.#render(ctx, problem)
    ctx.session.flash('memoryProblem', problem)
    ctx.session.flash('error', ctx.i18n.t('memory.errors.not_saved'))
    return ctx.response.redirect(`${this.#memoryPath(ctx)}#memory-${problem.form}`)
  }

  async #done(ctx: HttpContext, notice: string) {
    if (wantsFragment(ctx.request)) return this.#render(ctx, null, ctx.i18n.t(notice))
    ctx.session.flash('success', ctx.i18n.t(notice))
    return ctx.response.redirect(this.#memoryPath(ctx))
  }

  #notFound(error: unknown): never {
    if (error instanceof MemoryError && error.code === 'not_found') {
      throw new lucidErrors.E_ROW_NOT_FOUND()
    }
    throw error
  }

  async #render(ctx: HttpContext, problem: FormProblem | null, notice: string | null = null) {
    const { tenant, params, access, view } = ctx
    const memory = await memoryPanel(tenant, params.id)
    if (!memory) throw new lucidErrors.E_ROW_NOT_FOUND()
    const layout = workspaceLayout(ctx, 'contacts')
    const data = {
      base: layout.base,
      memory,
      kinds: FACT_KINDS,
      canEdit: can(access, 'memory.edit'),
      // By form, for the template: problems.summary, problems.new, problems[factId].
      problems: problem ? { any: true, [problem.form]: problem } : { any: false },
      notice,
      limits: { summary: MAX_SUMMARY, value: MAX_FACT_VALUE },
    }
    if (wantsFragment(ctx.request)) return view.render('brain::memory/_panel', data)
    const found = await findContact(tenant, params.id)
    const contact = found?.contact
    const label = contact?.name || contact?.profileName || contact?.phone || contact?.email || ''
    // The panel's look is the inbox's side panel.
    return view.render('brain::memory/show', {
      ...layout,
      ...data,
      contactLabel: label,
      stylesheets: ['/assets/inbox.css'],
    })
  }
}
