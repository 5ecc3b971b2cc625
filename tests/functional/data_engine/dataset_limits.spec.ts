import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import { Plan, usageFor } from '#modules/billing/index'
import { Tenant } from '#modules/tenancy/index'
import { datasetBytesInUse } from '#modules/data_engine/index'
import { makeTenant } from '#tests/helpers/tenants'
import { importListings } from '#tests/helpers/datasets'
import { api, makeKey } from '../integrations/api_client.js'

test.group('Dataset storage against the plan', () => {
  test('datasets count in the plan’s storage; past it the API answers 402 and nothing is written', async ({
    assert,
    cleanup,
  }) => {
    const made = await makeTenant('dslim')
    cleanup(made.cleanup)
    const dataset = await importListings(made.context, 500)
    const bytes = await datasetBytesInUse(made.tenant.id)
    assert.isAbove(bytes, 100_000)
    assert.equal(bytes, dataset.sizeBytes)

    const plan = await Plan.create({
      slug: `dslim-${randomBytes(3).toString('hex')}`,
      name: 'Tiny',
      isDefault: false,
      maxKnowledgeMb: 1,
    })
    await Tenant.query().where('id', made.tenant.id).update({ planId: plan.id })
    cleanup(async () => {
      await Tenant.query().where('plan_id', plan.id).update({ planId: null })
      await plan.delete()
    })
    const { token } = await makeKey(made.tenant)
    const before = dataset.rowCount
    const refused = await api('POST', `/api/v1/datasets/${dataset.id}/rows`, {
      token,
      body: {
        rows: Array.from({ length: 2000 }, (_, i) => ({
          ref: `X-${i}`,
          title: 'x'.repeat(400),
          community: 'JLT',
        })),
      },
    })
    assert.equal(refused.status, 402)
    assert.equal(refused.json.error.code, 'plan_limit_reached')
    assert.equal(refused.json.error.limit, 'knowledge_bytes')
    assert.isAbove(refused.json.error.used, bytes - 1)
    const rows = await api('GET', `/api/v1/datasets/${dataset.id}`, { token })
    assert.equal(rows.json.row_count, before)

    const usage = await usageFor(made.tenant.id)
    const storage = usage.find((u: any) => u.limit === 'knowledge_bytes')!
    assert.isAtLeast(storage.used, bytes)
  })
})
