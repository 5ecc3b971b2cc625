import hash from '@adonisjs/core/services/hash'
import db from '@adonisjs/lucid/services/db'
import { Plan } from '#modules/billing/index'
import { User } from '#modules/identity/index'
import { provisionTenant, systemActor, Tenant } from '#modules/tenancy/index'

/**
 * Demo logins for development. Never seeded in production.
 */
export const DEMO = {
  superAdmin: { email: 'admin@flomastr.test', password: 'flomastr-admin', name: 'Platform Admin' },
  owner: { email: 'owner@demo.flomastr.test', password: 'flomastr-demo', name: 'Dana Owner' },
  tenant: { slug: 'demo', name: 'Demo Insurance Brokers' },
}

const MARKER = 'demo_seeded'

/**
 * Seeds the plan catalogue, a super admin and a demo tenant once per
 * database. A marker row remembers it was done, so deleting the demo tenant
 * later does not bring it back on the next start. Returns false when it had
 * already run.
 */
export async function seedDemo(): Promise<boolean> {
  const marker = await db.from('platform_state').where('key', MARKER).first()
  if (marker) return false

  await seedPlans()

  if (!(await User.findByEmail(DEMO.superAdmin.email))) {
    await User.create({
      email: DEMO.superAdmin.email,
      name: DEMO.superAdmin.name,
      password: await hash.make(DEMO.superAdmin.password),
      locale: 'en',
      timezone: 'UTC',
      isSuperAdmin: true,
    })
  }

  const existing = await Tenant.findBy('slug', DEMO.tenant.slug)
  if (!existing || existing.status === 'provisioning') {
    await provisionTenant({ ...DEMO.tenant, owner: DEMO.owner }, systemActor)
  }

  await db.rawQuery(
    `insert into platform_state (key, value) values (?, ?) on conflict (key) do nothing`,
    [MARKER, JSON.stringify({ at: new Date().toISOString() })]
  )
  return true
}

async function seedPlans() {
  const plans = [
    {
      slug: 'starter',
      name: 'Starter',
      priceLabel: '$29 / month',
      maxSeats: 3,
      maxChannels: 1,
      maxConversationsPerMonth: 1000,
      maxAiAnswersPerMonth: 500,
      maxKnowledgeMb: 50,
      isDefault: true,
    },
    {
      slug: 'growth',
      name: 'Growth',
      priceLabel: '$99 / month',
      maxSeats: 10,
      maxChannels: 3,
      maxConversationsPerMonth: 10000,
      maxAiAnswersPerMonth: 5000,
      maxKnowledgeMb: 500,
      isDefault: false,
    },
  ]
  for (const plan of plans) {
    await Plan.updateOrCreate({ slug: plan.slug }, plan)
  }
}
