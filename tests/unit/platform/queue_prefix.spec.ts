import { test } from '@japa/runner'
import { resolve } from 'node:path'
import { databaseIdentity, queuePrefixFor } from '#app/queue/queue_prefix'

const prefix = (databaseUrl: string | undefined, embeddedDataDir = 'tmp/db') =>
  queuePrefixFor('flomastr', { databaseUrl, embeddedDataDir })

test.group('Queue prefix from the database', () => {
  test('apps on different databases get different prefixes', ({ assert }) => {
    const prefixes = [
      prefix('postgres://app@db.internal:5432/flomastr'),
      prefix('postgres://app@db.internal:5432/flomastr_staging'),
      prefix('postgres://app@db2.internal:5432/flomastr'),
      prefix('postgres://app@db.internal:5433/flomastr'),
      prefix(undefined, 'tmp/db'),
      prefix(undefined, '/srv/other-checkout/tmp/db'),
    ]
    assert.lengthOf(new Set(prefixes), prefixes.length)
    for (const value of prefixes) assert.match(value, /^flomastr:[0-9a-f]{10}$/)
  })

  test('the same database gets the same prefix, whatever the credentials or spelling', ({
    assert,
  }) => {
    const same = [
      prefix('postgres://app:first-secret@db.internal:5432/flomastr'),
      prefix('postgres://app:rotated-secret@DB.internal:5432/flomastr?sslmode=require'),
      prefix('postgresql://reporting@db.internal/flomastr'),
    ]
    assert.lengthOf(new Set(same), 1)
    // The embedded database is its directory, however it is written.
    assert.equal(prefix(undefined, 'tmp/db'), prefix(undefined, resolve('tmp/db')))
    assert.equal(prefix(undefined, 'tmp/db'), prefix('', './tmp/../tmp/db'))
  })

  test('the identity names no password', ({ assert }) => {
    const identity = databaseIdentity({
      databaseUrl: 'postgres://app:hunter2@db.internal/flomastr',
      embeddedDataDir: 'tmp/db',
    })
    assert.equal(identity, 'server:db.internal:5432/flomastr')
    assert.notInclude(
      databaseIdentity({
        databaseUrl: 'host=db.internal dbname=flomastr password=hunter2',
        embeddedDataDir: '',
      }),
      'hunter2'
    )
  })
})
