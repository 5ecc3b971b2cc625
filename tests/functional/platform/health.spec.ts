import { test } from '@japa/runner'

test.group('Health endpoints', () => {
  test('GET /health answers without touching dependencies', async ({ client }) => {
    const response = await client.get('/health')
    response.assertStatus(200)
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
