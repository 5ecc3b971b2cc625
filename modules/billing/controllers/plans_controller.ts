import { tenantCountsByPlan, consoleNav } from '#modules/tenancy/index'
import type { HttpContext } from '@adonisjs/core/http'
import type { Infer } from '@vinejs/vine/types'
import { actorFromRequest } from '#modules/identity/index'
import Plan from '../models/plan.js'
import { PLAN_LIMITS, createPlan, updatePlan, type PlanInput } from '../services/plan_service.js'
import { planValidator } from '../validators/plan_validator.js'

function toInput(data: Infer<typeof planValidator>): PlanInput {
  return {
    name: data.name,
    slug: data.slug,
    priceLabel: data.price_label ?? null,
    maxSeats: data.max_seats ?? null,
    maxChannels: data.max_channels ?? null,
    maxConversationsPerMonth: data.max_conversations_per_month ?? null,
    maxAiAnswersPerMonth: data.max_ai_answers_per_month ?? null,
    maxKnowledgeMb: data.max_knowledge_mb ?? null,
    apiRequestsPerMinute: data.api_requests_per_minute ?? null,
    isDefault: data.is_default ?? false,
  }
}

export default class PlansController {
  async index({ view, i18n }: HttpContext) {
    const [plans, usage] = await Promise.all([
      Plan.query().orderBy('is_default', 'desc').orderBy('name'),
      tenantCountsByPlan(),
    ])
    const tenants = Object.fromEntries(usage)
    return view.render('billing::plans/index', {
      plans,
      tenants,
      limits: PLAN_LIMITS,
      nav: consoleNav((key) => i18n.t(key), 'plans'),
    })
  }

  async create({ view, i18n }: HttpContext) {
    return view.render('billing::plans/form', {
      plan: null,
      nav: consoleNav((key) => i18n.t(key), 'plans'),
    })
  }

  async store(ctx: HttpContext) {
    const { request, response, session, i18n } = ctx
    const data = await request.validateUsing(planValidator, { meta: { planId: null } })
    const plan = await createPlan(toInput(data), actorFromRequest(ctx))
    session.flash('success', i18n.t('billing.plans.created', { name: plan.name }))
    return response.redirect('/admin/plans')
  }

  async edit({ params, view, i18n }: HttpContext) {
    const plan = await Plan.findOrFail(params.id)
    return view.render('billing::plans/form', {
      plan,
      nav: consoleNav((key) => i18n.t(key), 'plans'),
    })
  }

  async update(ctx: HttpContext) {
    const { params, request, response, session, i18n } = ctx
    const plan = await Plan.findOrFail(params.id)
    const data = await request.validateUsing(planValidator, { meta: { planId: plan.id } })
    await updatePlan(plan, toInput(data), actorFromRequest(ctx))
    session.flash('success', i18n.t('billing.plans.updated', { name: plan.name }))
    return response.redirect('/admin/plans')
  }
}
