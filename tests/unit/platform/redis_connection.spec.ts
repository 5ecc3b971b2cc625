import { test } from '@japa/runner'
import { assertRedisReachable, redisConnectionFromUrl } from '#app/queue/redis_connection'

test.group('Redis connection settings', () => {
  test('reads host, port, credentials, database and TLS from REDIS_URL', ({ assert }) => {
    const options = redisConnectionFromUrl('rediss://user:p%40ss@cache.internal:6380/3')
    assert.equal(options.host, 'cache.internal')
    assert.equal(options.port, 6380)
    assert.equal(options.username, 'user')
    assert.equal(options.password, 'p@ss')
    assert.equal(options.db, 3)
    assert.deepEqual(options.tls, {})
  })

  test('defaults to database 0 without TLS', ({ assert }) => {
    const options = redisConnectionFromUrl('redis://127.0.0.1:6379')
    assert.equal(options.db, 0)
    assert.isUndefined(options.tls)
  })

  test('an unreachable Redis is one line saying how to start it', async ({ assert }) => {
    try {
      await assertRedisReachable('redis://127.0.0.1:1')
      assert.fail('expected an error')
    } catch (error) {
      const { message } = error as Error
      assert.match(message, /^Redis is not reachable at redis:\/\/127\.0\.0\.1:1 /)
      assert.include(message, 'redis-server --daemonize yes')
      assert.notInclude(message, '\n')
    }
  })
})
