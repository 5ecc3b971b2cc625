import { test } from '@japa/runner'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import db from '@adonisjs/lucid/services/db'
import { embeddedDatabase } from '#config/database'
import { EmbeddedPostgres } from '#app/database/embedded_postgres'
import { assertServerReady } from '#app/database/server_checks'
import { runAce } from '#tests/helpers/ace'
import { makeTenant } from '#tests/helpers/tenants'

test.group('Database modes', () => {
  test('pgvector works: cosine distance between stored vectors', async ({ assert }) => {
    const result = await db.rawQuery(
      `select (extensions.vector '[1,0,0]' OPERATOR(extensions.<=>) extensions.vector '[0,1,0]')::float as d`
    )
    assert.closeTo(result.rows[0].d, 1, 1e-9)
  })

  test('concurrent parameterised queries on many connections each get their own answer', async ({
    assert,
  }) => {
    // Separate pg clients, no transactions: on the embedded database every
    // connection shares one PGlite session, so a server that let their
    // Parse/Bind/Execute messages interleave would hand rows to the wrong query.
    const { host, port, user, password, database, connectionString } = db.manager.get('main')!
      .config.connection as Record<string, any>
    const clients = Array.from(
      { length: 8 },
      () =>
        new pg.Client(
          connectionString ? { connectionString } : { host, port, user, password, database }
        )
    )
    await Promise.all(clients.map((client) => client.connect()))
    try {
      const wrong: string[] = []
      await Promise.all(
        clients.map(async (client, c) => {
          for (let i = 0; i < 60; i++) {
            const tag = `c${c}-q${i}`
            const result = await client.query('select $1::text as tag, $2::int * 2 as twice', [
              tag,
              i,
            ])
            if (result.rows[0]?.tag !== tag || result.rows[0]?.twice !== i * 2) {
              wrong.push(`${tag} got ${JSON.stringify(result.rows)}`)
            }
          }
        })
      )
      assert.deepEqual(wrong, [])
    } finally {
      await Promise.all(clients.map((client) => client.end()))
    }
  })

  test('a second process reaches the same database (shares the embedded one)', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('shared')
    cleanup(remove)
    const listed = await runAce(['tenants:list', '--json'])
    assert.equal(listed.code, 0, listed.stderr)
    const slugs = JSON.parse(listed.stdout.trim()).map((t: { slug: string }) => t.slug)
    assert.include(slugs, tenant.slug)
  }).timeout(60_000)

  test('an embedded data directory whose owner crashed is taken over, not refused', async ({
    assert,
  }) => {
    if (!embeddedDatabase.enabled) return assert.isTrue(true)
    const dir = mkdtempSync(join(tmpdir(), 'flomastr-db-'))
    const dataDir = join(dir, 'db')
    // A lock left by a process that no longer exists.
    writeFileSync(`${dataDir}.lock`, JSON.stringify({ pid: 2 ** 22 + 17, port: 1, startedAt: '' }))
    const embedded = new EmbeddedPostgres(dataDir)
    try {
      const endpoint = await embedded.start()
      assert.isTrue(endpoint.owned)
      const client = new pg.Client({
        host: endpoint.host,
        port: endpoint.port,
        user: 'postgres',
        database: 'postgres',
      })
      await client.connect()
      const { rows } = await client.query('select 41 + 1 as answer')
      await client.end()
      assert.equal(rows[0].answer, 42)
    } finally {
      await embedded.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }).timeout(60_000)

  test('an unreachable server is one line naming the address', async ({ assert }) => {
    try {
      await assertServerReady('postgres://postgres@127.0.0.1:1/flomastr')
      assert.fail('expected an error')
    } catch (error) {
      const { message } = error as Error
      assert.match(message, /^PostgreSQL at 127\.0\.0\.1:1\/flomastr is not reachable/)
      assert.notInclude(message, '\n')
    }
  })
})
