import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { Plan } from '#modules/billing/index'
import { ApiKey, revokeApiKey } from '#modules/integrations/index'
import { invalidateCentralCache } from '#app/cache/central_cache'
import { Tenant, softDeleteTenant, suspendTenant, systemActor } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { api, makeKey } from './api_client.js'
import { makeSuperAdmin, signIn, uniquePrefix } from '../admin/console_helpers.js'

type Cleanup = (fn: () => void | Promise<void>) => void

async function tenantWithKey(cleanup: Cleanup, scopes?: Parameters<typeof makeKey>[1]) {
  const made = await makeTenant('api')
  cleanup(made.cleanup)
  const { key, token } = await makeKey(made.tenant, scopes)
  return { ...made, key, token }
}

test.group('API authentication', () => {
  test('GET /api/v1/me names the tenant and the key', async ({ assert, cleanup }) => {
    const { tenant, key, token } = await tenantWithKey(cleanup, ['contacts:write', 'channels:read'])
    const response = await api('GET', '/api/v1/me', { token })
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type')!, /^application\/json/)
    const { integrations, ...who } = response.json
    assert.deepEqual(who, {
      tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, status: 'active' },
      api_key: {
        id: key.id,
        name: 'test key',
        prefix: key.prefix,
        scopes: ['contacts:write', 'channels:read'],
        expires_at: null,
      },
    })
    // Which of our integrations the scopes suffice for (hooks_api.spec.ts says more).
    assert.sameMembers(Object.keys(integrations), ['zapier', 'n8n'])
    assert.isFalse(integrations.zapier.sufficient)
  })

  test('a missing key is 401 missing_api_key; a malformed or unknown one is 401 invalid_api_key', async ({
    assert,
    cleanup,
  }) => {
    const { key, token } = await tenantWithKey(cleanup)
    const missing = await api('GET', '/api/v1/me')
    assert.equal(missing.status, 401)
    assert.equal(missing.json.error.code, 'missing_api_key')
    assert.isString(missing.json.error.message)
    assert.match(missing.headers.get('www-authenticate')!, /^Bearer/)

    const wrongSecret = `fm_live_${key.prefix}_${randomBytes(20).toString('hex')}`
    const unknownPrefix = `fm_live_00000000_${token.slice(-40)}`
    for (const header of [
      'Bearer nonsense',
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      `Bearer ${wrongSecret}`,
      `Bearer ${unknownPrefix}`,
      `Bearer ${token}x`,
      `Bearer ${token.toUpperCase()}`,
    ]) {
      const response = await api('GET', '/api/v1/me', { headers: { authorization: header } })
      assert.equal(response.status, 401, header)
      assert.deepEqual(Object.keys(response.json.error), ['code', 'message'])
      assert.equal(response.json.error.code, 'invalid_api_key', header)
    }
  })

  test('a revoked key is 401 revoked_api_key and an expired one 401 expired_api_key', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, key, token } = await tenantWithKey(cleanup)
    assert.equal((await api('GET', '/api/v1/me', { token })).status, 200)
    await revokeApiKey(tenant, key, systemActor)
    const revoked = await api('GET', '/api/v1/me', { token })
    assert.equal(revoked.status, 401)
    assert.equal(revoked.json.error.code, 'revoked_api_key')

    const other = await tenantWithKey(cleanup)
    await db
      .from('api_keys')
      .where('id', other.key.id)
      .update({ expires_at: new Date(Date.now() - 1000) })
    const expired = await api('GET', '/api/v1/me', { token: other.token })
    assert.equal(expired.status, 401)
    assert.equal(expired.json.error.code, 'expired_api_key')
  })

  test('a suspended tenant is 423 tenant_suspended; a deleted one is 401', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, token } = await tenantWithKey(cleanup)
    await suspendTenant(tenant, systemActor)
    const suspended = await api('GET', '/api/v1/me', { token })
    assert.equal(suspended.status, 423)
    assert.equal(suspended.json.error.code, 'tenant_suspended')

    const other = await tenantWithKey(cleanup)
    await softDeleteTenant((await Tenant.find(other.tenant.id))!, systemActor)
    const deleted = await api('GET', '/api/v1/me', { token: other.token })
    assert.equal(deleted.status, 401)
    assert.equal(deleted.json.error.code, 'invalid_api_key')
  })

  test('a key without the scope gets 403 insufficient_scope naming it; write implies read', async ({
    assert,
    cleanup,
  }) => {
    const reader = await tenantWithKey(cleanup, ['contacts:read'])
    assert.equal((await api('GET', '/api/v1/contacts', { token: reader.token })).status, 200)
    const post = await api('POST', '/api/v1/contacts', {
      token: reader.token,
      body: { phone: '+15550001111' },
    })
    assert.equal(post.status, 403)
    assert.equal(post.json.error.code, 'insufficient_scope')
    assert.include(post.json.error.message, 'contacts:write')
    const channels = await api('GET', '/api/v1/channels', { token: reader.token })
    assert.equal(channels.status, 403)
    assert.include(channels.json.error.message, 'channels:read')

    const writer = await tenantWithKey(cleanup, ['contacts:write'])
    assert.equal((await api('GET', '/api/v1/contacts', { token: writer.token })).status, 200)
    assert.equal((await api('GET', '/api/v1/channels', { token: writer.token })).status, 403)
  })

  test('last_used_at is set on use and written at most once a minute', async ({
    assert,
    cleanup,
  }) => {
    const { key, token } = await tenantWithKey(cleanup)
    assert.notExists(key.lastUsedAt)
    await api('GET', '/api/v1/me', { token })
    const first = (await ApiKey.findOrFail(key.id)).lastUsedAt
    assert.isNotNull(first)
    await api('GET', '/api/v1/me', { token })
    const second = (await ApiKey.findOrFail(key.id)).lastUsedAt
    assert.equal(second!.toMillis(), first!.toMillis())

    // A minute later the next request records itself again.
    const earlier = new Date(Date.now() - 2 * 60_000)
    await db.from('api_keys').where('id', key.id).update({ last_used_at: earlier })
    // Written behind the app's back: announced as the app's own writes are.
    await invalidateCentralCache()
    await api('GET', '/api/v1/me', { token })
    const third = (await ApiKey.findOrFail(key.id)).lastUsedAt
    assert.isAbove(third!.toMillis(), earlier.getTime() + 60_000)
  })
})

