import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { Membership, hashLinkToken } from '#modules/identity/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { makeUser } from '#tests/helpers/users'
import { linkIn, mailCount, waitForMail } from '#tests/helpers/mail'
import { signIn } from '#tests/functional/workspace/member_browser'

const freshEmail = (prefix = 'invitee') =>
  `${prefix}-${randomBytes(5).toString('hex')}@example.test`

type Cleanup = (fn: () => void | Promise<void>) => void

async function workspace(cleanup: Cleanup, prefix = 'team') {
  const made = await makeWorkspace(cleanup, prefix)
  return { ...made, team: `/t/${made.tenant.slug}/team` }
}

function openInvitations(tenantId: string, email: string) {
  return db
    .from('invitations')
    .where('tenant_id', tenantId)
    .where('email', email.toLowerCase())
    .orderBy('created_at')
}

function audits(tenantId: string, action: string) {
  return db.from('audit_logs').where('tenant_id', tenantId).where('action', action)
}

async function roleOf(tenantId: string, userId: string) {
  const membership = await Membership.query()
    .where('tenant_id', tenantId)
    .where('user_id', userId)
    .first()
  return membership?.role ?? null
}

test.group('Team page', () => {
  test('lists members and pending invitations with who invited them', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const owner = await w.member('owner')
    const agent = await w.member('agent')
    const web = await signIn(owner)
    const email = freshEmail()
    await web.submit(w.team, `${w.team}/invitations`, { email, role: 'viewer' })

    const page = await web.get(w.team)
    assert.equal(page.status, 200)
    assert.include(page.body, agent.email)
    assert.include(page.body, owner.email)
    assert.include(page.body, '2 members')
    const row = page.body.slice(page.body.indexOf(`data-invitation="${email}"`))
    assert.include(row.slice(0, 600), 'Viewer')
    assert.include(row.slice(0, 600), owner.name)

    // Agents see the team but get no invite form and no buttons.
    const agentPage = await (await signIn(agent)).get(w.team)
    assert.equal(agentPage.status, 200)
    assert.include(agentPage.body, email)
    assert.notInclude(agentPage.body, `action="${w.team}/invitations"`)
    assert.notInclude(agentPage.body, '/revoke')
  })
})

