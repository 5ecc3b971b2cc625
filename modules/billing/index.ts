/*
| Billing owns plans and their limits, usage metering and quota enforcement
| (and, as it grows, subscriptions). Other modules read plans, ask whether a
| creation fits and register the meters of what they own through here.
*/
import './permissions.js'
import Plan from './models/plan.js'

export { Plan }

/**
 * The plan a new tenant starts on, if the platform has marked one.
 */
export async function findDefaultPlan(): Promise<Plan | null> {
  return Plan.query().where('is_default', true).first()
}

/** Every plan, by name (the console's lists and pickers). */
export async function listPlans(): Promise<Plan[]> {
  return Plan.query().orderBy('name')
}

/** Plans by id, for showing the plans of a page of tenants. */
export async function plansByIds(ids: string[]): Promise<Plan[]> {
  return ids.length ? Plan.query().whereIn('id', ids) : []
}

export async function findPlan(id: string): Promise<Plan | null> {
  return Plan.find(id)
}

/**
 * The limits a tenant's plan sets; null fields are unlimited, and a tenant
 * on no plan has no limits.
 */
export async function planLimitsFor(planId: string | null) {
  const plan = planId ? await Plan.find(planId) : null
  return {
    seats: plan?.maxSeats ?? null,
    channels: plan?.maxChannels ?? null,
    conversationsPerMonth: plan?.maxConversationsPerMonth ?? null,
    aiAnswersPerMonth: plan?.maxAiAnswersPerMonth ?? null,
    knowledgeMb: plan?.maxKnowledgeMb ?? null,
  }
}

export {
  LIMITS,
  PlanLimitError,
  planLimitMessage,
  registerUsageMeter,
  limitGuard,
  recordMonthlyUsage,
  useMonthlyAllowance,
  isWithinMonthlyLimit,
  usageChanged,
  forgetTenantUsage,
  usageFor,
  planOfTenant,
  usagePeriod,
  type LimitName,
  type LimitUsage,
  type UsageMeter,
} from './services/usage_service.js'
export { registerBillingListeners } from './listeners.js'
