import { test } from '@japa/runner'
import { Plan } from '#modules/billing/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember } from '#tests/helpers/users'
import { latestAudit, makeSuperAdmin, signIn, uniquePrefix } from '../admin/console_helpers.js'

/**
 * Tests that move the default mark put it back where it was afterwards.
 */
async function keepDefault(cleanup: (fn: () => Promise<void>) => void) {
  const previous = await Plan.query().where('is_default', true).first()
  cleanup(async () => {
    await Plan.query().where('is_default', true).update({ is_default: false })
    if (previous) await Plan.query().where('id', previous.id).update({ is_default: true })
  })
}

function planForm(slug: string, extra: Record<string, string> = {}) {
  return {
    name: `Plan ${slug}`,
    slug,
    price_label: '$49 / month',
    max_seats: '5',
    max_channels: '',
    max_conversations_per_month: '1000',
    max_ai_answers_per_month: '',
    max_knowledge_mb: '250',
    ...extra,
  }
}

test.group('Plans in the console', () => {
  test('a plan is created; blank limits are unlimited and shown so', async ({
    assert,
    cleanup,
  }) => {
    const admin = await makeSuperAdmin(cleanup)
    const web = await signIn(admin)
    const slug = uniquePrefix('plan')
    cleanup(async () => {
      await Plan.query().where('slug', slug).delete()
    })

    const form = await web.get('/admin/plans/create')
    assert.equal(form.status, 200)
    const sent = await web.submit('/admin/plans/create', '/admin/plans', planForm(slug))
    assert.equal(sent.location, '/admin/plans')

    const plan = await Plan.findByOrFail('slug', slug)
    assert.equal(plan.maxSeats, 5)
    assert.isNull(plan.maxChannels)
    assert.isNull(plan.maxAiAnswersPerMonth)
    assert.equal(plan.maxConversationsPerMonth, 1000)
    assert.isFalse(plan.isDefault)
    assert.equal((await latestAudit('plan.created', plan.id))?.actorLabel, admin.email)

    const list = await web.get('/admin/plans')
    assert.include(list.body, 'was created.')
    const row = list.body.slice(list.body.indexOf(`<code>${slug}</code>`))
    const rowHtml = row.slice(0, row.indexOf('</tr>'))
    assert.equal(rowHtml.split('<td>Unlimited</td>').length - 1, 2)
    assert.include(rowHtml, '<td>1,000</td>')
    assert.include(rowHtml, `href="/admin/plans/${plan.id}/edit"`)
  })

  test('bad input is refused field by field and nothing is lost', async ({ assert, cleanup }) => {
    const web = await signIn(await makeSuperAdmin(cleanup))
    const taken = await Plan.create({
      slug: uniquePrefix('taken'),
      name: 'Taken',
      isDefault: false,
    })
    cleanup(async () => {
      await taken.delete()
    })
    const slug = uniquePrefix('bad')

    await web.submit(
      '/admin/plans/create',
      '/admin/plans',
      planForm(taken.slug, { max_seats: '-1' })
    )
    let form = await web.get('/admin/plans/create')
    assert.include(form.body, 'This is already taken.')
    assert.include(form.body, 'Enter 0 or more.')
    assert.include(form.body, `value="Plan ${taken.slug}"`, 'the name is kept')

    await web.submit(
      '/admin/plans/create',
      '/admin/plans',
      planForm(slug, { max_channels: 'lots', name: '' })
    )
    form = await web.get('/admin/plans/create')
    assert.include(form.body, 'Enter a number.')
    assert.include(form.body, 'Fill in this field.')
    assert.include(form.body, 'value="$49 / month"', 'other fields are kept')
    assert.isNull(await Plan.findBy('slug', slug))
  })

  test('a plan is edited through PUT; its own slug is not "taken"', async ({ assert, cleanup }) => {
    const web = await signIn(await makeSuperAdmin(cleanup))
    const plan = await Plan.create({
      slug: uniquePrefix('edit'),
      name: 'Before',
      maxSeats: 3,
      isDefault: false,
    })
    cleanup(async () => {
      await plan.delete()
    })

    const form = await web.get(`/admin/plans/${plan.id}/edit`)
    assert.include(form.body, `action="/admin/plans/${plan.id}?_method=PUT"`)
    assert.include(form.body, 'value="Before"')

    const saved = await web.submit(
      `/admin/plans/${plan.id}/edit`,
      `/admin/plans/${plan.id}?_method=PUT`,
      planForm(plan.slug, { name: 'After', max_seats: '' })
    )
    assert.equal(saved.location, '/admin/plans')
    await plan.refresh()
    assert.equal(plan.name, 'After')
    assert.isNull(plan.maxSeats, 'blank now means unlimited')
    assert.exists(await latestAudit('plan.updated', plan.id))
  })

  test('only one plan is the default: marking one clears the others', async ({
    assert,
    cleanup,
  }) => {
    await keepDefault(cleanup)
    const web = await signIn(await makeSuperAdmin(cleanup))
    const first = uniquePrefix('def1')
    const second = uniquePrefix('def2')
    cleanup(async () => {
      await Plan.query().whereIn('slug', [first, second]).delete()
    })

    await web.submit('/admin/plans/create', '/admin/plans', planForm(first, { is_default: '1' }))
    await web.submit('/admin/plans/create', '/admin/plans', planForm(second, { is_default: '1' }))
    const a = await Plan.findByOrFail('slug', first)
    const b = await Plan.findByOrFail('slug', second)
    assert.isFalse(a.isDefault)
    assert.isTrue(b.isDefault)

    await web.submit(
      `/admin/plans/${a.id}/edit`,
      `/admin/plans/${a.id}?_method=PUT`,
      planForm(first, { is_default: '1' })
    )
    await a.refresh()
    await b.refresh()
    assert.isTrue(a.isDefault)
    assert.isFalse(b.isDefault)
    assert.lengthOf(await Plan.query().where('is_default', true), 1)

    const edit = await web.get(`/admin/plans/${a.id}/edit`)
    assert.match(edit.body, /name="is_default" value="1"\s+checked/)
  })

  test('tenant owners cannot see or change plans', async ({ assert, cleanup }) => {
    const { tenant, cleanup: remove } = await makeTenant('plnacl')
    cleanup(remove)
    const owner = await makeMember(tenant.id, 'owner')
    const web = await signIn(owner)
    assert.equal((await web.get('/admin/plans')).status, 403)
    const slug = uniquePrefix('sneak')
    const sent = await web.submit('/account/profile', '/admin/plans', planForm(slug))
    assert.equal(sent.status, 403)
    assert.isNull(await Plan.findBy('slug', slug))
  })
})