test.group('Inviting', () => {
  test('an owner invites by e-mail: a hashed single-use token, a 7-day expiry, a queued mail, an audit row', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const owner = await w.member('owner')
    const web = await signIn(owner)
    const email = freshEmail()
    const sent = await web.submit(w.team, `${w.team}/invitations`, { email, role: 'admin' })
    assert.equal(sent.status, 302)
    assert.equal(sent.location, w.team)
    assert.include((await web.get(w.team)).body, `Invitation sent to ${email}.`)

    const [row] = await openInvitations(w.tenant.id, email)
    assert.equal(row.role, 'admin')
    assert.equal(row.invited_by_id, owner.id)
    assert.lengthOf(row.token_hash, 64)
    const days = (new Date(row.expires_at).getTime() - Date.now()) / 86_400_000
    assert.closeTo(days, 7, 0.01)

    const mail = await waitForMail(email)
    assert.equal(mail.subject, `You are invited to ${w.tenant.name} on FloMastr`)
    const link = linkIn(mail, '/invitations/')
    assert.equal(hashLinkToken(link.split('/').pop()!), row.token_hash)
    assert.notInclude(JSON.stringify(row), link.split('/').pop()!)

    const [audit] = await audits(w.tenant.id, 'member.invited')
    assert.equal(audit.actor_user_id, owner.id)
    assert.equal(audit.metadata.email, email)
  })

  test('an admin invites, but not as owner; agents and viewers may not invite', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const admin = await signIn(await w.member('admin'))
    const ok = await admin.submit(w.team, `${w.team}/invitations`, {
      email: freshEmail(),
      role: 'agent',
    })
    assert.equal(ok.location, w.team)
    const asOwner = freshEmail()
    const refused = await admin.submit(w.team, `${w.team}/invitations`, {
      email: asOwner,
      role: 'owner',
    })
    assert.equal(refused.status, 403)
    assert.lengthOf(await openInvitations(w.tenant.id, asOwner), 0)
    // The admin's role list does not offer owner.
    assert.notInclude((await admin.get(w.team)).body, '<option value="owner"')

    for (const role of ['agent', 'viewer'] as const) {
      const web = await signIn(await w.member(role))
      const email = freshEmail()
      const response = await web.submit(w.team, `${w.team}/invitations`, { email, role: 'viewer' })
      assert.equal(response.status, 403, role)
      assert.lengthOf(await openInvitations(w.tenant.id, email), 0)
    }
  })

  test('inviting someone who is already a member is a field error, whatever the case', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    const agent = await w.member('agent')
    const response = await web.submit(w.team, `${w.team}/invitations`, {
      email: agent.email.toUpperCase(),
      role: 'viewer',
    })
    assert.equal(response.location, w.team)
    const page = await web.get(w.team)
    assert.include(page.body, `${agent.email.toUpperCase()} is already a member of this workspace.`)
    assert.include(page.body, 'aria-invalid="true"')
    // The typed address is kept in the form.
    assert.include(page.body, `value="${agent.email.toUpperCase()}"`)
    assert.lengthOf(await openInvitations(w.tenant.id, agent.email), 0)
  })

  test('an invalid e-mail or role is refused with field messages', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    await web.get(w.team)
    const response = await web.post(`${w.team}/invitations`, {
      email: 'not-an-address',
      role: 'emperor',
    })
    assert.equal(response.status, 302)
    const page = await web.get(w.team)
    assert.include(page.body, 'Enter an e-mail address such as name@example.com.')
    assert.include(page.body, 'Choose one of the options.')
  })

  test('inviting a pending address again replaces the earlier invitation', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    const email = freshEmail()
    await web.submit(w.team, `${w.team}/invitations`, { email, role: 'agent' })
    const first = linkIn(await waitForMail(email), '/invitations/')
    await web.submit(w.team, `${w.team}/invitations`, { email, role: 'viewer' })
    assert.include((await web.get(w.team)).body, 'the earlier link no longer works')

    const rows = await openInvitations(w.tenant.id, email)
    assert.lengthOf(rows, 2)
    assert.isNotNull(rows[0].revoked_at)
    assert.isNull(rows[1].revoked_at)
    assert.equal(rows[1].role, 'viewer')

    const deadline = Date.now() + 10_000
    while ((await mailCount(email)) < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const second = linkIn(await waitForMail(email), '/invitations/')
    assert.notEqual(first, second)
    const anonymous = (await import('#tests/functional/workspace/member_browser')).anonymous
    assert.equal((await anonymous().get(first)).status, 410)
    assert.equal((await anonymous().get(second)).status, 200)
  })

  test('a pending invitation can be revoked and resent', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const owner = await w.member('owner')
    const web = await signIn(owner)
    const { anonymous } = await import('#tests/functional/workspace/member_browser')

    const revokeMe = freshEmail('revoke')
    await web.submit(w.team, `${w.team}/invitations`, { email: revokeMe, role: 'agent' })
    const revokedLink = linkIn(await waitForMail(revokeMe), '/invitations/')
    const [toRevoke] = await openInvitations(w.tenant.id, revokeMe)
    const revoked = await web.submit(w.team, `${w.team}/invitations/${toRevoke.id}/revoke`, {})
    assert.equal(revoked.location, w.team)
    assert.isNotNull((await openInvitations(w.tenant.id, revokeMe))[0].revoked_at)
    assert.equal((await anonymous().get(revokedLink)).status, 410)
    assert.lengthOf(await audits(w.tenant.id, 'invitation.revoked'), 1)
    assert.notInclude((await web.get(w.team)).body, `data-invitation="${revokeMe}"`)

    const resendMe = freshEmail('resend')
    await web.submit(w.team, `${w.team}/invitations`, { email: resendMe, role: 'agent' })
    const oldLink = linkIn(await waitForMail(resendMe), '/invitations/')
    const [before] = await openInvitations(w.tenant.id, resendMe)
    // Nearly expired: a resend gives a fresh week.
    await db
      .from('invitations')
      .where('id', before.id)
      .update({ expires_at: new Date(Date.now() + 60_000) })
    const resent = await web.submit(w.team, `${w.team}/invitations/${before.id}/resend`, {})
    assert.equal(resent.location, w.team)
    const [after] = await openInvitations(w.tenant.id, resendMe)
    assert.notEqual(after.token_hash, before.token_hash)
    assert.isAbove(new Date(after.expires_at).getTime(), Date.now() + 6.9 * 86_400_000)

    const deadline = Date.now() + 10_000
    while ((await mailCount(resendMe)) < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const newLink = linkIn(await waitForMail(resendMe), '/invitations/')
    assert.notEqual(newLink, oldLink)
    // Only hashes are stored, so the old link is simply unknown now.
    const stale = await anonymous().get(oldLink)
    assert.equal(stale.status, 404)
    assert.include(stale.body, 'This invitation no longer works')
    assert.equal((await anonymous().get(newLink)).status, 200)
    assert.lengthOf(await audits(w.tenant.id, 'invitation.resent'), 1)

    // A revoked invitation cannot be resent or revoked again.
    const again = await web.submit(w.team, `${w.team}/invitations/${toRevoke.id}/resend`, {})
    assert.equal(again.status, 404)
  })
})

