import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { setTimeout as sleep } from 'node:timers/promises'
import { makeUser, TEST_PASSWORD } from '#tests/helpers/users'
import { WebSession } from '#tests/helpers/web_session'
import { linkIn, mailCount, waitForMail } from '#tests/helpers/mail'

let lastOctet = 10
const browser = () => new WebSession({ 'X-Forwarded-For': `198.51.100.${lastOctet++}` })
const NEW_PASSWORD = 'a brand new passphrase'

test.group('Password reset', () => {
  test('asking for a reset answers the same whether or not the address has an account', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    const stranger = `nobody-${Date.now()}@example.test`

    const answers: string[] = []
    for (const email of [user.email, stranger]) {
      const web = browser()
      const sent = await web.submit('/forgot-password', '/forgot-password', { email })
      assert.equal(sent.status, 302)
      assert.equal(sent.location, '/login')
      const page = await web.get('/login')
      assert.include(page.body, 'a reset link is on its way')
      answers.push(page.body.replace(email, 'EMAIL').replace(/value='[^']+'/g, ''))
    }
    assert.equal(answers[0], answers[1])

    const mail = await waitForMail(user.email)
    assert.equal(mail.subject, 'Reset your FloMastr password')
    await sleep(500)
    assert.equal(await mailCount(stranger), 0, 'no mail goes to an unknown address')
  })

  test('the e-mailed link sets a new password once, and only once', async ({ assert, cleanup }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    await browser().submit('/forgot-password', '/forgot-password', { email: user.email })
    const link = linkIn(await waitForMail(user.email), '/reset-password/')

    const web = browser()
    const form = await web.get(link)
    assert.equal(form.status, 200)
    assert.include(form.body, 'Choose a new password')
    const done = await web.post(link, {
      password: NEW_PASSWORD,
      password_confirmation: NEW_PASSWORD,
    })
    assert.equal(done.location, '/login')

    const oldPassword = await browser().submit('/login', '/login', {
      email: user.email,
      password: TEST_PASSWORD,
    })
    assert.equal(oldPassword.location, '/login', 'the old password no longer works')
    const newPassword = await browser().submit('/login', '/login', {
      email: user.email,
      password: NEW_PASSWORD,
    })
    assert.equal(newPassword.location, '/account/profile')

    const reused = await browser().get(link)
    assert.equal(reused.status, 410)
    assert.include(reused.body, 'This link no longer works')
    const replay = await web.post(link, {
      password: 'yet another passphrase',
      password_confirmation: 'yet another passphrase',
    })
    assert.equal(replay.status, 410)
  })

  test('a link older than an hour has expired', async ({ assert, cleanup }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    await browser().submit('/forgot-password', '/forgot-password', { email: user.email })
    const link = linkIn(await waitForMail(user.email), '/reset-password/')
    await db
      .from('password_reset_tokens')
      .where('user_id', user.id)
      .update({ expires_at: new Date(Date.now() - 1000) })

    const page = await browser().get(link)
    assert.equal(page.status, 410)
  })

  test('a reset signs the person out everywhere', async ({ assert, cleanup }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    const elsewhere = browser()
    await elsewhere.submit('/login', '/login', { email: user.email, password: TEST_PASSWORD })
    assert.equal((await elsewhere.get('/account/profile')).status, 200)

    await browser().submit('/forgot-password', '/forgot-password', { email: user.email })
    const link = linkIn(await waitForMail(user.email), '/reset-password/')
    await browser().submit(link, link, {
      password: NEW_PASSWORD,
      password_confirmation: NEW_PASSWORD,
    })

    const after = await elsewhere.get('/account/profile')
    assert.equal(after.status, 302)
  })

  test('a short or mismatched new password is refused with field messages', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    await browser().submit('/forgot-password', '/forgot-password', { email: user.email })
    const link = linkIn(await waitForMail(user.email), '/reset-password/')

    const web = browser()
    await web.get(link)
    const short = await web.post(link, { password: 'short', password_confirmation: 'short' })
    assert.equal(short.status, 302)
    let page = await web.get(link)
    assert.include(page.body, 'Use at least 10 characters.')

    await web.post(link, { password: NEW_PASSWORD, password_confirmation: 'something else' })
    page = await web.get(link)
    assert.include(page.body, 'The two entries do not match.')
    assert.equal(page.status, 200, 'the link still works after a refused attempt')
  })
})
