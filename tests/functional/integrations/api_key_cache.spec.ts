import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { Settings } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { queuePrefix } from '#config/queue'
import { Plan } from '#modules/billing/index'
import { updatePlan, type PlanInput } from '#modules/billing/services/plan_service'
import { setChannelStatus } from '#modules/channels/index'
import { Conversation, createContact } from '#modules/inbox/index'
import { revokeApiKey } from '#modules/integrations/index'
import {
  Tenant,
  contextFor,
  reactivateTenant,
  softDeleteTenant,
  suspendTenant,
  systemActor,
} from '#modules/tenancy/index'
import { changeTenantPlan } from '#modules/tenancy/services/console_tenant_service'
import { makeTenant } from '#tests/helpers/tenants'
import { createSubscription } from '#modules/integrations/services/webhook_subscription_service'
import { api, freshPhone, makeKey } from './api_client.js'
import { apiTenant, customer } from './api_fixtures.js'

/*
| API requests keep keys, tenants and plans in each process's memory,
| checked against one version number in Redis (app/cache/central_cache.ts).
| Each test first makes a request, so what it changes is already kept, then
| changes it the way the product does and asserts the very next request
| sees the change.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

async function keptKey(cleanup: Cleanup, options: { expiresInDays?: number } = {}) {
  const made = await makeTenant('kept')
  cleanup(made.cleanup)
  const { key, token } = await makeKey(made.tenant, undefined, options)
  const first = await api('GET', '/api/v1/me', { token })
  if (first.status !== 200) throw new Error(`the key did not work at first: ${first.status}`)
  return { ...made, key, token }
}

function planInput(plan: Plan, apiRequestsPerMinute: number): PlanInput {
  return {
    name: plan.name,
    slug: plan.slug,
    priceLabel: plan.priceLabel,
    maxSeats: plan.maxSeats,
    maxChannels: plan.maxChannels,
    maxConversationsPerMonth: plan.maxConversationsPerMonth,
    maxAiAnswersPerMonth: plan.maxAiAnswersPerMonth,
    maxKnowledgeMb: plan.maxKnowledgeMb,
    apiRequestsPerMinute,
    isDefault: false,
  }
}

async function makePlan(cleanup: Cleanup, apiRequestsPerMinute: number) {
  const plan = await Plan.create({
    slug: `kept-${randomBytes(3).toString('hex')}`,
    name: 'Kept plan',
    isDefault: false,
    apiRequestsPerMinute,
  })
  cleanup(async () => {
    await Tenant.query().where('plan_id', plan.id).update({ planId: null })
    await plan.delete()
  })
  return plan
}

test.group('API keys, tenants and plans kept in memory', () => {
  test('a revoked key is refused on the next request', async ({ assert, cleanup }) => {
    const { tenant, key, token } = await keptKey(cleanup)
    await revokeApiKey(tenant, key, systemActor)
    const response = await api('GET', '/api/v1/me', { token })
    assert.equal(response.status, 401)
    assert.equal(response.json.error.code, 'revoked_api_key')
  })

  test('a change another process made is seen once it raises the version in Redis', async ({
    assert,
    cleanup,
  }) => {
    const { key, token } = await keptKey(cleanup)
    // Written straight to the table, as another process would: this
    // process still serves its kept row (the cache is really in use) ...
    await db.from('api_keys').where('id', key.id).update({ revoked_at: new Date() })
    assert.equal((await api('GET', '/api/v1/me', { token })).status, 200)

    // ... until that process raises the version, over its own connection.
    const other = new Redis(env.get('REDIS_URL', 'redis://127.0.0.1:6379'))
    cleanup(() => void other.disconnect())
    // The app's prefix: QUEUE_PREFIX and the database's identity.
    await other.incr(`${queuePrefix}:central-cache:version`)
    const response = await api('GET', '/api/v1/me', { token })
    assert.equal(response.status, 401)
    assert.equal(response.json.error.code, 'revoked_api_key')
  })

  test('a kept key stops working the moment it expires', async ({ assert, cleanup }) => {
    const { token } = await keptKey(cleanup, { expiresInDays: 1 })
    const realNow = Settings.now
    cleanup(() => {
      Settings.now = realNow
    })
    // A fixed clock a day and a minute on: no row changed, no version raised.
    const later = Date.now() + 24 * 3_600_000 + 60_000
    Settings.now = () => later
    const response = await api('GET', '/api/v1/me', { token })
    assert.equal(response.status, 401)
    assert.equal(response.json.error.code, 'expired_api_key')
  })

  test('suspending, reactivating and deleting a kept tenant apply on the next request', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, token } = await keptKey(cleanup)
    await suspendTenant(tenant, systemActor)
    const suspended = await api('GET', '/api/v1/me', { token })
    assert.equal(suspended.status, 423)
    assert.equal(suspended.json.error.code, 'tenant_suspended')

    await reactivateTenant(tenant, systemActor)
    assert.equal((await api('GET', '/api/v1/me', { token })).status, 200)

    await softDeleteTenant(tenant, systemActor)
    const deleted = await api('GET', '/api/v1/me', { token })
    assert.equal(deleted.status, 401)
    assert.equal(deleted.json.error.code, 'invalid_api_key')
  })

  test('a plan’s new budget, and a move to another plan, apply on the next request', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, token } = await keptKey(cleanup)
    const plan = await makePlan(cleanup, 50)
    await changeTenantPlan(tenant, plan.id, systemActor)
    const limit = async () => (await api('GET', '/api/v1/me', { token })).headers
    assert.equal((await limit()).get('ratelimit-limit'), '50')

    await updatePlan(plan, planInput(plan, 70), systemActor)
    assert.equal((await limit()).get('ratelimit-limit'), '70')

    const bigger = await makePlan(cleanup, 90)
    await changeTenantPlan(tenant, bigger.id, systemActor)
    assert.equal((await limit()).get('ratelimit-limit'), '90')
  })
})

test.group('Channels kept in memory for sends', () => {
  test('a channel disabled after a send refuses the next send', async ({ assert, cleanup }) => {
    const { tenant, context, channel, token } = await apiTenant(cleanup, 'qc')
    const { contactId } = await customer(context, channel)
    const send = () =>
      api('POST', '/api/v1/messages', {
        token,
        body: { channel_id: channel.id, contact_id: contactId, type: 'text', text: 'Hello' },
      })
    assert.equal((await send()).status, 202)
    await setChannelStatus(tenant, channel.id, 'disabled', systemActor)
    const refused = await send()
    assert.equal(refused.status, 422)
    assert.equal(refused.json.error.code, 'channel_disabled')
  })
})

test.group('Webhook subscribers kept in memory', () => {
  test('a subscription made after events went unheard gets the next event', async ({
    assert,
    cleanup,
  }) => {
    const { context } = await makeTenant('kepthook').then((made) => {
      cleanup(made.cleanup)
      return made
    })
    // No subscriber yet: the tenant is kept as having none.
    await createContact(context, { phone: freshPhone(), optIn: 'unknown' })
    const subscription = await createSubscription(context, {
      url: 'https://example.com/hook',
      events: ['contact.created'],
    })
    await createContact(context, { phone: freshPhone(), optIn: 'unknown' })
    const deliveries = await context.transaction((trx) =>
      trx.from('webhook_deliveries').where('subscription_id', subscription.id)
    )
    assert.lengthOf(deliveries, 1)
    assert.equal(deliveries[0].event_type, 'contact.created')
  })
})

test.group('Schema-named reads (TenantContext.query)', () => {
  test('read only their tenant’s rows, and what they read cannot be saved outside a transaction', async ({
    assert,
    cleanup,
  }) => {
    const acme = await apiTenant(cleanup, 'qa')
    const globex = await apiTenant(cleanup, 'qb')
    const mine = await customer(acme.context, acme.channel)
    const theirs = await customer(globex.context, globex.channel)

    const acmeRows = await acme.context.query(Conversation).select('id')
    assert.deepEqual(
      acmeRows.map((row) => row.id),
      [mine.conversationId]
    )
    assert.isNull(await acme.context.query(Conversation).where('id', theirs.conversationId).first())

    const row = await contextFor(acme.tenant).query(Conversation).firstOrFail()
    row.priority = 'high'
    await assert.rejects(() => row.save(), /outside tenant.transaction/)
  })
})