test.group('Roles and removal', () => {
  test('an owner changes a role; the change is audited', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const owner = await w.member('owner')
    const agent = await w.member('agent')
    const membership = await Membership.findByOrFail({ tenantId: w.tenant.id, userId: agent.id })
    const web = await signIn(owner)
    const response = await web.submit(w.team, `${w.team}/members/${membership.id}/role`, {
      role: 'admin',
    })
    assert.equal(response.location, w.team)
    assert.equal(await roleOf(w.tenant.id, agent.id), 'admin')
    assert.include((await web.get(w.team)).body, `${agent.name} is now Admin.`)
    const [audit] = await audits(w.tenant.id, 'member.role_changed')
    assert.deepInclude(audit.metadata, { from: 'agent', to: 'admin', email: agent.email })

    // Owners may make owners.
    await web.submit(w.team, `${w.team}/members/${membership.id}/role`, { role: 'owner' })
    assert.equal(await roleOf(w.tenant.id, agent.id), 'owner')
  })

  test('admins cannot change owners or make owners; agents change nothing', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const owner = await w.member('owner')
    const admin = await w.member('admin')
    const agent = await w.member('agent')
    const ownerM = await Membership.findByOrFail({ tenantId: w.tenant.id, userId: owner.id })
    const agentM = await Membership.findByOrFail({ tenantId: w.tenant.id, userId: agent.id })
    const adminWeb = await signIn(admin)

    let response = await adminWeb.submit(w.team, `${w.team}/members/${ownerM.id}/role`, {
      role: 'viewer',
    })
    assert.equal(response.status, 403)
    response = await adminWeb.submit(w.team, `${w.team}/members/${agentM.id}/role`, {
      role: 'owner',
    })
    assert.equal(response.status, 403)
    response = await adminWeb.submit(w.team, `${w.team}/members/${ownerM.id}/remove`, {
      [`confirm_${ownerM.id}`]: owner.email,
    })
    assert.equal(response.status, 403)
    assert.equal(await roleOf(w.tenant.id, owner.id), 'owner')
    assert.equal(await roleOf(w.tenant.id, agent.id), 'agent')

    // An admin does manage agents.
    response = await adminWeb.submit(w.team, `${w.team}/members/${agentM.id}/role`, {
      role: 'viewer',
    })
    assert.equal(response.location, w.team)
    assert.equal(await roleOf(w.tenant.id, agent.id), 'viewer')

    const agentWeb = await signIn(await w.member('agent'))
    response = await agentWeb.submit(w.team, `${w.team}/members/${agentM.id}/role`, {
      role: 'admin',
    })
    assert.equal(response.status, 403)
  })

  test('the last owner can be neither demoted nor removed, and cannot leave', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const owner = await w.member('owner')
    const ownerM = await Membership.findByOrFail({ tenantId: w.tenant.id, userId: owner.id })
    const web = await signIn(owner)

    await web.submit(w.team, `${w.team}/members/${ownerM.id}/role`, { role: 'admin' })
    assert.include((await web.get(w.team)).body, 'last owner. Make someone else an owner first.')
    assert.equal(await roleOf(w.tenant.id, owner.id), 'owner')

    await web.submit(w.team, `${w.team}/members/${ownerM.id}/remove`, {
      [`confirm_${ownerM.id}`]: owner.email,
    })
    assert.include((await web.get(w.team)).body, 'last owner')
    assert.equal(await roleOf(w.tenant.id, owner.id), 'owner')

    // With a second owner, the first may step down.
    const second = await w.member('owner')
    await web.submit(w.team, `${w.team}/members/${ownerM.id}/role`, { role: 'admin' })
    assert.equal(await roleOf(w.tenant.id, owner.id), 'admin')
    assert.equal(await roleOf(w.tenant.id, second.id), 'owner')
  })

  test('two owners demoting each other at the same moment leave one owner', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const first = await w.member('owner')
    const second = await w.member('owner')
    const firstM = await Membership.findByOrFail({ tenantId: w.tenant.id, userId: first.id })
    const secondM = await Membership.findByOrFail({ tenantId: w.tenant.id, userId: second.id })
    const [webA, webB] = await Promise.all([signIn(first), signIn(second)])
    await Promise.all([webA.get(w.team), webB.get(w.team)])

    await Promise.all([
      webA.post(`${w.team}/members/${secondM.id}/role`, { role: 'agent' }),
      webB.post(`${w.team}/members/${firstM.id}/role`, { role: 'agent' }),
    ])
    const owners = await db
      .from('memberships')
      .where('tenant_id', w.tenant.id)
      .where('role', 'owner')
    assert.lengthOf(owners, 1)
    assert.lengthOf(await audits(w.tenant.id, 'member.role_changed'), 1)
  })

  test('removing a member needs their e-mail typed; members may leave', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const owner = await w.member('owner')
    const agent = await w.member('agent')
    const viewer = await w.member('viewer')
    const agentM = await Membership.findByOrFail({ tenantId: w.tenant.id, userId: agent.id })
    const viewerM = await Membership.findByOrFail({ tenantId: w.tenant.id, userId: viewer.id })
    const web = await signIn(owner)

    const page = await web.get(w.team)
    assert.include(page.body, `name="confirm_${agentM.id}"`)
    const wrong = await web.post(`${w.team}/members/${agentM.id}/remove`, {
      [`confirm_${agentM.id}`]: 'someone@else.test',
    })
    assert.equal(wrong.location, w.team)
    assert.include((await web.get(w.team)).body, `Type ${agent.email} exactly to confirm.`)
    assert.equal(await roleOf(w.tenant.id, agent.id), 'agent')

    const removed = await web.submit(w.team, `${w.team}/members/${agentM.id}/remove`, {
      [`confirm_${agentM.id}`]: agent.email.toUpperCase(),
    })
    assert.equal(removed.location, w.team)
    assert.isNull(await roleOf(w.tenant.id, agent.id))
    const [audit] = await audits(w.tenant.id, 'member.removed')
    assert.deepInclude(audit.metadata, { email: agent.email, role: 'agent', left: false })

    // The viewer leaves by themselves and lands outside the workspace.
    const viewerWeb = await signIn(viewer)
    const left = await viewerWeb.submit(w.team, `${w.team}/members/${viewerM.id}/remove`, {
      [`confirm_${viewerM.id}`]: viewer.email,
    })
    assert.equal(left.location, '/')
    assert.isNull(await roleOf(w.tenant.id, viewer.id))
    assert.equal((await viewerWeb.get(w.team)).status, 404)
    // A viewer cannot remove anyone else.
    const ownerM = await Membership.findByOrFail({ tenantId: w.tenant.id, userId: owner.id })
    const other = await signIn(await w.member('viewer'))
    const refused = await other.submit(w.team, `${w.team}/members/${ownerM.id}/remove`, {
      [`confirm_${ownerM.id}`]: owner.email,
    })
    assert.equal(refused.status, 403)
  })
})

