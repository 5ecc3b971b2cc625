import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import { setTimeout as sleep } from 'node:timers/promises'
import { QueueEvents } from 'bullmq'
import type queueConfig from '#config/queue'
import { Contact } from '#modules/inbox/index'
import {
  dispatchTenantJob,
  softDeleteTenant,
  systemActor,
  type TenantContext,
} from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import RecordContactJob from '#tests/fixtures/jobs/record_contact_job'

let events: QueueEvents

async function contactsNamed(context: TenantContext, phone: string) {
  return context.transaction((trx) => Contact.query({ client: trx }).where('phone', phone))
}

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await probe()
    if (value) return value
    await sleep(100)
  }
  throw new Error('timed out waiting for the job')
}

test.group('Tenant jobs', (group) => {
  group.setup(async () => {
    const workers = await app.container.make('queue.workers')
    workers.start()
    const config = app.config.get<typeof queueConfig>('queue')
    events = new QueueEvents('default', {
      connection: config.defaultConnection,
      prefix: config.queue.prefix,
    })
    await events.waitUntilReady()
    return async () => {
      await workers.stop()
      await events.close()
    }
  })

  test('a worker restores the tenant from the payload slug and writes into its schema', async ({
    assert,
    cleanup,
  }) => {
    const a = await makeTenant('job-a')
    const b = await makeTenant('job-b')
    cleanup(a.cleanup)
    cleanup(b.cleanup)

    const job = await dispatchTenantJob(RecordContactJob, a.context, { phone: '+15551230001' })
    assert.equal(job.data.tenant, a.tenant.slug)
    assert.deepEqual(Object.keys(job.data).sort(), ['phone', 'tenant'])

    const rows = await waitFor(async () => {
      const found = await contactsNamed(a.context, '+15551230001')
      return found.length ? found : null
    })
    assert.equal(rows[0].name, a.tenant.slug)
    assert.lengthOf(await contactsNamed(b.context, '+15551230001'), 0)
  })

  test('running the same job twice leaves one result', async ({ assert, cleanup }) => {
    const { context, cleanup: remove } = await makeTenant('job-twice')
    cleanup(remove)
    const first = await dispatchTenantJob(RecordContactJob, context, { phone: '+15551230002' })
    const second = await dispatchTenantJob(RecordContactJob, context, { phone: '+15551230002' })
    await Promise.all([first, second].map((job) => job.waitUntilFinished(events, 20_000)))
    assert.lengthOf(await contactsNamed(context, '+15551230002'), 1)
  })

  test('a job for a tenant deleted while it waited completes without touching data', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, cleanup: remove } = await makeTenant('job-gone')
    cleanup(remove)
    await softDeleteTenant(tenant, systemActor)
    const job = await dispatchTenantJob(RecordContactJob, context, { phone: '+15551230003' })
    await job.waitUntilFinished(events, 20_000)
    assert.equal(await job.getState(), 'completed')
  })
})
