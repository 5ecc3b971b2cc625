import { test } from '@japa/runner'
import { User } from '#modules/identity/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, makeUser, TEST_PASSWORD } from '#tests/helpers/users'
import { WebSession } from '#tests/helpers/web_session'

let lastOctet = 10
const browser = () => new WebSession({ 'X-Forwarded-For': `192.0.2.${lastOctet++}` })

async function signedIn(email: string) {
  const web = browser()
  await web.submit('/login', '/login', { email, password: TEST_PASSWORD })
  return web
}

test.group('Profile', () => {
  test('name, language and time zone are saved, and Arabic pages read right-to-left', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    const web = await signedIn(user.email)

    const saved = await web.submit('/account/profile', '/account/profile', {
      name: 'Layla Haddad',
      locale: 'ar',
      timezone: 'Asia/Dubai',
    })
    assert.equal(saved.location, '/account/profile')
    await user.refresh()
    assert.equal(user.name, 'Layla Haddad')
    assert.equal(user.locale, 'ar')
    assert.equal(user.timezone, 'Asia/Dubai')

    const page = await web.get('/account/profile')
    assert.include(page.body, '<html lang="ar" dir="rtl">')
    assert.include(page.body, 'تم حفظ ملفك الشخصي.')
    assert.include(page.body, 'ملفك الشخصي')
  })

  test('an unknown time zone or an empty name is refused with field messages', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser({ name: 'Kept Name' })
    cleanup(remove)
    const web = await signedIn(user.email)
    await web.submit('/account/profile', '/account/profile', {
      name: '',
      locale: 'en',
      timezone: 'Mars/Olympus',
    })
    const page = await web.get('/account/profile')
    assert.include(page.body, 'Fill in this field.')
    assert.include(page.body, 'Choose a time zone from the list')
    assert.include(page.body, 'aria-invalid="true"')
    await user.refresh()
    assert.equal(user.name, 'Kept Name')
  })

  test('changing the password needs the current one and signs out other devices', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    const laptop = await signedIn(user.email)
    const phone = await signedIn(user.email)

    await laptop.submit('/account/profile', '/account/password', {
      current_password: 'not my password',
      password: 'a fresh passphrase',
      password_confirmation: 'a fresh passphrase',
    })
    let page = await laptop.get('/account/profile')
    assert.include(page.body, 'That is not your current password.')

    const changed = await laptop.submit('/account/profile', '/account/password', {
      current_password: TEST_PASSWORD,
      password: 'a fresh passphrase',
      password_confirmation: 'a fresh passphrase',
    })
    assert.equal(changed.location, '/account/profile')
    page = await laptop.get('/account/profile')
    assert.equal(page.status, 200, 'this device stays signed in')
    assert.include(page.body, 'Other devices have been signed out')
    assert.equal((await phone.get('/account/profile')).status, 302, 'the other device is out')
  })

  test('a visitor can read the sign-in page in Arabic', async ({ assert }) => {
    const web = browser()
    const switched = await web.get('/locale/ar?next=%2Flogin')
    assert.equal(switched.location, '/login')
    const page = await web.get('/login')
    assert.include(page.body, 'dir="rtl"')
    assert.include(page.body, 'تسجيل الدخول')
    const back = await web.get('/locale/en?next=https%3A%2F%2Fevil.example')
    assert.equal(back.location, '/login', 'never redirects off-site')
  })

  test('the switcher opens only workspaces the person belongs to', async ({ assert, cleanup }) => {
    const mine = await makeTenant('mine')
    const theirs = await makeTenant('theirs')
    cleanup(mine.cleanup)
    cleanup(theirs.cleanup)
    const member = await makeMember(mine.tenant.id, 'viewer')
    cleanup(async () => {
      await User.query().where('id', member.id).delete()
    })
    const web = await signedIn(member.email)

    const ok = await web.get(`/account/switch?to=${mine.tenant.slug}`)
    assert.equal(ok.location, `/t/${mine.tenant.slug}`)
    const refused = await web.get(`/account/switch?to=${theirs.tenant.slug}`)
    assert.equal(refused.location, '/account/profile')
  })

  test('the development mailbox lists what was sent', async ({ assert, cleanup }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    await browser().submit('/forgot-password', '/forgot-password', { email: user.email })
    const { waitForMail } = await import('#tests/helpers/mail')
    const mail = await waitForMail(user.email)
    const list = await browser().get('/dev/mailbox')
    assert.include(list.body, user.email)
    const one = await browser().get(`/dev/mailbox/${mail.id}`)
    assert.include(one.body, '/reset-password/')
  })
})
