import db from '@adonisjs/lucid/services/db'
import { recordAudit, type AuditActor } from '#modules/tenancy/index'
import Plan from '../models/plan.js'

export interface PlanInput {
  name: string
  slug: string
  priceLabel: string | null
  maxSeats: number | null
  maxChannels: number | null
  maxConversationsPerMonth: number | null
  maxAiAnswersPerMonth: number | null
  maxKnowledgeMb: number | null
  apiRequestsPerMinute: number | null
  isDefault: boolean
}

/** The limits a plan sets, in display order; null means unlimited. */
export const PLAN_LIMITS = [
  'maxSeats',
  'maxChannels',
  'maxConversationsPerMonth',
  'maxAiAnswersPerMonth',
  'maxKnowledgeMb',
] as const

export async function createPlan(input: PlanInput, actor: AuditActor) {
  return save(new Plan(), input, actor, 'plan.created')
}

export async function updatePlan(plan: Plan, input: PlanInput, actor: AuditActor) {
  return save(plan, input, actor, 'plan.updated')
}

/**
 * Writes the plan. Marking it the default takes the mark from every other
 * plan in the same transaction (a partial unique index allows one).
 */
async function save(plan: Plan, input: PlanInput, actor: AuditActor, action: string) {
  await db.transaction(async (trx) => {
    if (input.isDefault) {
      const others = Plan.query({ client: trx }).where('is_default', true)
      if (plan.$isPersisted) others.whereNot('id', plan.id)
      await others.update({ is_default: false, updated_at: new Date() })
    }
    plan.useTransaction(trx)
    plan.merge(input)
    await plan.save()
    await recordAudit(
      actor,
      {
        action,
        subjectType: 'plan',
        subjectId: plan.id,
        metadata: { slug: plan.slug, name: plan.name, is_default: plan.isDefault },
      },
      trx
    )
  })
  return plan
}
