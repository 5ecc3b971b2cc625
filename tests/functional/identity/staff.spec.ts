import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import { AuditLog } from '#modules/tenancy/index'
import { staffEmailsFrom, syncSuperAdmins, User } from '#modules/identity/index'
import { makeUser } from '#tests/helpers/users'
import { WebSession } from '#tests/helpers/web_session'
import { linkIn, waitForMail } from '#tests/helpers/mail'

test.group('Platform staff from SUPER_ADMIN_EMAILS', () => {
  test('the setting is read as a clean list of addresses', ({ assert }) => {
    assert.deepEqual(
      staffEmailsFrom(' Ops@Example.test, ,root@example.test,ops@example.test,nope'),
      ['ops@example.test', 'root@example.test']
    )
    assert.deepEqual(staffEmailsFrom(undefined), [])
  })

  test('a listed member becomes staff, once, with an audit row', async ({ assert, cleanup }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)

    assert.deepEqual(await syncSuperAdmins([user.email.toUpperCase()]), [user.email.toUpperCase()])
    await user.refresh()
    assert.isTrue(user.isSuperAdmin)
    assert.deepEqual(await syncSuperAdmins([user.email]), [], 'nothing changes the second time')
    const audit = await AuditLog.query().where('subject_id', user.id)
    assert.deepEqual(
      audit.map((row) => row.action),
      ['user.made_super_admin']
    )
  })

  test('a listed address without an account gets one and signs in after a reset', async ({
    assert,
    cleanup,
  }) => {
    const email = `staff-${randomBytes(4).toString('hex')}@example.test`
    await syncSuperAdmins([email])
    const user = await User.findByEmail(email)
    cleanup(async () => {
      await user?.delete()
    })
    assert.isTrue(user!.isSuperAdmin)

    const web = new WebSession({ 'X-Forwarded-For': '10.77.0.1' })
    await web.submit('/forgot-password', '/forgot-password', { email })
    const link = linkIn(await waitForMail(email), '/reset-password/')
    await web.submit(link, link, {
      password: 'staff passphrase here',
      password_confirmation: 'staff passphrase here',
    })
    const signedIn = await web.submit('/login', '/login', {
      email,
      password: 'staff passphrase here',
    })
    assert.equal(signedIn.location, '/admin')
  })
})
