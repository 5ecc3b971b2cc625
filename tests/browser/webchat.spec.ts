import { test } from '@japa/runner'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { addWebchatChannel, queueOutboundMessage } from '#modules/channels/index'
import { Tenant, systemActor } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { useWorkers, withDefaultQueueWorker } from '#tests/helpers/queue'
import { waitFor } from '#tests/helpers/whatsapp'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
  settled,
} from '#tests/helpers/browser'

/*
| The widget as a customer's website shows it: a static page on another
| origin (its own little server) with the one script tag, opened in
| Chromium. The visitor writes, an agent answers through the one outbound
| door, and the answer appears without a reload.
*/

function hostPage(channelId: string, lang: 'en' | 'ar') {
  const rtl = lang === 'ar'
  return `<!DOCTYPE html>
<html lang="${lang}" dir="${rtl ? 'rtl' : 'ltr'}">
<head><meta charset="utf-8"><title>Marina Homes</title></head>
<body>
  <h1>${rtl ? 'مارينا هومز' : 'Marina Homes'}</h1>
  <p>${rtl ? 'شقق للإيجار في دبي مارينا.' : 'Flats to rent in Dubai Marina.'}</p>
  <script src="${serverUrl('/webchat/widget.js')}" data-channel="${channelId}" async></script>
</body>
</html>`
}

