import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'

test.group('Health endpoints', () => {
  test('GET /health answers without touching dependencies', async ({ client, assert }) => {
    const sessionsBefore = await db.from('sessions').count('* as total')
    for (const path of ['/health', '/health/ready']) {
      const response = await client.get(path)
      response.assertStatus(200)
      // A probe every few seconds must not leave a session row (or cookie) each time.
      assert.notProperty(response.headers(), 'set-cookie', path)
    }
    assert.deepEqual(await db.from('sessions').count('* as total'), sessionsBefore)
    const response = await client.get('/health')
    response.assertBodyContains({ status: 'ok' })
  })

  test('GET /health/ready reports database, Redis and migrations', async ({ client, assert }) => {
    const response = await client.get('/health/ready')
    response.assertStatus(200)
    const body = response.body()
    assert.equal(body.status, 'ready')
    assert.isTrue(body.checks.database.ok)
    assert.isTrue(body.checks.redis.ok)
    assert.isTrue(body.checks.migrations.ok)
    assert.deepEqual(body.checks.migrations.pending_central, [])
    assert.equal(body.checks.migrations.tenants_behind, 0)
  })
})
