import { test } from '@japa/runner'
import type { Group } from '@japa/runner/core'
import db from '@adonisjs/lucid/services/db'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, makeUser, TEST_PASSWORD } from '#tests/helpers/users'
import { WebSession } from '#tests/helpers/web_session'
import { setTrustedProxies } from '#tests/helpers/proxies'
import { linkIn, waitForMail } from '#tests/helpers/mail'

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

/** The proxies the app believes for each test of the group (TRUSTED_PROXIES). */
function trustProxies(group: Group, value: string) {
  group.each.setup(() => setTrustedProxies(value))
}

const THROTTLED = 'Too many failed attempts. Try again in 15 minutes'

/** Posts one sign-in from a client whose proxy headers say `forwardedFor`. */
async function signInAs(forwardedFor: string, email: string, password: string) {
  const web = new WebSession({ 'X-Forwarded-For': forwardedFor })
  const attempt = await web.submit('/login', '/login', { email, password })
  const page = await web.get('/login')
  return { location: attempt.location, page: page.body, throttled: page.body.includes(THROTTLED) }
}

/** Five wrong passwords, each from the client `forwardedFor(attempt)` names. */
async function failFiveTimes(email: string, forwardedFor: (attempt: number) => string) {
  for (let attempt = 0; attempt < 5; attempt++) {
    await signInAs(forwardedFor(attempt), email, 'nope-nope-nope')
  }
}

test.group('Sign-in: client addresses with no trusted proxy (the default)', (group) => {
  trustProxies(group, '')

  test('a forged X-Forwarded-For does not change the client address', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    await failFiveTimes(user.email, () => '203.0.113.40')
    // Another claimed address is the same client: still locked out.
    const other = await signInAs('198.51.100.41', user.email, TEST_PASSWORD)
    assert.equal(other.location, '/login')
    assert.isTrue(other.throttled)
  })

  test('25 wrong passwords with a new X-Forwarded-For each are throttled after the fifth', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    const throttled: boolean[] = []
    for (let attempt = 0; attempt < 25; attempt++) {
      const forged = `${10 + attempt}.${attempt}.${attempt * 3}.${attempt + 1}`
      throttled.push((await signInAs(forged, user.email, `guess-${attempt}`)).throttled)
    }
    assert.deepEqual(throttled.slice(0, 5), [false, false, false, false, false])
    assert.deepEqual(throttled.slice(5), Array(20).fill(true))
  }).timeout(60_000)
})

test.group('Sign-in: client addresses behind a trusted proxy', (group) => {
  // The suite's client is the load balancer, on loopback.
  trustProxies(group, '127.0.0.1')

  test("the trusted proxy's X-Forwarded-For is the client address", async ({ assert, cleanup }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    await failFiveTimes(user.email, () => '203.0.113.50')
    assert.isTrue((await signInAs('203.0.113.50', user.email, TEST_PASSWORD)).throttled)
    const elsewhere = await signInAs('203.0.113.51', user.email, TEST_PASSWORD)
    assert.equal(elsewhere.location, '/account/profile')
  })

  test('only the hop the trusted proxy saw counts: addresses the client prepends are ignored', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    // The client sent "X-Forwarded-For: <anything>"; the proxy appended its peer.
    await failFiveTimes(user.email, (attempt) => `192.0.2.${attempt + 1}, 203.0.113.60`)
    const forged = await signInAs('192.0.2.99, 203.0.113.60', user.email, TEST_PASSWORD)
    assert.isTrue(forged.throttled)
  })

  test('twenty failures for one e-mail from twenty addresses lock it everywhere, telling nothing about the account', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    const unknown = `nobody-${Date.now()}@example.test`
    const pages: string[] = []
    for (const email of [user.email, unknown]) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const guess = await signInAs(`198.18.${pages.length}.${attempt + 1}`, email, 'nope-nope')
        assert.isFalse(guess.throttled, `attempt ${attempt + 1} is judged on its password`)
      }
      const fresh = await signInAs(`198.18.${pages.length}.200`, email, TEST_PASSWORD)
      assert.equal(fresh.location, '/login')
      assert.isTrue(fresh.throttled, 'a 21st address is refused too')
      pages.push(fresh.page.replace(email, 'EMAIL').replace(/value='[^']+'/g, ''))
    }
    assert.equal(pages[0], pages[1], 'an existing and an unknown account look the same')

    // The lock is the account's: someone else signs in from one of those addresses.
    const { user: neighbour, cleanup: removeNeighbour } = await makeUser()
    cleanup(removeNeighbour)
    const other = await signInAs('198.18.0.1', neighbour.email, TEST_PASSWORD)
    assert.equal(other.location, '/account/profile')
  }).timeout(90_000)

  test('a password reset lifts the locks: the owner of the mailbox signs in at once', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    const home = '203.0.113.70'
    // A guesser locks the account from twenty addresses; the owner's own typos lock their address.
    for (let attempt = 0; attempt < 15; attempt++) {
      await signInAs(`198.19.7.${attempt + 1}`, user.email, 'nope-nope')
    }
    await failFiveTimes(user.email, () => home)
    assert.isTrue((await signInAs(home, user.email, TEST_PASSWORD)).throttled)

    const web = new WebSession({ 'X-Forwarded-For': home })
    await web.submit('/forgot-password', '/forgot-password', { email: user.email })
    const link = linkIn(await waitForMail(user.email), '/reset-password/')
    await web.get(link)
    const done = await web.post(link, {
      password: 'a brand new passphrase',
      password_confirmation: 'a brand new passphrase',
    })
    assert.equal(done.location, '/login')
    const after = await signInAs(home, user.email, 'a brand new passphrase')
    assert.equal(after.location, '/account/profile', 'no longer locked out')
  }).timeout(90_000)
})
