import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import type { Page } from 'playwright-core'
import { MessageTemplate } from '#modules/channels/index'
import { Contact, Conversation } from '#modules/inbox/index'
import { createCannedResponse } from '#modules/inbox/services/canned_response_service'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { makeWhatsAppTenant } from '#tests/helpers/whatsapp'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
} from '#tests/helpers/browser'

type Cleanup = (fn: () => void | Promise<void>) => void

/** A workspace with one fresh conversation (window open), one stale (closed), a template and canned responses. */
async function composerWorkspace(cleanup: Cleanup, locale: 'en' | 'ar') {
  const wa = await makeWhatsAppTenant('brcompose')
  cleanup(wa.cleanup)
  const agent = await makeMember(wa.tenant.id, 'admin')
  cleanup(() => agent.delete())
  agent.name = locale === 'ar' ? 'أمل' : 'Amal Agent'
  agent.locale = locale
  await agent.save()
  await createCannedResponse(
    wa.context,
    {
      shortcut: 'greeting',
      title: locale === 'ar' ? 'ترحيب' : 'Greeting',
      body:
        locale === 'ar'
          ? 'مرحبًا {{contact.name}}، معك {{agent.name}}. كيف أساعدك؟'
          : 'Hello {{contact.name}}, this is {{agent.name}}. How can I help?',
    },
    null
  )
  await createCannedResponse(
    wa.context,
    { shortcut: 'hours', title: 'Opening hours', body: 'We are open 9 to 5.' },
    null
  )
  const [open, closed] = await wa.context.transaction(async (trx) => {
    await MessageTemplate.create(
      {
        channelId: wa.channel.id,
        providerId: '1',
        name: 'renewal_reminder',
        language: 'en',
        category: 'UTILITY',
        status: 'APPROVED',
        bodyVariables: 2,
        components: [
          { type: 'HEADER', format: 'TEXT', text: 'Policy renewal' },
          {
            type: 'BODY',
            text: 'Hello {{1}}, your policy renews on {{2}}.',
            example: { body_text: [['Sara', '1 May']] },
          },
          { type: 'FOOTER', text: 'Acme Insurance' },
        ],
      },
      { client: trx }
    )
    const made: Conversation[] = []
    for (const [name, phone, hours] of [
      ['Layla Haddad', '+971501234567', 1],
      ['Omar Khalil', '+201012345678', 30],
    ] as const) {
      const contact = await Contact.create(
        { name, phone, waId: phone.slice(1), source: 'whatsapp' },
        { client: trx }
      )
      const at = DateTime.now().minus({ hours })
      made.push(
        await Conversation.create(
          {
            contactId: contact.id,
            channelId: wa.channel.id,
            status: 'open',
            lastCustomerMessageAt: at,
            lastMessageAt: at,
          },
          { client: trx }
        )
      )
    }
    return made
  })
  return { wa, agent, open, closed, base: `/t/${wa.tenant.slug}` }
}

/** Problems apart from the 422s provoked on purpose. */
function realProblems(problems: string[]) {
  return problems.filter(
    (problem) => !/status of 422/.test(problem) && !/Response Status Error Code 422/.test(problem)
  )
}

async function textOf(page: Page, selector: string) {
  return (await page.locator(selector).first().textContent())?.trim() ?? ''
}

test.group('Journey: the inbox composer', (group) => {
  const browser = useBrowser(group)

  test('an agent inserts a canned response, sends, writes a note and fills a template', async ({
    assert,
    cleanup,
  }) => {
    const { agent, open, closed, base } = await composerWorkspace(cleanup, 'en')
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    cleanup(() => page.close())
    const problems = watchProblems(page)
    await signInThroughForm(page, agent.email, TEST_PASSWORD)

    await page.goto(serverUrl(`${base}/inbox/${open.id}`))
    const composer = page.locator('#composer')
    await composer.waitFor()
    // Tabs with JavaScript: only the reply shows.
    assert.isTrue(await page.locator('.composer-tabs').isVisible())
    assert.isFalse(await page.locator('[data-panel="note"]').isVisible())
    await screenshot(page, 'composer-reply-en')

    const text = page.locator(`#composer-text-${open.id}`)
    await text.fill('')
    await text.pressSequentially('/gr')
    await page.locator('.canned-option[data-shortcut="greeting"]').waitFor()
    await screenshot(page, 'composer-canned-menu-en')
    await text.press('Enter')
    assert.equal(await text.inputValue(), 'Hello Layla Haddad, this is Amal Agent. How can I help?')
    await page.locator('.composer-send').first().click()
    await page.locator('[data-message] >> text=How can I help?').first().waitFor()
    assert.equal(await page.locator(`#composer-text-${open.id}`).inputValue(), '')

    await page.locator('.composer-tab[data-tab="note"]').click()
    await page.locator(`#composer-note-${open.id}`).fill('Called her back, renewal agreed.')
    await screenshot(page, 'composer-note-en')
    await page.locator('[data-panel="note"] button[type="submit"]').click()
    await page.locator('[data-note] >> text=Called her back').waitFor()

    // Outside the window: the template picker instead of the text box.
    await page.goto(serverUrl(`${base}/inbox/${closed.id}`))
    await page.locator('[data-window-closed]').waitFor()
    await page.locator('.template-choice[data-template="renewal_reminder"]').click()
    const first = page.locator(`#composer-var-${closed.id}-1`)
    await first.waitFor()
    assert.equal(
      await textOf(page, '[data-template-preview]'),
      'Hello Sara, your policy renews on 1 May.'
    )
    await first.fill('Omar')
    await page.locator(`#composer-var-${closed.id}-2`).fill('3 June')
    assert.equal(
      await textOf(page, '[data-template-preview]'),
      'Hello Omar, your policy renews on 3 June.'
    )
    await screenshot(page, 'composer-template-en')
    await page.locator('[data-composer-form="template"] button[type="submit"]').click()
    await page.locator('[data-type="template"]').first().waitFor()

    assert.deepEqual(realProblems(problems), [])
  }).timeout(60_000)

  test('the composer and the canned responses page read right to left in Arabic', async ({
    assert,
    cleanup,
  }) => {
    const { agent, open, closed, base } = await composerWorkspace(cleanup, 'ar')
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    cleanup(() => page.close())
    const problems = watchProblems(page)
    await signInThroughForm(page, agent.email, TEST_PASSWORD)

    await page.goto(serverUrl(`${base}/inbox/${open.id}`))
    await page.locator('#composer').waitFor()
    assert.equal(await page.evaluate('document.documentElement.dir'), 'rtl')
    await page.locator(`#composer-text-${open.id}`).pressSequentially('/')
    await page.locator('.canned-option').first().waitFor()
    await screenshot(page, 'composer-canned-menu-ar')
    await page.keyboard.press('Escape')

    await page.goto(serverUrl(`${base}/inbox/${closed.id}`))
    await page.locator('.template-choice').first().waitFor()
    await screenshot(page, 'composer-window-closed-ar')

    await page.goto(serverUrl(`${base}/settings/canned-responses`))
    await page.locator('[data-canned="greeting"]').waitFor()
    await screenshot(page, 'canned-responses-ar')
    assert.deepEqual(realProblems(problems), [])
  }).timeout(60_000)
})
