import { test } from '@japa/runner'
import { AuditLog, recordAudit } from '#modules/tenancy/index'
import { htmx, makeSuperAdmin, signIn, uniquePrefix } from './console_helpers.js'

/**
 * Entries as if written for tenants that no longer exist: the log keeps
 * the slug after a hard delete, which is what the tenant filter reads.
 */
async function seedAudit(cleanup: (fn: () => Promise<void>) => void, tag: string) {
  const entry = (action: string, actor: string, tenantSlug: string, metadata = {}) =>
    AuditLog.create({
      action,
      actorLabel: `${tag}-${actor}@example.test`,
      actorUserId: null,
      tenantId: null,
      tenantSlug,
      source: '203.0.113.9',
      metadata,
    })
  const rows = [
    await entry(`${tag}.alpha`, 'robot', `${tag}-one`),
    await entry(`${tag}.beta`, 'robot', `${tag}-two`),
    await entry(`${tag}.alpha`, 'human', `${tag}-two`, { reason: 'why not' }),
  ]
  cleanup(async () => {
    await AuditLog.query()
      .whereIn(
        'id',
        rows.map((r) => r.id)
      )
      .delete()
  })
  return rows
}

test.group('Console audit log', () => {
  test('newest first, with filters for tenant, actor and action', async ({ assert, cleanup }) => {
    const tag = uniquePrefix('aud')
    await seedAudit(cleanup, tag)
    const web = await signIn(await makeSuperAdmin(cleanup))

    const all = await web.get(`/admin/audit?actor=${tag}`)
    assert.equal(all.status, 200)
    assert.include(all.body, '<!DOCTYPE html>')
    const human = all.body.indexOf(`${tag}-human@`)
    const robot = all.body.indexOf(`${tag}-robot@`)
    assert.isAbove(robot, human, 'the newest entry comes first')
    assert.include(all.body, `<option value="${tag}.alpha"`, 'actions are offered as choices')
    assert.include(all.body, 'reason</strong>: why not')

    const byTenant = await web.get(`/admin/audit?tenant=${tag}-one`)
    assert.include(byTenant.body, `${tag}.alpha`)
    assert.notInclude(byTenant.body, `<code>${tag}.beta</code>`)

    const byActor = await web.get(`/admin/audit?actor=${tag}-HUMAN`)
    assert.include(byActor.body, `${tag}-human@`)
    assert.notInclude(byActor.body, `${tag}-robot@`)

    const byAction = await web.get(`/admin/audit?actor=${tag}&action=${tag}.beta`)
    assert.include(byAction.body, `<code>${tag}.beta</code>`)
    assert.notInclude(byAction.body, `<code>${tag}.alpha</code>`)
    assert.include(byAction.body, `<option value="${tag}.beta" selected>`)

    const none = await web.get(`/admin/audit?actor=${tag}-nobody`)
    assert.include(none.body, 'No entry matches')
  })

  test('htmx gets the results alone; 50 a page with the filters kept', async ({
    assert,
    cleanup,
  }) => {
    const tag = uniquePrefix('audp')
    const actor = { userId: null, label: `${tag}@example.test`, source: null }
    const ids: number[] = []
    for (let i = 0; i < 52; i++) ids.push((await recordAudit(actor, { action: `${tag}.tick` })).id)
    cleanup(async () => {
      await AuditLog.query().whereIn('id', ids).delete()
    })
    const web = await signIn(await makeSuperAdmin(cleanup))

    const fragment = await htmx(web, 'audit-results').get(`/admin/audit?actor=${tag}`)
    assert.match(fragment.body.trim(), /^<div id="audit-results"/)
    assert.notInclude(fragment.body, '<html')
    assert.equal(fragment.body.split(`<code>${tag}.tick</code>`).length - 1, 50)
    assert.include(fragment.body, 'Page 1 of 2 (52 in all)')
    assert.include(fragment.body, `href="/admin/audit?actor=${tag}&amp;page=2"`)

    const second = await web.get(`/admin/audit?actor=${tag}&page=2`)
    assert.equal(second.body.split(`<code>${tag}.tick</code>`).length - 1, 2)
  })
})
