import { test } from '@japa/runner'
import router from '@adonisjs/core/services/router'
import type { Page } from 'playwright-core'
import { addWebchatChannel, addWhatsAppChannel } from '#modules/channels/index'
import { systemActor } from '#modules/tenancy/index'
import { makeWorkspace, withoutPlan } from '#tests/helpers/tenants'
import { useBrowser } from '#tests/helpers/browser'
import { postMultipart, signIn } from '#tests/functional/workspace/member_browser'
import type { WebSession } from '#tests/helpers/web_session'
import { HOSTILE_WORD, injectedMarkup, parseElements } from '#tests/helpers/markup'

/*
| Every form on every workspace and account page, found from the router and
| the pages themselves, submitted by an owner with hostile text in each text
| field. Whatever comes back (the form shown again with its errors, or the
| page a save leads to, holding the stored text) is read by Chromium's parser:
| no element or attribute the text carries may appear.
|
| Links from those pages into the workspace are followed too (tabs such as
| the knowledge form's ?kind=text, and the pages of records the forms made,
| where stored text meets edit forms and confirmations), one page per shape
| of address. Left out: actions that end or destroy something (sign out,
| delete, leave, revoke, suspend).
*/

interface FoundForm {
  action: string
  method: string
  multipart: boolean
  fields: Array<[string, string, string]>
}

const DESTRUCTIVE =
  /logout|delete|destroy|remove|leave|revoke|impersonat|suspend|status|switch|availability|disable|rotate/

/** Text-like inputs get the hostile text; everything else keeps the value the page gave it. */
const TEXT_TYPES = new Set(['text', 'search', 'email', 'url', 'tel', 'textarea', 'password', ''])

function pageRoutes() {
  const all = Object.values(router.toJSON()).flat() as Array<{ pattern: string; methods: string[] }>
  return [
    ...new Set(
      all
        .filter((route) => route.methods.includes('GET'))
        .map((route) => route.pattern)
        .filter((pattern) => pattern.startsWith('/t/:tenant') || pattern.startsWith('/account/'))
        .filter((pattern) => pattern.replace('/t/:tenant', '').indexOf(':') === -1)
        .filter((pattern) => !/live|stream|export|events|\.css|\.json|logo/.test(pattern))
    ),
  ].sort()
}

async function formsOf(page: Page, html: string): Promise<FoundForm[]> {
  const describe = `(html) => Array.from(new DOMParser().parseFromString(html, 'text/html').forms).map((form) => ({
    action: form.getAttribute('action') || '',
    method: (form.getAttribute('method') || 'GET').toUpperCase(),
    multipart: form.enctype === 'multipart/form-data',
    fields: Array.from(form.elements).filter((el) => el.name && !el.disabled).map((el) => [
      el.name,
      el.tagName === 'TEXTAREA' ? 'textarea' : el.tagName === 'SELECT' ? 'select' : (el.getAttribute('type') || '').toLowerCase(),
      el.tagName === 'SELECT' ? (el.value || '') : (el.getAttribute('value') || ''),
    ]),
  }))`
  return (await page.evaluate(`(${describe})(${JSON.stringify(html)})`)) as FoundForm[]
}

function hostileFields(form: FoundForm): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  for (const [name, type, value] of form.fields) {
    if (name === '_csrf' || type === 'submit' || type === 'button' || type === 'file') continue
    if ((type === 'checkbox' || type === 'radio') && !value) continue
    pairs.push([name, TEXT_TYPES.has(type) ? HOSTILE_WORD : value])
  }
  return pairs
}

const SKIPPED_LINKS = /live|stream|export|events|\.css|\.json|logo|media|download|raw/

/** Links of a page to other pages under `prefix` (the workspace). */
async function linksOf(page: Page, html: string, prefix: string): Promise<string[]> {
  const hrefs = (await page.evaluate(
    `Array.from(new DOMParser().parseFromString(${JSON.stringify(html)}, 'text/html').links).map((a) => a.getAttribute('href'))`
  )) as string[]
  return hrefs.filter(
    (href) =>
      href?.startsWith(prefix) && !SKIPPED_LINKS.test(href) && !DESTRUCTIVE.test(href.split('?')[0])
  )
}

/** An address with its record ids left out: one page of each shape is enough. */
function shapeOf(href: string) {
  return href.replace(/[0-9a-f]{8}-[0-9a-f-]{27}|\d{3,}/gi, ':id').replace(/#.*$/, '')
}

async function submit(web: WebSession, from: string, form: FoundForm) {
  const fields = hostileFields(form)
  const action = form.action || from.split('?')[0]
  if (form.method === 'GET') {
    const query = new URLSearchParams(fields).toString()
    return web.get(`${action}${action.includes('?') ? '&' : '?'}${query}`)
  }
  const sent = form.multipart
    ? await postMultipart(web, from, action, Object.fromEntries(fields))
    : await web.submit(from, action, fields)
  if (sent.status !== 302 || !sent.location) return sent
  return web.get(sent.location)
}

test.group('Page forms take hostile text inert', (group) => {
  const browser = useBrowser(group)
  let page: Page
  group.setup(async () => {
    page = await browser.newPage({ javaScriptEnabled: false })
  })

  test('every form of the workspace and account pages shows hostile text back inert', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'forms')
    await withoutPlan(w.tenant)
    await addWebchatChannel(w.tenant, { name: 'Site chat' }, systemActor)
    // A WhatsApp number opens the template pages.
    await addWhatsAppChannel(
      w.tenant,
      {
        phoneNumberId: `9${Date.now()}`,
        wabaId: `8${Date.now()}`,
        displayNumber: '+15550001299',
        accessToken: 'token',
        appSecret: 'secret',
        verifyToken: `verify-${Date.now()}`,
      },
      systemActor
    )
    const web = await signIn(await w.member('owner'))
    const problems: string[] = []
    let submitted = 0
    const submittedOn = new Set<string>()

    /**
     * One walk from the listed pages through their links. Each page is checked;
     * its forms are sent once per shape of address over both walks. The second
     * walk reaches the records the first one's forms made (a knowledge source,
     * a renamed channel), whose pages show the stored text.
     */
    const walkPages = async () => {
      const queue = pageRoutes().map((pattern) => pattern.replace(':tenant', w.tenant.slug))
      const seen = new Set(queue.map(shapeOf))
      for (const path of queue) {
        const shown = await web.get(path)
        if (shown.status !== 200) continue
        for (const problem of injectedMarkup(await parseElements(page, shown.body))) {
          problems.push(`${path}: ${problem}`)
        }
        for (const link of await linksOf(page, shown.body, w.base)) {
          if (seen.has(shapeOf(link)) || seen.size >= 150) continue
          seen.add(shapeOf(link))
          queue.push(link.replace(/#.*$/, ''))
        }
        if (submittedOn.has(shapeOf(path))) continue
        submittedOn.add(shapeOf(path))
        for (const [index, form] of (await formsOf(page, shown.body)).entries()) {
          if (DESTRUCTIVE.test(form.action)) continue
          // The page again: a previous form may have changed it (and its CSRF token).
          const current = (await formsOf(page, (await web.get(path)).body))[index] ?? form
          const answer = await submit(web, path, current)
          submitted++
          for (const problem of injectedMarkup(await parseElements(page, answer.body))) {
            problems.push(`${path} form ${index} (${current.method} ${current.action}): ${problem}`)
          }
        }
      }
    }
    await walkPages()
    await walkPages()
    assert.deepEqual(problems, [])
    // The walk reached the pages: profile, channels, contacts, knowledge, templates, settings.
    assert.isAbove(submitted, 25)
  }).timeout(300_000)
})
