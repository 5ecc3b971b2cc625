import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { ApiKey } from '#modules/integrations/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { signIn } from '#tests/functional/workspace/member_browser'
import { api, makeKey } from './api_client.js'

function decode(html: string) {
  return html.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&')
}

test.group('API keys page', () => {
  test('an owner creates a key: the token is shown once, works, and is not in the list afterwards', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'keys')
    const owner = await w.member('owner')
    const web = await signIn(owner)
    const page = `${w.base}/settings/api-keys`

    const empty = await web.get(page)
    assert.equal(empty.status, 200)
    assert.include(empty.body, 'No API keys yet')
    assert.include(empty.body, `href="${page}" aria-current="page"`)
    assert.include(empty.body, 'value="contacts:write"')

    const created = await web.submit(page, page, [
      ['name', 'Zapier'],
      ['scopes', 'contacts:read'],
      ['scopes', 'contacts:write'],
      ['scopes', 'channels:read'],
      ['expires_in_days', '30'],
    ])
    assert.equal(created.status, 201)
    assert.equal(created.response.headers.get('cache-control'), 'no-store')
    const token = created.body.match(/value="(fm_live_[0-9a-f]{8}_[0-9a-f]{40})"/)?.[1]
    assert.isString(token, 'the token is on the page')
    assert.include(created.body, 'data-copy-target="api-token"')
    assert.include(decode(created.body), 'shown only this once')

    const key = await ApiKey.query().where('tenant_id', w.tenant.id).firstOrFail()
    assert.equal(key.name, 'Zapier')
    // contacts:read is implied by contacts:write and not stored twice.
    assert.deepEqual(key.scopes, ['contacts:write', 'channels:read'])
    assert.equal(key.createdByUserId, owner.id)
    assert.isNotNull(key.expiresAt)
    assert.notInclude(JSON.stringify(await db.from('api_keys').where('id', key.id)), token!)

    const me = await api('GET', '/api/v1/me', { token })
    assert.equal(me.status, 200)
    assert.equal(me.json.api_key.id, key.id)

    const list = await web.get(page)
    assert.notInclude(list.body, token!)
    assert.include(list.body, `fm_live_${key.prefix}…${token!.slice(-4)}`)
    assert.include(list.body, 'Zapier')
    assert.include(list.body, owner.name)
    assert.include(list.body, 'data-status="active"')
    assert.notInclude(list.body, 'data-new-token')

    const audit = await db
      .from('audit_logs')
      .where('tenant_id', w.tenant.id)
      .where('action', 'api_key.created')
      .first()
    assert.equal(audit.subject_id, key.id)
    assert.equal(audit.actor_user_id, owner.id)
    assert.notInclude(JSON.stringify(audit), token!)
  })

  test('"Everything" grants every scope; no scope or no name re-renders the form with messages', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'keys')
    const web = await signIn(await w.member('admin'))
    const page = `${w.base}/settings/api-keys`

    const refused = await web.submit(page, page, [['name', '']])
    assert.equal(refused.status, 302)
    assert.equal(refused.location, `${page}#create`)
    const form = await web.get(page)
    assert.include(form.body, 'Choose at least one scope.')
    assert.include(form.body, 'id="field-name-error"')
    assert.lengthOf(await ApiKey.query().where('tenant_id', w.tenant.id), 0)

    // A refused form keeps the ticked boxes.
    await web.submit(page, page, [
      ['name', ''],
      ['scopes', 'knowledge:read'],
    ])
    const kept = await web.get(page)
    assert.match(kept.body, /value="knowledge:read"[^>]*checked/)

    const all = await web.submit(page, page, [
      ['name', 'n8n'],
      ['all', '1'],
    ])
    assert.equal(all.status, 201)
    const key = await ApiKey.query().where('tenant_id', w.tenant.id).firstOrFail()
    assert.lengthOf(key.scopes, 8)
    assert.isTrue(key.scopes.every((scope) => scope.endsWith(':write')))
    assert.isNull(key.expiresAt)
  })

  test('revoking a key takes effect on the next request and is audited', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'keys')
    const owner = await w.member('owner')
    const web = await signIn(owner)
    const { key, token } = await makeKey(w.tenant, ['contacts:read'], { name: 'Old script' })
    assert.equal((await api('GET', '/api/v1/contacts', { token })).status, 200)

    const page = `${w.base}/settings/api-keys`
    const list = await web.get(page)
    assert.include(list.body, `action="${page}/${key.id}/revoke"`)
    const revoked = await web.post(`${page}/${key.id}/revoke`, {})
    assert.equal(revoked.status, 302)
    assert.equal(revoked.location, page)

    const refused = await api('GET', '/api/v1/contacts', { token })
    assert.equal(refused.status, 401)
    assert.equal(refused.json.error.code, 'revoked_api_key')

    const after = await web.get(page)
    assert.include(decode(after.body), 'Key "Old script" revoked')
    assert.include(after.body, 'data-status="revoked"')
    assert.notInclude(after.body, `${page}/${key.id}/revoke`)
    const audit = await db
      .from('audit_logs')
      .where('tenant_id', w.tenant.id)
      .where('action', 'api_key.revoked')
      .first()
    assert.equal(audit.subject_id, key.id)
  })

  test("agents and viewers get 403 and no link; another tenant's key cannot be revoked here", async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'keys')
    const page = `${w.base}/settings/api-keys`
    for (const role of ['agent', 'viewer'] as const) {
      const web = await signIn(await w.member(role))
      assert.equal((await web.get(page)).status, 403, role)
      assert.notInclude((await web.get(w.base)).body, page, role)
    }

    const other = await makeWorkspace(cleanup, 'keyso')
    const { key, token } = await makeKey(other.tenant)
    const web = await signIn(await w.member('owner'))
    await web.get(page)
    const attempt = await web.post(`${page}/${key.id}/revoke`, {})
    assert.equal(attempt.status, 404)
    assert.equal((await api('GET', '/api/v1/me', { token })).status, 200)
  })

  test('the page reads right to left in Arabic', async ({ assert, cleanup }) => {
    const w = await makeWorkspace(cleanup, 'keys')
    const owner = await w.member('owner')
    owner.locale = 'ar'
    await owner.save()
    await makeKey(w.tenant, ['contacts:read'], { name: 'Zapier' })
    const web = await signIn(owner)
    const page = await web.get(`${w.base}/settings/api-keys`)
    assert.equal(page.status, 200)
    assert.include(page.body, '<html lang="ar" dir="rtl">')
    assert.include(page.body, 'مفاتيح API')
    assert.include(page.body, 'إنشاء مفتاح')
    assert.include(page.body, 'fm_live_')
  })
})
