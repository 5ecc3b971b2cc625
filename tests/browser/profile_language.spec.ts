import { test } from '@japa/runner'
import { makeUser, TEST_PASSWORD } from '#tests/helpers/users'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
  settled,
} from '#tests/helpers/browser'

test.group('Journey: language', (group) => {
  const browser = useBrowser(group)

  test('a person switches their profile to Arabic and the workspace reads right-to-left', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser({ name: 'Omar Test' })
    cleanup(remove)
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    cleanup(() => page.close())
    const problems = watchProblems(page)

    await signInThroughForm(page, user.email, TEST_PASSWORD)
    assert.equal(new URL(page.url()).pathname, '/account/profile')
    await screenshot(page, 'profile-en')

    await page.getByLabel('Language').selectOption('ar')
    await page.getByRole('button', { name: 'Save' }).first().click()
    await settled(page)

    assert.equal(await page.evaluate('document.documentElement.dir'), 'rtl')
    assert.equal(await page.evaluate('document.documentElement.lang'), 'ar')
    await page.getByText('تم حفظ ملفك الشخصي.').waitFor()

    // Right-to-left for real: the sidebar sits on the right and headings align right.
    const sidebar = await page.locator('aside.sidebar').boundingBox()
    const main = await page.locator('main.main').boundingBox()
    assert.isAbove(sidebar!.x, main!.x, 'the sidebar is on the right in Arabic')
    await screenshot(page, 'profile-ar')

    const back = await browser.newPage()
    cleanup(() => back.close())
    await back.goto(serverUrl('/login'))
    assert.equal(await back.evaluate('document.documentElement.dir'), 'ltr')
    assert.deepEqual(problems, [])
  })

  test('signing in from the Arabic sign-in page as an English speaker gives an English, full-width workspace', async ({
    assert,
    cleanup,
  }) => {
    const { user, cleanup: remove } = await makeUser({ name: 'Emma Test', locale: 'en' })
    cleanup(remove)
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    cleanup(() => page.close())
    const problems = watchProblems(page)

    await page.goto(serverUrl('/login'))
    await page.getByRole('link', { name: 'العربية' }).click()
    await settled(page)
    assert.equal(await page.evaluate('document.documentElement.dir'), 'rtl')

    await signInThroughForm(page, user.email, TEST_PASSWORD, { reload: false })
    assert.equal(new URL(page.url()).pathname, '/account/profile')
    assert.equal(await page.evaluate('document.documentElement.dir'), 'ltr')
    assert.equal(await page.evaluate('document.documentElement.lang'), 'en')
    // The shell fills the window: nothing of the sign-in card's centred layout is left.
    const sidebar = await page.locator('aside.sidebar').boundingBox()
    assert.equal(Math.round(sidebar!.x), 0)
    assert.equal(Math.round(sidebar!.y), 0)
    await screenshot(page, 'signin-from-arabic')
    assert.deepEqual(problems, [])
  })
})
