import { test } from '@japa/runner'
import { Contact } from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'

/**
 * Works one tenant's contacts through the model and the query builder,
 * recording every row it reads that is not its own.
 */
async function operate(tenant: TenantContext, step: number, foreign: string[]) {
  const kind = step % 4
  if (kind === 0) {
    await tenant.transaction((trx) =>
      Contact.create(
        { phone: `+1555${String(step).padStart(7, '0')}`, name: tenant.slug, source: 'test' },
        { client: trx }
      )
    )
    return 'write'
  }
  if (kind === 1) {
    const rows = await tenant.transaction((trx) => Contact.query({ client: trx }).limit(50))
    for (const row of rows) if (row.name !== tenant.slug) foreign.push(row.name ?? '?')
    return 'read'
  }
  if (kind === 2) {
    const rows = await tenant.transaction((trx) =>
      trx.from('contacts').select('name').orderBy('created_at', 'desc').limit(20)
    )
    for (const row of rows) if (row.name !== tenant.slug) foreign.push(row.name)
    return 'read'
  }
  const counted = await tenant.transaction(async (trx) => {
    const result = await trx.rawQuery('select name, count(*)::int as n from contacts group by name')
    return result.rows as Array<{ name: string; n: number }>
  })
  for (const row of counted) if (row.name !== tenant.slug) foreign.push(row.name)
  return 'read'
}

test.group('Tenant isolation', () => {
  test("two tenants working at once never see each other's rows (600 interleaved operations)", async ({
    assert,
    cleanup,
  }) => {
    const a = await makeTenant('iso-a')
    const b = await makeTenant('iso-b')
    cleanup(a.cleanup)
    cleanup(b.cleanup)

    const foreign: string[] = []
    const operations = 600
    const inFlight = 16
    let writes = { a: 0, b: 0 }

    for (let start = 0; start < operations; start += inFlight) {
      const batch = []
      for (let i = start; i < Math.min(start + inFlight, operations); i++) {
        const useA = i % 2 === 0
        const context = useA ? a.context : b.context
        batch.push(
          operate(context, Math.floor(i / 2) + (useA ? 0 : 1_000_000), foreign).then((kind) => {
            if (kind === 'write')
              writes = useA ? { ...writes, a: writes.a + 1 } : { ...writes, b: writes.b + 1 }
          })
        )
      }
      await Promise.all(batch)
    }

    assert.deepEqual(foreign, [], 'rows of the other tenant were read')
    const countA = await a.context.transaction((trx) =>
      Contact.query({ client: trx }).count('* as n')
    )
    const countB = await b.context.transaction((trx) =>
      Contact.query({ client: trx }).count('* as n')
    )
    assert.equal(Number(countA[0].$extras.n), writes.a)
    assert.equal(Number(countB[0].$extras.n), writes.b)
    assert.isAbove(writes.a, 50)
  }).timeout(180_000)

  test('a tenant model used outside a tenant transaction fails instead of guessing', async ({
    assert,
  }) => {
    await assert.rejects(() => Contact.query().first(), /outside tenant\.transaction/)
    await assert.rejects(
      () => Contact.create({ phone: '+15550000001', source: 'test' }),
      /outside tenant\.transaction/
    )
  })

  test('the search_path set for a tenant does not outlive its transaction', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: remove } = await makeTenant('path')
    cleanup(remove)
    await context.transaction((trx) => trx.from('contacts').count('* as n'))
    const db = (await import('@adonisjs/lucid/services/db')).default
    const paths = await Promise.all(
      Array.from({ length: 10 }, () =>
        db.rawQuery('show search_path').then((r) => r.rows[0].search_path as string)
      )
    )
    assert.isTrue(
      paths.every((path) => !path.includes(context.schema)),
      paths.join(' | ')
    )
  })
})