test.group('API rate limits', () => {
  test('the plan sets requests per minute per key; over it is 429 with Retry-After and RateLimit headers', async ({
    assert,
    cleanup,
  }) => {
    const plan = await Plan.create({
      slug: `api-tiny-${randomBytes(3).toString('hex')}`,
      name: 'Tiny API',
      isDefault: false,
      apiRequestsPerMinute: 3,
    })
    const { tenant, token } = await tenantWithKey(cleanup)
    cleanup(() => plan.delete())
    await Tenant.query().where('id', tenant.id).update({ planId: plan.id })

    const remaining: string[] = []
    for (let i = 0; i < 3; i++) {
      const response = await api('GET', '/api/v1/me', { token })
      assert.equal(response.status, 200)
      assert.equal(response.headers.get('ratelimit-limit'), '3')
      assert.isAtLeast(Number(response.headers.get('ratelimit-reset')), 1)
      remaining.push(response.headers.get('ratelimit-remaining')!)
    }
    assert.deepEqual(remaining, ['2', '1', '0'])

    const limited = await api('GET', '/api/v1/me', { token })
    assert.equal(limited.status, 429)
    assert.equal(limited.json.error.code, 'rate_limited')
    assert.equal(limited.headers.get('ratelimit-limit'), '3')
    assert.equal(limited.headers.get('ratelimit-remaining'), '0')
    const retryAfter = Number(limited.headers.get('retry-after'))
    assert.isAtLeast(retryAfter, 1)
    assert.isAtMost(retryAfter, 60)

    // Another key of the same tenant has its own budget.
    const second = await makeKey(tenant)
    assert.equal((await api('GET', '/api/v1/me', { token: second.token })).status, 200)
  })

  test('without a plan limit a key gets the default of 600 a minute', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const response = await api('GET', '/api/v1/me', { token })
    assert.equal(response.headers.get('ratelimit-limit'), '600')
    assert.equal(response.headers.get('ratelimit-remaining'), '599')
  })
})

