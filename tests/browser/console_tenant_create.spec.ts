import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import hash from '@adonisjs/core/services/hash'
import { Membership, User } from '#modules/identity/index'
import { Tenant } from '#modules/tenancy/index'
import { makeUser, TEST_PASSWORD } from '#tests/helpers/users'
import { uniqueSlug } from '#tests/helpers/tenants'
import { deleteUserByEmail, discardTenant } from '#tests/functional/admin/console_helpers'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
} from '#tests/helpers/browser'

const OWNER_PASSWORD = 'owner-initial-pass'

test.group('Journey: console creates a tenant', (group) => {
  const browser = useBrowser(group)

  test('a super admin creates a tenant, follows its setup to the end and finds its owner', async ({
    assert,
    cleanup,
  }) => {
    const { user: admin, cleanup: removeAdmin } = await makeUser({
      superAdmin: true,
      name: 'Sam Staff',
    })
    cleanup(removeAdmin)
    const slug = uniqueSlug('brnew')
    const ownerEmail = `${slug}@example.test`
    const businessName = `Journey ${slug}`
    cleanup(async () => {
      await deleteUserByEmail(ownerEmail)
    })
    cleanup(async () => {
      await discardTenant(slug)
    })

    // Provisioning runs as a job on the `default` queue: work it here, as the
    // console specs do. Stopping the pool stops every worker, so the suite's
    // `mail` worker is started again after.
    const workers = await app.container.make('queue.workers')
    workers.start(['default'])
    cleanup(async () => {
      await workers.stop()
      workers.start(['mail'])
    })

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    cleanup(() => page.close())
    const problems = watchProblems(page)

    await signInThroughForm(page, admin.email, TEST_PASSWORD)
    assert.equal(new URL(page.url()).pathname, '/admin/tenants')

    // The page header's action (an empty list offers the same link again).
    await page.locator('header.page-head').getByRole('link', { name: 'New tenant' }).click()
    await page.waitForURL(serverUrl('/admin/tenants/create'))
    await page.getByRole('heading', { level: 1, name: 'New tenant' }).waitFor()

    await page.getByLabel('Business name').fill(businessName)
    await page.getByLabel('Slug', { exact: true }).fill(slug)
    // The plan is optional: keep the form's default and expect it on the tenant.
    const plan = page.getByLabel('Plan', { exact: true })
    const planName = (await plan.locator('option:checked').textContent())!.trim()
    await page.getByLabel("Owner's e-mail").fill(ownerEmail)
    await page.getByLabel("Owner's name").fill('Olive Owner')
    await page.getByLabel("Owner's initial password").fill(OWNER_PASSWORD)
    await screenshot(page, 'console-tenant-create-form')
    await page.getByRole('button', { name: 'Create tenant' }).click()

    await page.waitForURL(/\/admin\/tenants\/[0-9a-f-]+\/progress$/)
    const tenant = await Tenant.findByOrFail('slug', slug)
    assert.equal(new URL(page.url()).pathname, `/admin/tenants/${tenant.id}/progress`)
    await page.getByRole('heading', { level: 1, name: `Setting up ${businessName}` }).waitFor()

    // The panel polls itself until the job has run every step.
    await page.getByRole('heading', { name: 'The workspace is ready' }).waitFor({ timeout: 30_000 })
    assert.equal(await page.locator('#provisioning progress').getAttribute('value'), '100')
    assert.equal(await page.locator('#provisioning ol.steps li.done').count(), 4)
    assert.isNull(
      await page.locator('#provisioning').getAttribute('hx-trigger'),
      'the finished panel stops polling'
    )
    await page.getByText(`${businessName} is active and its owner can sign in.`).waitFor()
    await screenshot(page, 'console-tenant-progress-done')

    await tenant.refresh()
    assert.equal(tenant.status, 'active')
    const owner = await User.findByEmail(ownerEmail)
    assert.exists(owner)
    assert.isTrue(await hash.verify(owner!.password, OWNER_PASSWORD))
    const membership = await Membership.query()
      .where('tenant_id', tenant.id)
      .where('user_id', owner!.id)
      .firstOrFail()
    assert.equal(membership.role, 'owner')

    await page.getByRole('link', { name: 'Open the tenant' }).click()
    await page.waitForURL(serverUrl(`/admin/tenants/${tenant.id}`))
    await page.getByRole('heading', { level: 1, name: businessName }).waitFor()

    const summary = page.getByRole('region', { name: 'Summary' })
    assert.equal((await summary.locator('dd .badge').textContent())!.trim(), 'Active')
    assert.include(await summary.textContent(), planName)

    const members = page.getByRole('table', { name: 'Members' })
    const rows = members.locator('tbody tr')
    assert.equal(await rows.count(), 1)
    const cells = (await rows.first().getByRole('cell').allTextContents()).map((c) => c.trim())
    assert.deepEqual(cells.slice(0, 3), ['Olive Owner', ownerEmail, 'Owner'])
    await screenshot(page, 'console-tenant-detail')

    assert.deepEqual(problems, [])
  })
})
