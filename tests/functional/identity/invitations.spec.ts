import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { Membership, User } from '#modules/identity/index'
import { suspendTenant, systemActor } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, makeUser, TEST_PASSWORD } from '#tests/helpers/users'
import { linkIn, waitForMail } from '#tests/helpers/mail'
import { anonymous, signIn } from '#tests/functional/workspace/member_browser'

const NEW_PASSWORD = 'a fresh passphrase for work'

/**
 * A workspace whose owner invited `email` as `role` through the team page;
 * returns the e-mailed link.
 */
async function invited(
  cleanup: (fn: () => void | Promise<void>) => void,
  email: string,
  role: 'admin' | 'agent' | 'viewer' = 'agent'
) {
  const made = await makeTenant('inv')
  cleanup(made.cleanup)
  const owner = await makeMember(made.tenant.id, 'owner')
  cleanup(() => owner.delete())
  owner.name = 'Olivia Owner'
  await owner.save()
  const team = `/t/${made.tenant.slug}/team`
  const web = await signIn(owner)
  const sent = await web.submit(team, `${team}/invitations`, { email, role })
  if (sent.location !== team) throw new Error(`invite failed: ${sent.status}`)
  const link = linkIn(await waitForMail(email), '/invitations/')
  return { ...made, owner, link, ownerWeb: web }
}

/** A signed-out visitor holding a CSRF token (from the sign-in page). */
async function visitor() {
  const web = anonymous()
  await web.get('/login')
  return web
}

const freshEmail = () => `new-${randomBytes(5).toString('hex')}@example.test`

async function roleOf(tenantId: string, userId: string) {
  const membership = await Membership.query()
    .where('tenant_id', tenantId)
    .where('user_id', userId)
    .first()
  return membership?.role ?? null
}

