import { test } from '@japa/runner'
import { setTimeout as sleep } from 'node:timers/promises'
import { Contact } from '#modules/inbox/index'
import { dispatchTenantJob, type TenantContext } from '#modules/tenancy/index'
import RecordContactJob from '#tests/fixtures/jobs/record_contact_job'
import { makeTenant } from '#tests/helpers/tenants'
import { freePort, startServerProcess } from '#tests/helpers/server_process'

async function hasContact(context: TenantContext, phone: string) {
  const rows = await context.transaction((trx) =>
    Contact.query({ client: trx }).where('phone', phone)
  )
  return rows.length > 0
}

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await probe()) return true
    await sleep(150)
  }
  return false
}

test.group('APP_ROLE', () => {
  test('a worker process runs queued tenant jobs and stops cleanly on SIGTERM', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: remove } = await makeTenant('role-w')
    cleanup(remove)
    const server = startServerProcess({ APP_ROLE: 'worker', PORT: String(await freePort()) })
    cleanup(async () => {
      await server.stop()
    })

    await dispatchTenantJob(RecordContactJob, context, { phone: '+15557770001' })
    assert.isTrue(
      await waitUntil(() => hasContact(context, '+15557770001'), 45_000),
      server.output()
    )
    assert.equal(await server.stop(), 0, server.output())
  }).timeout(90_000)

  test('a web process serves HTTP and leaves jobs to workers', async ({ assert, cleanup }) => {
    const { context, cleanup: remove } = await makeTenant('role-web')
    cleanup(remove)
    const port = await freePort()
    const server = startServerProcess({ APP_ROLE: 'web', PORT: String(port) })
    cleanup(async () => {
      await server.stop()
    })

    const live = await waitUntil(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/health`)).ok
      } catch {
        return false
      }
    }, 45_000)
    assert.isTrue(live, server.output())

    const job = await dispatchTenantJob(RecordContactJob, context, { phone: '+15557770002' })
    await sleep(2_000)
    assert.equal(await job.getState(), 'waiting')
    assert.isFalse(await hasContact(context, '+15557770002'))
    await job.remove()
  }).timeout(90_000)

  test('with Redis unreachable the process exits with one line saying how to start it', async ({
    assert,
  }) => {
    const server = startServerProcess({
      APP_ROLE: 'all',
      PORT: String(await freePort()),
      REDIS_URL: 'redis://127.0.0.1:1',
    })
    const code = await server.exited
    assert.equal(code, 1)
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.includes('Redis'))
    assert.lengthOf(lines, 1, server.output())
    assert.match(
      lines[0],
      /^FloMastr cannot start: Redis is not reachable at redis:\/\/127\.0\.0\.1:1 .*redis-server --daemonize yes/
    )
  }).timeout(60_000)
})
