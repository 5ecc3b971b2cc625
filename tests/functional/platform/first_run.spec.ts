import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { Plan } from '#modules/billing/index'
import { User } from '#modules/identity/index'
import { Tenant } from '#modules/tenancy/index'
import { DEMO, seedDemo } from '#database/seeders/demo_seeder'
import { destroyTenant } from '#tests/helpers/tenants'

test.group('First run seed', () => {
  test('seeds plans, a super admin and the demo tenant once, and never again', async ({
    assert,
  }) => {
    await db.from('platform_state').where('key', 'demo_seeded').delete()
    await destroyTenant(DEMO.tenant.slug)

    assert.isTrue(await seedDemo())
    const admin = await User.findByEmail(DEMO.superAdmin.email)
    assert.isTrue(admin?.isSuperAdmin)
    const demo = await Tenant.findByOrFail('slug', DEMO.tenant.slug)
    assert.equal(demo.status, 'active')
    const starter = await Plan.findByOrFail('slug', 'starter')
    assert.equal(demo.planId, starter.id)

    // Someone deletes the demo tenant; the next start must not bring it back.
    await destroyTenant(DEMO.tenant.slug)
    assert.isFalse(await seedDemo())
    assert.isNull(await Tenant.findBy('slug', DEMO.tenant.slug))
  })
})
