import { mkdirSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import type { Group } from '@japa/runner/core'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Page,
  type Request,
} from 'playwright-core'

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
    newPage: async (...args: Parameters<Browser['newPage']>) =>
      trackRequests(await current().newPage(...args)),
    newContext: async (...args: Parameters<Browser['newContext']>) =>
      trackPages(await current().newContext(...args)),
  }
}

/** Requests of each followed page still waiting for their answer. */
const openRequests = new WeakMap<Page, Set<Request>>()

/** Long-lived by design: a live stream never ends, so it never counts as waited for. */
const STREAMS = new Set(['eventsource', 'websocket'])

/** Follows the requests of a page from now on (settled() reads them). */
export function trackRequests(page: Page) {
  if (openRequests.has(page)) return page
  const open = new Set<Request>()
  openRequests.set(page, open)
  page.on('request', (request) => {
    if (!STREAMS.has(request.resourceType())) open.add(request)
  })
  page.on('requestfinished', (request) => open.delete(request))
  page.on('requestfailed', (request) => open.delete(request))
  return page
}

/** Follows every page a context opens (settled() reads them). */
function trackPages(context: BrowserContext) {
  context.on('page', (page) => trackRequests(page))
  return context
}

/**
 * The page loaded and quiet: none of its requests (live streams aside) open
 * for `quietMs`. Playwright's "networkidle" waits a fixed half second of
 * quiet on every call; a page followed from its start (useBrowser's pages
 * are) is known quiet as soon as it is. An unfollowed page gets networkidle.
 */
export async function settled(page: Page, quietMs = 100) {
  const open = openRequests.get(page)
  if (!open) return page.waitForLoadState('networkidle')
  await page.waitForLoadState('load')
  const deadline = Date.now() + 30_000
  let quietSince = Date.now()
  while (Date.now() < deadline) {
    if (open.size) quietSince = Date.now()
    else if (Date.now() - quietSince >= quietMs) return
    await sleep(20)
  }
  throw new Error(`still waiting for ${[...open].map((r) => r.url()).join(', ')}`)
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
  // the page was quiet long ago, so wait for the address to change.
  await page.waitForURL((url) => url.pathname !== '/login')
  await settled(page)
}
