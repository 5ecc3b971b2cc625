import { test } from '@japa/runner'
import { addMember } from '#modules/identity/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { useBrowser, serverUrl, signInThroughForm, watchProblems } from '#tests/helpers/browser'

/*
| htmx boost swaps the <body>; the head-support extension merges the new
| page's <head>. Without it, signing in through the boosted form (layouts/plain:
| no Alpine, no tenant stylesheet) landed on a workspace whose <head> was
| still the sign-in page's: no branding.css, and Alpine never started, so
| the workspace switcher did nothing.
*/
test.group('Journey: arriving in a workspace', (group) => {
  const browser = useBrowser(group)

  test('after signing in, the workspace has its own stylesheet and the switcher works', async ({
    assert,
    cleanup,
  }) => {
    const first = await makeTenant('brhead')
    cleanup(first.cleanup)
    const second = await makeTenant('brhead')
    cleanup(second.cleanup)
    const person = await makeMember(first.tenant.id, 'owner')
    cleanup(() => person.delete())
    await addMember(second.tenant.id, { email: person.email, password: TEST_PASSWORD }, 'agent')

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    cleanup(() => page.close())
    const problems = watchProblems(page)

    await signInThroughForm(page, person.email, TEST_PASSWORD)
    const landed = new URL(page.url()).pathname
    const other = [first.tenant, second.tenant].find((t) => `/t/${t.slug}` !== landed)!
    assert.include([`/t/${first.tenant.slug}`, `/t/${second.tenant.slug}`], landed)

    const stylesheets = await page.evaluate(
      `[...document.querySelectorAll('link[rel="stylesheet"]')].map((l) => new URL(l.href).pathname)`
    )
    assert.include(stylesheets as string[], `${landed}/branding.css`)

    // Alpine starts on the swapped-in page (a change before it has would go unheard).
    await page.waitForFunction(
      `Boolean(document.querySelector('#workspace-switch')?._x_dataStack)`,
      null,
      { timeout: 15_000 }
    )
    await page.getByLabel('Switch workspace').selectOption(other.slug)
    await page.waitForURL(serverUrl(`/t/${other.slug}`), { timeout: 15_000 })
    assert.deepEqual(problems, [])
  })
})
