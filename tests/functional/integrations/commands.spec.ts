import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { ApiKey } from '#modules/integrations/index'
import { API_AREAS } from '#app/http/api/index'
import { runAce, runCommand } from '#tests/helpers/ace'
import { makeTenant, uniqueSlug } from '#tests/helpers/tenants'
import { api } from './api_client.js'

test.group('apikeys:create', () => {
  test('--json prints exactly {"id","token"}; the token works and has every scope by default', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('cli')
    cleanup(remove)
    const result = await runAce([
      'apikeys:create',
      '--tenant',
      tenant.slug,
      '--name',
      'zapier',
      '--json',
    ])
    assert.equal(result.code, 0, result.stderr)
    const printed = JSON.parse(result.stdout.trim())
    assert.deepEqual(Object.keys(printed), ['id', 'token'])
    assert.match(printed.token, /^fm_live_[0-9a-f]{8}_[0-9a-f]{40}$/)

    const key = await ApiKey.findOrFail(printed.id)
    assert.equal(key.tenantId, tenant.id)
    assert.equal(key.name, 'zapier')
    assert.lengthOf(key.scopes, API_AREAS.length)
    assert.isNull(key.expiresAt)

    const me = await api('GET', '/api/v1/me', { token: printed.token })
    assert.equal(me.status, 200)
    assert.equal(me.json.tenant.slug, tenant.slug)
    assert.equal(me.json.api_key.id, printed.id)

    const audit = await db
      .from('audit_logs')
      .where('action', 'api_key.created')
      .where('subject_id', printed.id)
      .first()
    assert.match(audit.actor_label, /^cli:/)
  })

  test('--scopes and --expires-in-days shape the key; bad input is a JSON error and exit 1', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('cli')
    cleanup(remove)
    const result = await runAce([
      'apikeys:create',
      '--tenant',
      tenant.slug,
      '--name',
      'reader',
      '--scopes',
      'contacts:read,channels:read',
      '--expires-in-days',
      '30',
      '--json',
    ])
    assert.equal(result.code, 0, result.stderr)
    const { id, token } = JSON.parse(result.stdout.trim())
    const key = await ApiKey.findOrFail(id)
    assert.deepEqual(key.scopes, ['contacts:read', 'channels:read'])
    const days = key.expiresAt!.diffNow('days').days
    assert.isAbove(days, 29.9)
    assert.isBelow(days, 30.1)
    const me = await api('GET', '/api/v1/me', { token })
    assert.isString(me.json.api_key.expires_at)
    assert.equal((await api('POST', '/api/v1/contacts', { token, body: {} })).status, 403)

    const badScope = await runCommand([
      'apikeys:create',
      '--tenant',
      tenant.slug,
      '--name',
      'x',
      '--scopes',
      'contacts:delete',
      '--json',
    ])
    assert.equal(badScope.code, 1)
    assert.equal(JSON.parse(badScope.stdout.trim()).error.code, 'invalid_scopes')

    const noTenant = await runCommand([
      'apikeys:create',
      '--tenant',
      uniqueSlug('none'),
      '--name',
      'x',
      '--json',
    ])
    assert.equal(noTenant.code, 1)
    assert.equal(JSON.parse(noTenant.stdout.trim()).error.code, 'tenant_not_found')
  })
})
