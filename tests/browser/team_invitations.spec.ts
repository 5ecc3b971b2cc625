import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import type { Page } from 'playwright-core'
import { Membership, User } from '#modules/identity/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { linkIn, waitForMail } from '#tests/helpers/mail'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
} from '#tests/helpers/browser'

type Cleanup = (fn: () => void | Promise<void>) => void

const NEW_PASSWORD = 'a fresh passphrase for work'

const freshEmail = () => `agent-${randomBytes(5).toString('hex')}@example.test`

/** A workspace with an owner who can sign in with TEST_PASSWORD. */
async function workspaceWithOwner(cleanup: Cleanup) {
  const made = await makeTenant('brteam')
  cleanup(made.cleanup)
  const owner = await makeMember(made.tenant.id, 'owner')
  cleanup(() => owner.delete())
  owner.name = 'Olivia Owner'
  await owner.save()
  return { tenant: made.tenant, owner, team: `/t/${made.tenant.slug}/team` }
}

/** The owner, signed in, opens Team from the workspace menu. */
async function openTeam(page: Page, email: string, slug: string) {
  await signInThroughForm(page, email, TEST_PASSWORD)
  if (new URL(page.url()).pathname !== `/t/${slug}`) {
    throw new Error(`the owner landed on ${page.url()}, not the workspace`)
  }
  await page
    .getByRole('navigation', { name: 'Main menu' })
    .getByRole('link', { name: 'Team' })
    .click()
  await page.waitForURL(serverUrl(`/t/${slug}/team`))
  await page.getByRole('heading', { level: 1, name: 'Team' }).waitFor()
}

/** Fills and sends the invite form on the Team page. */
async function invite(page: Page, email: string, role: string) {
  const form = page.getByRole('region', { name: 'Invite someone' })
  await form.getByLabel('E-mail').fill(email)
  await form.getByLabel('Role', { exact: true }).selectOption(role)
  await form.getByRole('button', { name: 'Send invitation' }).click()
  await page
    .getByRole('status')
    .filter({ hasText: `Invitation sent to ${email}.` })
    .waitFor()
}

async function roleOf(tenantId: string, userId: string) {
  const membership = await Membership.query()
    .where('tenant_id', tenantId)
    .where('user_id', userId)
    .first()
  return membership?.role ?? null
}

test.group('Journey: team and invitations', (group) => {
  const browser = useBrowser(group)

  test('an owner invites an agent from the Team page and sees the invitation pending', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspaceWithOwner(cleanup)
    const email = freshEmail()
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    cleanup(() => page.close())
    const problems = watchProblems(page)

    await openTeam(page, w.owner.email, w.tenant.slug)
    await page.getByRole('heading', { name: 'No pending invitations' }).waitFor()
    await screenshot(page, 'team-before-invite')

    await invite(page, email, 'agent')
    assert.equal(new URL(page.url()).pathname, w.team)

    const pending = page.getByRole('table', { name: '1 pending invitation' })
    const row = pending.getByRole('row').filter({ hasText: email })
    assert.equal(await row.count(), 1)
    const cells = (await row.getByRole('cell').allTextContents()).map((c) => c.trim())
    assert.deepEqual(cells.slice(0, 3), [email, 'Agent', 'Olivia Owner'])
    assert.isTrue(await row.getByRole('button', { name: 'Revoke' }).isVisible())
    await screenshot(page, 'team-invitation-pending')

    const invitation = await db
      .from('invitations')
      .where('tenant_id', w.tenant.id)
      .where('email', email)
      .firstOrFail()
    assert.equal(invitation.role, 'agent')
    assert.equal(invitation.invited_by_id, w.owner.id)
    assert.isNull(await User.findByEmail(email), 'nobody joined yet')
    const mail = await waitForMail(email)
    assert.equal(mail.subject, `You are invited to ${w.tenant.name} on FloMastr`)

    assert.deepEqual(problems, [])
  })

  test('the invited agent accepts in a fresh browser and the owner sees them on the team', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspaceWithOwner(cleanup)
    const email = freshEmail()
    cleanup(async () => {
      await (await User.findByEmail(email))?.delete()
    })

    const ownerPage = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    cleanup(() => ownerPage.close())
    const ownerProblems = watchProblems(ownerPage)
    await openTeam(ownerPage, w.owner.email, w.tenant.slug)
    await invite(ownerPage, email, 'agent')
    const link = linkIn(await waitForMail(email), '/invitations/')

    // Someone with no account and no session: a context of their own.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    cleanup(() => context.close())
    const page = await context.newPage()
    const problems = watchProblems(page)

    await page.goto(serverUrl(link))
    await page.getByRole('heading', { level: 1, name: `Join ${w.tenant.name}` }).waitFor()
    await page.getByText(`Olivia Owner invited you to join ${w.tenant.name} as Agent.`).waitFor()
    await page.getByText(`This invitation is for ${email}.`).waitFor()
    await page.getByLabel('Name').fill('Nadia New')
    await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD)
    await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD)
    await screenshot(page, 'invitation-accept-form')
    await page.getByRole('button', { name: 'Create account and join' }).click()

    await page.waitForURL(serverUrl(`/t/${w.tenant.slug}`))
    await page
      .getByRole('status')
      .filter({ hasText: `Welcome to ${w.tenant.name}. You joined as Agent.` })
      .waitFor()
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor()
    // A newcomer: welcome, not "welcome back".
    await page.getByText('Welcome, Nadia New. You are Agent in this workspace.').waitFor()
    // An agent's menu has no Branding; the Team page is there to look at.
    const menu = page.getByRole('navigation', { name: 'Main menu' })
    const links = (await menu.getByRole('link').allTextContents()).map((l) => l.trim())
    assert.includeMembers(links, ['Dashboard', 'Team'])
    assert.notInclude(links, 'Branding')
    await screenshot(page, 'invitation-accepted-dashboard')

    const agent = await User.findByEmail(email)
    assert.exists(agent)
    assert.equal(agent!.name, 'Nadia New')
    assert.equal(await roleOf(w.tenant.id, agent!.id), 'agent')

    // Back in the owner's browser, the Team page shows the new member.
    await ownerPage.reload()
    await ownerPage.getByRole('heading', { name: '2 members' }).waitFor()
    const members = ownerPage.getByRole('table', { name: '2 members' })
    const row = members.getByRole('row').filter({ hasText: email })
    assert.equal(await row.count(), 1)
    assert.include(await row.getByRole('cell').first().textContent(), 'Nadia New')
    assert.equal(await ownerPage.getByLabel('Role of Nadia New').inputValue(), 'agent')
    await ownerPage.getByRole('heading', { name: 'No pending invitations' }).waitFor()
    await screenshot(ownerPage, 'team-after-join')

    assert.deepEqual(problems, [])
    assert.deepEqual(ownerProblems, [])
  })
})
