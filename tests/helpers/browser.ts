import { mkdirSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import type { Group } from '@japa/runner/core'
import { chromium, type Browser, type Page } from 'playwright-core'

/**
 * Debian's Chromium, headless, driven by playwright-core (which downloads
 * no browser of its own). CHROMIUM_PATH overrides the location.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

/**
 * One browser for a group: launched in its setup, closed in its teardown.
 * The returned handle opens pages and contexts in it.
 */
export function useBrowser(group: Group) {
  let browser: Browser | undefined
  group.setup(async () => {
    browser = await launchBrowser()
    return () => browser?.close()
  })
  const current = () => {
    if (!browser) throw new Error('the browser starts in the group setup')
    return browser
  }
  return {
    newPage: (...args: Parameters<Browser['newPage']>) => current().newPage(...args),
    newContext: (...args: Parameters<Browser['newContext']>) => current().newContext(...args),
  }
}

export function serverUrl(path = '') {
  return `http://${process.env.HOST ?? '127.0.0.1'}:${process.env.PORT ?? 3333}${path}`
}

/**
 * Saves a full-page screenshot as tmp/screenshots/<name>.png. The caret is
 * left alone: hiding it makes Playwright set and clear `caret-color` on every
 * input, which leaves `style=""` behind; htmx then copies that attribute when
 * it settles a boosted swap, and the CSP (no inline styles) reports it.
 */
export async function screenshot(page: Page, name: string) {
  const dir = app.makePath('tmp/screenshots')
  mkdirSync(dir, { recursive: true })
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true, caret: 'initial' })
}

/**
 * Every console error and failed request of a page, so a journey can assert
 * that nothing broke (a CSP violation shows up here too).
 */
export function watchProblems(page: Page) {
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText
    // Requests the browser dropped because the page moved on (a click, a
    // reload, a live stream closed) were not refused by anyone.
    if (reason === 'net::ERR_ABORTED') return
    problems.push(`request failed: ${request.url()} ${reason}`)
  })
  return problems
}

/**
 * Signs in with the form. `reload: false` uses the sign-in page already open
 * (to keep a language chosen on it), as a person would.
 */
export async function signInThroughForm(
  page: Page,
  email: string,
  password: string,
  options: { reload?: boolean } = {}
) {
  if (options.reload !== false) await page.goto(serverUrl('/login'))
  await page.getByLabel(/e-mail|البريد/i).fill(email)
  await page.getByLabel(/^password$|^كلمة المرور$/i).fill(password)
  await page.getByRole('button', { name: /sign in|دخول/i }).click()
  // The form is boosted (htmx): the click returns before the request ends, and
  // the page reached "networkidle" long ago, so wait for the address to change.
  await page.waitForURL((url) => url.pathname !== '/login')
  await page.waitForLoadState('networkidle')
}