test.group('Team isolation between workspaces', () => {
  test("another workspace's members and invitations are not found through this workspace", async ({
    assert,
    cleanup,
  }) => {
    const a = await workspace(cleanup, 'iso-a')
    const b = await workspace(cleanup, 'iso-b')
    const adminA = await a.member('admin')
    const agentB = await b.member('agent')
    const ownerB = await b.member('owner')
    const agentBM = await Membership.findByOrFail({ tenantId: b.tenant.id, userId: agentB.id })
    const inviteB = freshEmail('b-invite')
    await (
      await signIn(ownerB)
    ).submit(b.team, `${b.team}/invitations`, {
      email: inviteB,
      role: 'agent',
    })
    const [invitationB] = await openInvitations(b.tenant.id, inviteB)
    const web = await signIn(adminA)

    // B's ids through A's URLs.
    for (const [path, fields] of [
      [`${a.team}/members/${agentBM.id}/role`, { role: 'viewer' }],
      [`${a.team}/members/${agentBM.id}/remove`, { [`confirm_${agentBM.id}`]: agentB.email }],
      [`${a.team}/invitations/${invitationB.id}/revoke`, {}],
      [`${a.team}/invitations/${invitationB.id}/resend`, {}],
    ] as const) {
      const response = await web.submit(a.team, path, fields as Record<string, string>)
      assert.equal(response.status, 404, path)
    }
    // B's URLs directly.
    assert.equal((await web.get(b.team)).status, 404)
    await web.get(a.team)
    const direct = await web.post(`${b.team}/members/${agentBM.id}/role`, { role: 'viewer' })
    assert.equal(direct.status, 404)
    const invite = await web.post(`${b.team}/invitations`, { email: freshEmail(), role: 'agent' })
    assert.equal(invite.status, 404)

    assert.equal(await roleOf(b.tenant.id, agentB.id), 'agent')
    const [still] = await openInvitations(b.tenant.id, inviteB)
    assert.isNull(still.revoked_at)
    assert.equal(still.token_hash, invitationB.token_hash)
  })

  test('inviting an address that belongs to another workspace only is fine', async ({
    assert,
    cleanup,
  }) => {
    const a = await workspace(cleanup, 'iso-a')
    const { user: outsider, cleanup: removeUser } = await makeUser()
    cleanup(removeUser)
    const web = await signIn(await a.member('owner'))
    const response = await web.submit(a.team, `${a.team}/invitations`, {
      email: outsider.email,
      role: 'agent',
    })
    assert.equal(response.location, a.team)
    assert.lengthOf(await openInvitations(a.tenant.id, outsider.email), 1)
  })
})
