import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { createTask, sweepExpiredTasks, type NewTask } from '#modules/hitl/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { resetExpirySchedule, scheduledExpiry } from '#modules/hitl/services/expiry_schedule'
import { makeTenant } from '#tests/helpers/tenants'
import { replyTask } from './hitl_fixtures.js'

/*
| The expiry sweep reads only the workspaces that have a task due (a Redis
| sorted set of each workspace's next expiry), so a minute with nothing due
| costs one Redis call, not one query per workspace. Real PostgreSQL and
| Redis; the schedule is rebuilt from the databases when it is lost.
*/

async function openExpiring(context: TenantContext, inMinutes: number) {
  const { task } = await createTask(
    context,
    replyTask({ expires_at: DateTime.now().plus({ minutes: inMinutes }).toISO() }) as NewTask,
    systemActor
  )
  return task
}

async function statusOf(context: TenantContext, id: string) {
  const row = await db.from('hitl_tasks').withSchema(context.schema).where('id', id).first()
  return row.status as string
}

test.group('Task expiry schedule', (group) => {
  group.each.setup(() => resetExpirySchedule())

  test('after the rebuilding pass, a sweep with nothing due reads no workspace', async ({
    assert,
    cleanup,
  }) => {
    const made = await Promise.all([makeTenant('expa'), makeTenant('expb'), makeTenant('expc')])
    for (const m of made) cleanup(m.cleanup)
    const tasks = await Promise.all(made.map((m) => openExpiring(m.context, 60)))

    // The schedule was lost (reset): the first sweep reads every active workspace.
    const first = await sweepExpiredTasks()
    assert.isTrue(first.full)
    assert.isAtLeast(first.tenants, 3)
    for (const [i, m] of made.entries()) {
      const at = await scheduledExpiry(m.tenant.id)
      assert.equal(at?.getTime(), tasks[i].expiresAt!.toMillis())
    }

    const second = await sweepExpiredTasks()
    assert.deepEqual(second, { resolved: 0, tenants: 0, full: false })
  })

  test('a due workspace alone is swept, and scheduled for its next expiry', async ({
    assert,
    cleanup,
  }) => {
    const a = await makeTenant('expdue')
    const b = await makeTenant('expnot')
    cleanup(a.cleanup)
    cleanup(b.cleanup)
    await sweepExpiredTasks() // rebuilds the schedule
    const soon = await openExpiring(a.context, 1)
    const later = await openExpiring(a.context, 120)
    const other = await openExpiring(b.context, 60)
    // Opening a sooner task lowered A's next expiry to it.
    assert.equal((await scheduledExpiry(a.tenant.id))?.getTime(), soon.expiresAt!.toMillis())

    const inFiveMinutes = DateTime.now().plus({ minutes: 5 }).toJSDate()
    const swept = await sweepExpiredTasks(inFiveMinutes)
    assert.isFalse(swept.full)
    assert.equal(swept.tenants, 1)
    assert.equal(swept.resolved, 1)
    assert.equal(await statusOf(a.context, soon.id), 'expired')
    assert.equal(await statusOf(a.context, later.id), 'pending')
    assert.equal(await statusOf(b.context, other.id), 'pending')
    assert.equal((await scheduledExpiry(a.tenant.id))?.getTime(), later.expiresAt!.toMillis())
    // Nothing else due then.
    assert.equal((await sweepExpiredTasks(inFiveMinutes)).tenants, 0)
  })

  test('a workspace with no expiring task left leaves the schedule', async ({
    assert,
    cleanup,
  }) => {
    const a = await makeTenant('expgone')
    cleanup(a.cleanup)
    await sweepExpiredTasks()
    const task = await openExpiring(a.context, 1)
    assert.isNotNull(await scheduledExpiry(a.tenant.id))
    await sweepExpiredTasks(DateTime.now().plus({ minutes: 2 }).toJSDate())
    assert.equal(await statusOf(a.context, task.id), 'expired')
    assert.isNull(await scheduledExpiry(a.tenant.id))
  })
})
