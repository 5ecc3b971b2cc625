/*
| Billing owns plans and their limits (and, as it grows, subscriptions, usage
| metering and quota enforcement). Other modules read plans through here.
*/
import Plan from './models/plan.js'

export { Plan }

/**
 * The plan a new tenant starts on, if the platform has marked one.
 */
export async function findDefaultPlan(): Promise<Plan | null> {
  return Plan.query().where('is_default', true).first()
}