/** Serves the customer's site: one page per language. */
async function startHost(channelId: string) {
  const server: Server = createServer((request, response) => {
    const lang = request.url?.startsWith('/ar') ? 'ar' : 'en'
    if (request.url === '/favicon.ico') {
      response.writeHead(204).end()
      return
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end(hostPage(channelId, lang))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

test.group('Journey: web chat on a customer website', (group) => {
  const browser = useBrowser(group)
  useWorkers(group, ['inbound'])
  withDefaultQueueWorker(group)

  for (const lang of ['en', 'ar'] as const) {
    test(`a visitor chats from the site and sees the team's reply live (${lang})`, async ({
      assert,
      cleanup,
    }) => {
      const made = await makeTenant('wcb')
      cleanup(made.cleanup)
      await Tenant.query()
        .where('id', made.tenant.id)
        .update({ displayName: 'Marina Homes', primaryColor: '#7c2d92' })
      const channel = await addWebchatChannel(
        made.tenant,
        {
          name: 'Website',
          welcomeMessage: {
            en: 'Hi! Ask us anything about our flats.',
            ar: 'مرحبًا! اسألنا عن أي شيء يخص شققنا.',
          },
        },
        systemActor
      )
      const site = await startHost(channel.id)
      cleanup(site.close)
      // Only this site may frame the chat.
      channel.settings = { ...channel.settings, allowedOrigins: [site.origin] }
      await channel.save()

      const context = await browser.newContext({
        viewport: { width: 1100, height: 760 },
        locale: lang === 'ar' ? 'ar' : 'en-US',
      })
      cleanup(() => context.close())
      const page: Page = await context.newPage()
      const problems = watchProblems(page)
      await page.goto(`${site.origin}/${lang}`)

      const iframe = page.locator('iframe[src*="/webchat/"]')
      await iframe.waitFor({ state: 'visible', timeout: 10_000 })
      // Arabic sites get the launcher on the left, English ones on the right.
      const box = (await iframe.boundingBox())!
      if (lang === 'ar') assert.isBelow(box.x, 100)
      else assert.isAbove(box.x, 900)
      assert.deepEqual(
        await page.evaluate(`Object.keys(window).filter((k) => k.startsWith('FloMastr'))`),
        ['FloMastrWebChat']
      )
      const chat = page.frameLocator('iframe[src*="/webchat/"]')
      await screenshot(page, `webchat-${lang}-closed`)

      await chat.locator('[data-action="open"]').click()
      const input = chat.locator('textarea')
      await input.waitFor({ state: 'visible' })
      const opened = (await iframe.boundingBox())!
      assert.isAbove(opened.height, 500)
      await chat
        .getByText(
          lang === 'ar'
            ? 'مرحبًا! اسألنا عن أي شيء يخص شققنا.'
            : 'Hi! Ask us anything about our flats.'
        )
        .waitFor()
      assert.equal(await chat.locator('html').getAttribute('dir'), lang === 'ar' ? 'rtl' : 'ltr')

      const question =
        lang === 'ar' ? 'هل الشقة في شارع إلم متاحة؟' : 'Is the flat on Elm Street still free?'
      await input.fill(question)
      await input.press('Enter')

      // Stored as the visitor's message in a conversation of this channel.
      const conversationId = await waitFor(async () => {
        const rows = await made.context.transaction(
          async (trx) =>
            (
              await trx.rawQuery(
                `select conversation_id from messages where body = ? and direction = 'inbound'`,
                [question]
              )
            ).rows
        )
        return rows[0]?.conversation_id as string | undefined
      })
      await chat.locator('.message.from-visitor:not(.pending)').getByText(question).waitFor()

      const answer =
        lang === 'ar'
          ? 'نعم، ما زالت متاحة. هل تود حجز موعد للمعاينة؟'
          : 'Yes, it is. Would you like to book a viewing? https://example.com/viewings'
      // Give the widget's live stream a moment to follow the new conversation.
      await page.waitForTimeout(300)
      await queueOutboundMessage(made.context, {
        conversationId,
        content: { type: 'text', text: answer },
        authorType: 'agent',
      })
      await chat.locator('.message.from-team').getByText(answer.split(' https')[0]).waitFor({
        timeout: 5_000,
      })
      if (lang === 'en') {
        assert.equal(
          await chat.locator('.message.from-team a').last().getAttribute('href'),
          'https://example.com/viewings'
        )
      }
      // Shown with the chat open and in view: the team's tick turns to read.
      await waitFor(async () => {
        const rows = await made.context.transaction(
          async (trx) =>
            (
              await trx.rawQuery(
                `select status, read_at from messages
                  where conversation_id = ? and direction = 'outbound'`,
                [conversationId]
              )
            ).rows
        )
        return rows.length === 1 && rows[0].status === 'read' && rows[0].read_at
      })
      await screenshot(page, `webchat-${lang}-open`)
      assert.deepEqual(problems, [])

      // A reload keeps the visitor and their conversation. (Leaving the page
      // cuts its live stream: the one request failure a reload may show.)
      await page.reload()
      await page.locator('iframe[src*="/webchat/"]').waitFor({ state: 'visible' })
      await chat.locator('[data-action="open"]').click()
      await chat.locator('.message.from-team').getByText(answer.split(' https')[0]).waitFor()
      await chat.locator('.message.from-visitor').getByText(question).waitFor()
      assert.deepEqual(problems, [])
    })
  }

  test('a site not on the allowed list cannot show the chat', async ({ assert, cleanup }) => {
    const made = await makeTenant('wcb')
    cleanup(made.cleanup)
    const channel = await addWebchatChannel(
      made.tenant,
      { name: 'Website', allowedOrigins: ['https://www.example.com'] },
      systemActor
    )
    const site = await startHost(channel.id)
    cleanup(site.close)
    const page = await browser.newPage()
    cleanup(() => page.close())
    const problems = watchProblems(page)
    await page.goto(`${site.origin}/en`)
    await page.waitForTimeout(1_500)
    // The frame is refused by the browser (frame-ancestors), so it never says it is ready.
    assert.isFalse(await page.locator('iframe[src*="/webchat/"]').isVisible())
    assert.isTrue(
      problems.some((problem) => problem.includes('frame-ancestors')),
      problems.join('\n')
    )
  })

  test('an owner adds web chat from the channels page and copies the code (en, ar)', async ({
    assert,
    cleanup,
  }) => {
    const made = await makeTenant('wcb')
    cleanup(made.cleanup)
    const owner = await makeMember(made.tenant.id, 'owner')
    cleanup(() => owner.delete())
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    cleanup(() => page.close())
    const problems = watchProblems(page)
    await signInThroughForm(page, owner.email, TEST_PASSWORD)
    await page.goto(serverUrl(`/t/${made.tenant.slug}/channels`))

    const form = page.locator('#add-webchat form')
    await form.getByLabel('Name').fill('Website chat')
    await form.getByLabel('Widget colour').fill('#7c2d92')
    await form.getByLabel('Welcome message (English)').fill('Hi! Ask us about our flats.')
    await form.getByLabel('Allowed websites').fill('https://www.marina-homes.example')
    await form.getByRole('button', { name: 'Add web chat' }).click()
    await page.waitForURL(/\/channels\/[0-9a-f-]{36}$/)
    await settled(page)
    const snippet = await page.locator('#embed-snippet').inputValue()
    assert.match(
      snippet,
      /^<script src="[^"]+\/webchat\/widget\.js" data-channel="[0-9a-f-]{36}" async><\/script>$/
    )
    await screenshot(page, 'webchat-channel-en')

    await owner.merge({ locale: 'ar' }).save()
    await page.reload()
    await settled(page)
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl')
    await page.getByText('ضع الدردشة في موقعك').waitFor()
    await screenshot(page, 'webchat-channel-ar')
    assert.deepEqual(problems, [])
  })
})
