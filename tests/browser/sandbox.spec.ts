import { test } from '@japa/runner'
import type { Page } from 'playwright-core'
import { queueOutboundMessage } from '#modules/channels/index'
import { Contact, Conversation } from '#modules/inbox/index'
import { User } from '#modules/identity/index'
import { makeWhatsAppTenant, waitFor } from '#tests/helpers/whatsapp'
import { useWorkers, withDefaultQueueWorker } from '#tests/helpers/queue'
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
| The sandbox phone in Chromium: the member writes as a customer, the
| message goes through the pipeline and appears on the phone; a reply with
| buttons arrives live and a tap answers it. Also the new-template editor's
| live preview. Screenshots in English and Arabic.
*/

test.group('Journey: the sandbox phone and the template editor', (group) => {
  const browser = useBrowser(group)
  useWorkers(group, ['inbound'])
  withDefaultQueueWorker(group)

  for (const lang of ['en', 'ar'] as const) {
    test(`a member chats as a customer and taps the business's buttons (${lang})`, async ({
      assert,
      cleanup,
    }) => {
      const made = await makeWhatsAppTenant('sbxb')
      cleanup(made.cleanup)
      const owner = await makeMember(made.tenant.id, 'owner')
      cleanup(() => owner.delete())
      await User.query().where('id', owner.id).update({ locale: lang, name: 'Sara Haddad' })

      const context = await browser.newContext({
        viewport: { width: 1280, height: 860 },
        locale: lang === 'ar' ? 'ar' : 'en-US',
      })
      cleanup(() => context.close())
      const page: Page = await context.newPage()
      await signInThroughForm(page, owner.email, TEST_PASSWORD)
      await page.goto(serverUrl(`/t/${made.tenant.slug}/sandbox`))
      await settled(page)
      const problems = watchProblems(page)
      assert.equal(await page.locator('html').getAttribute('dir'), lang === 'ar' ? 'rtl' : 'ltr')

      const question =
        lang === 'ar' ? 'هل الشقة في شارع إلم متاحة؟' : 'Is the flat on Elm Street free?'
      const input = page.locator('#sandbox-text')
      await input.fill(question)
      await input.press('Enter')
      await page.locator('.bubble--customer:not(.bubble--pending)').getByText(question).waitFor()
      assert.equal(await input.inputValue(), '', 'the composer is emptied once sent')

      const conversation = await waitFor(async () =>
        made.context.transaction(async (trx) => {
          const contact = await Contact.query({ client: trx }).whereNotNull('wa_id').first()
          return contact
            ? Conversation.query({ client: trx }).where('contact_id', contact.id).first()
            : null
        })
      )
      // Let the page follow the conversation's live events before the reply.
      await page.locator(`#sandbox-chat[data-conversation="${conversation.id}"]`).waitFor()
      await page.waitForTimeout(300)
      const choice = lang === 'ar' ? 'احجز معاينة' : 'Book a viewing'
      await queueOutboundMessage(made.context, {
        conversationId: conversation.id,
        content: {
          type: 'buttons',
          body:
            lang === 'ar'
              ? 'نعم، ما زالت متاحة. هل تود المعاينة؟'
              : 'Yes! Would you like a viewing?',
          buttons: [
            { id: 'book', title: choice },
            { id: 'later', title: lang === 'ar' ? 'لاحقًا' : 'Later' },
          ],
        },
        authorType: 'agent',
      })
      const button = page.locator('.bubble-choice', { hasText: choice })
      await button.waitFor({ timeout: 10_000 })
      await screenshot(page, `sandbox-${lang}-reply`)

      await button.click()
      await page.locator('.bubble--customer .bubble-reply', { hasText: choice }).waitFor()
      await page.locator('.phone-read button').click()
      await page.locator('.bubble--business [data-tick="read"]').waitFor({ timeout: 10_000 })
      await screenshot(page, `sandbox-${lang}-tapped`)

      // The phone sits beside the customer card, inside the page.
      const phone = (await page.locator('.phone').boundingBox())!
      const side = (await page.locator('.sandbox-side').boundingBox())!
      assert.isAbove(phone.width, 300)
      if (lang === 'ar') assert.isBelow(phone.x, side.x)
      else assert.isAbove(phone.x, side.x)
      assert.deepEqual(problems, [])
    }).timeout(60_000)

    test(`the template editor previews the message as it is typed (${lang})`, async ({
      assert,
      cleanup,
    }) => {
      const made = await makeWhatsAppTenant('tplb')
      cleanup(made.cleanup)
      const owner = await makeMember(made.tenant.id, 'owner')
      cleanup(() => owner.delete())
      await User.query().where('id', owner.id).update({ locale: lang })

      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        locale: lang === 'ar' ? 'ar' : 'en-US',
      })
      cleanup(() => context.close())
      const page: Page = await context.newPage()
      await signInThroughForm(page, owner.email, TEST_PASSWORD)
      await page.goto(serverUrl(`/t/${made.tenant.slug}/templates/new`))
      await settled(page)
      const problems = watchProblems(page)

      await page.locator('#field-name').fill('renewal_reminder')
      // Only the chosen header kind's fields show: a sample file for an image.
      await page.locator('#field-header_format').selectOption('IMAGE')
      assert.isTrue(await page.locator('#field-header_sample').isVisible())
      assert.isFalse(await page.locator('#field-header_text').isVisible())
      await page.locator('#field-header_format').selectOption('TEXT')
      assert.isFalse(await page.locator('#field-header_sample').isVisible())
      await page.locator('#field-header_text').fill('Policy {{1}}')
      await page.locator('#field-header_example').fill('PL-1042')
      const body =
        lang === 'ar'
          ? 'مرحبًا {{1}}، يتجدد عقدك في {{2}}.'
          : 'Hi {{1}}, your policy renews on {{2}}.'
      await page.locator('#field-body').fill(body)
      await page.locator('#field-body_examples').fill(lang === 'ar' ? 'سارة\n1 مايو' : 'Sam\n1 May')
      await page
        .locator('#field-footer')
        .fill(lang === 'ar' ? 'أرسل STOP لإيقاف الرسائل' : 'Reply STOP to opt out')
      await page.locator('#button-0-type').selectOption('QUICK_REPLY')
      await page.locator('#button-0-text').fill(lang === 'ar' ? 'جدّد' : 'Renew')

      const preview = page.locator('[data-preview-body]')
      await waitFor(async () =>
        (await preview.textContent())?.includes(lang === 'ar' ? 'سارة' : 'Sam') ? true : null
      )
      assert.equal(await page.locator('[data-preview-header]').textContent(), 'Policy PL-1042')
      assert.include(
        (await page.locator('[data-preview-buttons]').textContent()) ?? '',
        lang === 'ar' ? 'جدّد' : 'Renew'
      )
      await screenshot(page, `templates-${lang}-new`)
      assert.deepEqual(problems, [])
    }).timeout(60_000)
  }
})