test.group('Accepting an invitation', () => {
  test('someone new creates an account and joins in one step, then is signed in', async ({
    assert,
    cleanup,
  }) => {
    const email = freshEmail()
    const w = await invited(cleanup, email, 'admin')
    cleanup(async () => {
      await (await User.findByEmail(email))?.delete()
    })
    const web = anonymous()

    const page = await web.get(w.link)
    assert.equal(page.status, 200)
    assert.include(page.body, `Join ${w.tenant.name}`)
    assert.include(page.body, `Olivia Owner invited you to join ${w.tenant.name} as Admin.`)
    assert.include(page.body, 'name="password_confirmation"')

    // A mismatched confirmation loses nothing and creates nothing.
    const bad = await web.post(w.link, {
      name: 'Nadia New',
      password: NEW_PASSWORD,
      password_confirmation: 'something else entirely',
    })
    assert.equal(bad.status, 302)
    assert.isNull(await User.findByEmail(email))
    const again = await web.get(w.link)
    assert.include(again.body, 'The two entries do not match.')
    assert.include(again.body, 'value="Nadia New"')

    const joined = await web.post(w.link, {
      name: 'Nadia New',
      password: NEW_PASSWORD,
      password_confirmation: NEW_PASSWORD,
    })
    assert.equal(joined.status, 302)
    assert.equal(joined.location, `/t/${w.tenant.slug}`)
    const user = await User.findByEmail(email)
    assert.equal(user!.name, 'Nadia New')
    assert.equal(await roleOf(w.tenant.id, user!.id), 'admin')

    const dashboard = await web.get(`/t/${w.tenant.slug}`)
    assert.equal(dashboard.status, 200)
    assert.include(dashboard.body, `Welcome to ${w.tenant.name}. You joined as Admin.`)

    const audit = await db
      .from('audit_logs')
      .where('tenant_id', w.tenant.id)
      .where('action', 'member.joined')
      .first()
    assert.equal(audit.actor_user_id, user!.id)
    assert.deepInclude(audit.metadata, { email, role: 'admin', newAccount: true })

    // Used: the link is spent, for everyone.
    const reused = await anonymous().get(w.link)
    assert.equal(reused.status, 410, reused.body)
    assert.include(reused.body, 'The invitation has already been used.', reused.body)
    const replay = await (
      await visitor()
    ).post(w.link, {
      name: 'Mallory',
      password: NEW_PASSWORD,
      password_confirmation: NEW_PASSWORD,
    })
    assert.equal(replay.status, 410)
  })

  test('the invited person, signed in, joins with one button (e-mail case ignored)', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: removeUser } = await makeUser()
    cleanup(removeUser)
    const w = await invited(cleanup, user.email.toUpperCase(), 'viewer')
    const web = await signIn(user)

    const page = await web.get(w.link)
    assert.equal(page.status, 200)
    assert.include(page.body, `>Join ${w.tenant.name}</button>`)
    assert.notInclude(page.body, 'name="password"')

    const joined = await web.post(w.link, {})
    assert.equal(joined.location, `/t/${w.tenant.slug}`)
    assert.equal(await roleOf(w.tenant.id, user.id), 'viewer')
    assert.equal((await web.get(`/t/${w.tenant.slug}`)).status, 200)
    assert.equal((await web.get(w.link)).status, 410)
  })

  test('an existing account that is signed out is told to sign in and come back', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: removeUser } = await makeUser()
    cleanup(removeUser)
    const w = await invited(cleanup, user.email)
    const web = anonymous()

    const page = await web.get(w.link)
    assert.equal(page.status, 200)
    assert.include(page.body, `${user.email} already has a FloMastr account.`)
    const next = `/login?next=${encodeURIComponent(w.link)}`
    assert.include(page.body, `href="${next}"`)
    assert.notInclude(page.body, 'name="password"')

    // Posting a new-account form for an existing address creates nothing.
    await web.get(next)
    const post = await web.post(w.link, {
      name: 'Imposter',
      password: NEW_PASSWORD,
      password_confirmation: NEW_PASSWORD,
    })
    assert.equal(post.location, w.link)
    assert.isNull(await roleOf(w.tenant.id, user.id))

    // Signing in through that link lands back on the invitation.
    const signedIn = await web.submit(next, '/login', {
      email: user.email,
      password: TEST_PASSWORD,
      next: w.link,
    })
    assert.equal(signedIn.location, w.link)
    assert.include((await web.get(w.link)).body, `>Join ${w.tenant.name}</button>`)
  })

  test('someone signed in with another e-mail is told so and may sign out', async ({
    assert,
    cleanup,
  }) => {
    const { user: invitee, cleanup: removeInvitee } = await makeUser()
    const { user: other, cleanup: removeOther } = await makeUser()
    cleanup(removeInvitee)
    cleanup(removeOther)
    const w = await invited(cleanup, invitee.email)
    const web = await signIn(other)

    const page = await web.get(w.link)
    assert.equal(page.status, 200)
    assert.include(
      page.body,
      `You are signed in as ${other.email}, but this invitation is for ${invitee.email}.`
    )
    assert.notInclude(page.body, `>Join ${w.tenant.name}</button>`)

    const post = await web.post(w.link, {})
    assert.equal(post.location, w.link)
    assert.isNull(await roleOf(w.tenant.id, other.id))
    assert.isNull(await roleOf(w.tenant.id, invitee.id))

    await web.get(w.link)
    const out = await web.post(`${w.link}/switch-account`, {})
    assert.equal(out.location, w.link)
    const after = await web.get(w.link)
    assert.include(after.body, `${invitee.email} already has a FloMastr account.`)
    assert.equal((await web.get('/account/profile')).status, 302)
  })

  test('expired, revoked and unknown links say so', async ({ assert, cleanup }) => {
    const expiredEmail = freshEmail()
    const w = await invited(cleanup, expiredEmail)
    await db
      .from('invitations')
      .where('email', expiredEmail)
      .update({ expires_at: new Date(Date.now() - 1000) })
    const expired = await anonymous().get(w.link)
    assert.equal(expired.status, 410)
    assert.include(expired.body, 'The invitation has expired')
    assert.include(expired.body, `Ask someone at ${w.tenant.name} to send you a new invitation.`)
    const expiredPost = await (
      await visitor()
    ).post(w.link, {
      name: 'Late',
      password: NEW_PASSWORD,
      password_confirmation: NEW_PASSWORD,
    })
    assert.equal(expiredPost.status, 410)
    assert.isNull(await User.findByEmail(expiredEmail))

    const revokedEmail = freshEmail()
    const team = `/t/${w.tenant.slug}/team`
    await w.ownerWeb.submit(team, `${team}/invitations`, { email: revokedEmail, role: 'agent' })
    const revokedLink = linkIn(await waitForMail(revokedEmail), '/invitations/')
    const row = await db.from('invitations').where('email', revokedEmail).first()
    await w.ownerWeb.submit(team, `${team}/invitations/${row.id}/revoke`, {})
    const revoked = await anonymous().get(revokedLink)
    assert.equal(revoked.status, 410)
    assert.include(revoked.body, 'The invitation was withdrawn.')

    const unknown = await anonymous().get('/invitations/not-a-real-token')
    assert.equal(unknown.status, 404)
    assert.include(unknown.body, 'This invitation no longer works')
  })

  test("a suspended workspace's invitations stop working", async ({ assert, cleanup }) => {
    const w = await invited(cleanup, freshEmail())
    await suspendTenant(w.tenant, systemActor)
    assert.equal((await anonymous().get(w.link)).status, 410)
  })
})
