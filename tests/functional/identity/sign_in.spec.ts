import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, makeUser, TEST_PASSWORD } from '#tests/helpers/users'
import { WebSession } from '#tests/helpers/web_session'

/** Each browser signs in from its own address so throttling counters never meet. */
let lastOctet = 10
const browser = () => new WebSession({ 'X-Forwarded-For': `203.0.113.${lastOctet++}` })
const SESSION = 'flomastr_session'

test.group('Sign-in', () => {
  test('a member signs in, gets a new session id and lands in their workspace', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('signin')
    cleanup(remove)
    const member = await makeMember(tenant.id, 'agent')
    cleanup(() => member.delete())

    const web = browser()
    await web.get('/login')
    const before = web.cookie(SESSION)
    const signedIn = await web.post('/login', {
      email: member.email.toUpperCase(),
      password: TEST_PASSWORD,
    })
    assert.equal(signedIn.status, 302)
    assert.equal(signedIn.location, `/t/${tenant.slug}`)
    assert.notEqual(web.cookie(SESSION), before, 'the session id is renewed at sign-in')

    const profile = await web.get('/account/profile')
    assert.equal(profile.status, 200)
    assert.include(profile.body, member.email)
  })

  test('super admins land in the console, people without a workspace on their profile', async ({
    assert,
    cleanup,
  }) => {
    const { user: staff, cleanup: removeStaff } = await makeUser({ superAdmin: true })
    const { user: loner, cleanup: removeLoner } = await makeUser()
    cleanup(removeStaff)
    cleanup(removeLoner)

    const asStaff = await browser().submit('/login', '/login', {
      email: staff.email,
      password: TEST_PASSWORD,
    })
    assert.equal(asStaff.location, '/admin')
    const asLoner = await browser().submit('/login', '/login', {
      email: loner.email,
      password: TEST_PASSWORD,
    })
    assert.equal(asLoner.location, '/account/profile')
  })

  test('an unknown e-mail and a wrong password get the same answer', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)

    const pages: string[] = []
    for (const email of [user.email, 'nobody-here@example.test']) {
      const web = browser()
      const attempt = await web.submit('/login', '/login', { email, password: 'not-the-password' })
      assert.equal(attempt.status, 302)
      assert.equal(attempt.location, '/login')
      const page = await web.get('/login')
      assert.include(page.body, 'That e-mail and password do not match an account')
      assert.include(page.body, `value="${email}"`, 'the e-mail is kept in the form')
      pages.push(page.body.replace(email, 'EMAIL').replace(/value='[^']+'/g, ''))
    }
    assert.equal(pages[0], pages[1], 'nothing on the page tells the two cases apart')
  })

  test('five failures from one address lock that e-mail there for 15 minutes', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    const web = browser()
    for (let attempt = 0; attempt < 5; attempt++) {
      await web.submit('/login', '/login', { email: user.email, password: 'nope-nope-nope' })
    }

    const blocked = await web.submit('/login', '/login', {
      email: user.email,
      password: TEST_PASSWORD,
    })
    assert.equal(blocked.location, '/login')
    const page = await web.get('/login')
    assert.include(page.body, 'Too many failed attempts. Try again in 15 minutes')

    // The same person elsewhere is not locked out by someone guessing here.
    const elsewhere = await browser().submit('/login', '/login', {
      email: user.email,
      password: TEST_PASSWORD,
    })
    assert.equal(elsewhere.location, '/account/profile')
  })

  test('remember-me keeps a 30-day token; without it there is none', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)

    const plain = browser()
    await plain.submit('/login', '/login', { email: user.email, password: TEST_PASSWORD })
    assert.isUndefined(plain.cookie('remember_web'))

    const remembered = browser()
    const response = await remembered.submit('/login', '/login', {
      email: user.email,
      password: TEST_PASSWORD,
      remember: 'true',
    })
    const cookie = response.response.headers
      .getSetCookie()
      .find((c) => c.startsWith('remember_web='))
    assert.exists(cookie)
    const maxAge = Number(cookie!.match(/Max-Age=(\d+)/)?.[1])
    assert.isAtLeast(maxAge, 29 * 24 * 3600)
    assert.match(cookie!, /HttpOnly/)

    const tokens = await db.from('remember_me_tokens').where('tokenable_id', user.id)
    assert.lengthOf(tokens, 1)

    // The session alone is gone; the remember-me cookie signs the person back in.
    remembered.cookies.delete(SESSION)
    const back = await remembered.get('/account/profile')
    assert.equal(back.status, 200)
  })

  test('signing out ends the session for good', async ({ assert, cleanup }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    const web = browser()
    await web.submit('/login', '/login', { email: user.email, password: TEST_PASSWORD })
    const stolen = web.cookie(SESSION)!

    const out = await web.submit('/account/profile', '/logout', {})
    assert.equal(out.location, '/login')

    const replay = new WebSession()
    replay.cookies.set(SESSION, stolen)
    const again = await replay.get('/account/profile')
    assert.equal(again.status, 302)
    assert.equal(again.location, '/login?next=%2Faccount%2Fprofile')
  })

  test('after sign-in a person returns to the page they asked for, never to another site', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    const asked = await browser().get('/account/profile')
    assert.equal(asked.location, '/login?next=%2Faccount%2Fprofile')

    const back = await browser().submit('/login?next=%2Faccount%2Fprofile', '/login', {
      email: user.email,
      password: TEST_PASSWORD,
      next: '/account/profile',
    })
    assert.equal(back.location, '/account/profile')

    const offsite = await browser().submit('/login', '/login', {
      email: user.email,
      password: TEST_PASSWORD,
      next: '//evil.example/steal',
    })
    assert.equal(offsite.location, '/account/profile')
  })

  test('a form posted without its CSRF token signs nobody in', async ({ assert, cleanup }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    const web = browser()
    await web.get('/login')
    const forged = await fetch(`${WebSession.baseUrl()}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'cookie': `${SESSION}=${web.cookie(SESSION)}`,
      },
      body: new URLSearchParams({ email: user.email, password: TEST_PASSWORD }),
    })
    assert.notEqual(forged.headers.get('location'), '/account/profile')
    const after = await web.get('/account/profile')
    assert.equal(after.status, 302, 'still signed out')
  })

  test('pages carry a strict Content-Security-Policy and safe cookies', async ({ assert }) => {
    const page = await browser().get('/login')
    const csp = String(page.response.headers.get('content-security-policy'))
    assert.include(csp, "script-src 'self'")
    assert.include(csp, "style-src 'self'")
    assert.notInclude(csp, 'unsafe-inline')
    assert.notInclude(csp, 'unsafe-eval')
    assert.equal(page.response.headers.get('x-frame-options'), 'DENY')
    const cookie = page.response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION}=`))
    assert.match(String(cookie), /HttpOnly/)
    assert.match(String(cookie), /SameSite=Lax/)
    assert.notMatch(page.body, /<script>|<script [^>]*>[^<]/, 'no inline scripts')
  })
})