test.group('API errors', () => {
  test('every failure has the {"error":{"code","message","fields"?}} shape', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)

    const unknown = await api('GET', '/api/v1/nothing-here', { token })
    assert.equal(unknown.status, 404)
    assert.equal(unknown.json.error.code, 'not_found')

    const wrongMethod = await api('DELETE', '/api/v1/me', { token })
    assert.equal(wrongMethod.status, 405)
    assert.equal(wrongMethod.json.error.code, 'method_not_allowed')
    assert.equal(wrongMethod.headers.get('allow'), 'GET')

    const badJson = await api('POST', '/api/v1/contacts', { token, rawBody: '{"phone": ' })
    assert.equal(badJson.status, 400)
    assert.equal(badJson.json.error.code, 'invalid_json')

    const scalarJson = await api('POST', '/api/v1/contacts', { token, rawBody: '"hello"' })
    assert.equal(scalarJson.status, 400)
    assert.equal(scalarJson.json.error.code, 'invalid_json')

    const arrayJson = await api('POST', '/api/v1/contacts', { token, rawBody: '[1,2]' })
    assert.equal(arrayJson.status, 400)
    assert.equal(arrayJson.json.error.code, 'invalid_json')

    const form = await api('POST', '/api/v1/contacts', {
      token,
      rawBody: 'phone=%2B15550001234',
      contentType: 'application/x-www-form-urlencoded',
    })
    assert.equal(form.status, 400)
    assert.equal(form.json.error.code, 'invalid_json')

    const extra = await api('POST', '/api/v1/contacts', {
      token,
      body: { phone: '+15550002222', nmae: 'Typo' },
    })
    assert.equal(extra.status, 422)
    assert.equal(extra.json.error.code, 'unknown_field')
    assert.deepEqual(Object.keys(extra.json.error.fields), ['nmae'])

    const invalid = await api('POST', '/api/v1/contacts', {
      token,
      body: { phone: 'not a phone', email: 'nope', opt_in: 'maybe' },
    })
    assert.equal(invalid.status, 422)
    assert.equal(invalid.json.error.code, 'validation_failed')
    assert.sameMembers(Object.keys(invalid.json.error.fields), ['phone', 'email', 'opt_in'])
    assert.isString(invalid.json.error.fields.phone[0])

    const badPage = await api('GET', '/api/v1/contacts?limit=0&cursor=zzz', { token })
    assert.equal(badPage.status, 422)
    assert.sameMembers(Object.keys(badPage.json.error.fields), ['limit', 'cursor'])
    assert.equal((await api('GET', '/api/v1/contacts?limit=101', { token })).status, 422)
  })

  test('unknown API routes are 404 JSON even without a key', async ({ assert }) => {
    const response = await api('GET', '/api/v2/anything')
    assert.equal(response.status, 404)
    assert.deepEqual(Object.keys(response.json.error), ['code', 'message'])
    assert.equal(response.json.error.code, 'not_found')
  })
})

test.group('API rate limit on the plans page', () => {
  test('a super admin sets a plan’s API requests per minute; blank means the default', async ({
    assert,
    cleanup,
  }) => {
    const admin = await makeSuperAdmin(cleanup)
    const web = await signIn(admin)
    const slug = uniquePrefix('apiplan')
    cleanup(async () => {
      await Plan.query().where('slug', slug).delete()
    })
    const form = await web.get('/admin/plans/create')
    assert.include(form.body, 'name="api_requests_per_minute"')
    const fields = { name: `Plan ${slug}`, slug, api_requests_per_minute: '120' }
    const sent = await web.submit('/admin/plans/create', '/admin/plans', fields)
    assert.equal(sent.location, '/admin/plans')
    const plan = await Plan.findByOrFail('slug', slug)
    assert.equal(plan.apiRequestsPerMinute, 120)

    const edit = `/admin/plans/${plan.id}/edit`
    const page = await web.get(edit)
    assert.include(page.body, 'value="120"')
    await web.submit(edit, `/admin/plans/${plan.id}?_method=PUT`, {
      ...fields,
      api_requests_per_minute: '',
    })
    await plan.refresh()
    assert.isNull(plan.apiRequestsPerMinute)
  })
})
