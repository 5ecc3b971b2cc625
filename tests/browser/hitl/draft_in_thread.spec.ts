import { test } from '@japa/runner'
import type { Page } from 'playwright-core'
import db from '@adonisjs/lucid/services/db'
import { User } from '#modules/identity/index'
import { addSandboxChannel } from '#modules/channels/index'
import {
  readAssistantSettings,
  replyToInboundMessage,
  saveAssistantSettings,
} from '#modules/brain/index'
import { systemActor } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { customerSays, learnText } from '#tests/helpers/brain'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
  settled,
} from '#tests/helpers/browser'

/*
| Draft replies for approval in Chromium: an agent edits and approves the
| assistant's draft inside the conversation, and rejects another (the
| conversation goes to a person). English and Arabic, 390 px and 1280 px,
| with screenshots; nothing wider than the screen, no CSP or console errors.
*/

const POLICY = `# Clinic cover

## Locum cover

Your cover follows you when you work as a locum. Locum engagements are covered automatically on the same terms as your regular practice.`

const WORDS = {
  en: { approve: /^approve and send$/i, reject: /^reject and hand to a person$/i },
  ar: { approve: /^موافقة وإرسال$/, reject: /^رفض وإحالة إلى شخص$/ },
} as const

async function noWiderThanScreen(page: Page) {
  return page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')
}

test.group('Journey: draft replies in the conversation', (group) => {
  const browser = useBrowser(group)

  for (const lang of ['en', 'ar'] as const) {
    for (const width of [1280, 390]) {
      test(`an agent approves an edited draft and rejects another (${lang}, ${width}px)`, async ({
        assert,
        cleanup,
      }) => {
        const made = await makeTenant('draftb')
        cleanup(made.cleanup)
        const agent = await makeMember(made.tenant.id, 'agent')
        cleanup(() => agent.delete())
        await User.query().where('id', agent.id).update({ locale: lang })
        const channel = await addSandboxChannel(made.tenant, systemActor)
        await learnText(made.context, 'Clinic cover', POLICY)
        const current = await readAssistantSettings(made.context, channel.id)
        await saveAssistantSettings(
          made.context,
          channel.id,
          { ...current, enabled: true, draftReplies: true },
          null
        )
        const first = await customerSays(made.context, channel.id, 'Am I covered as a locum?')
        await replyToInboundMessage(made.context, first.messageId)
        const second = await customerSays(
          made.context,
          channel.id,
          'Does my cover work for locum shifts?'
        )
        await replyToInboundMessage(made.context, second.messageId)

        const context = await browser.newContext({
          viewport: { width, height: width === 390 ? 844 : 900 },
          locale: lang === 'ar' ? 'ar' : 'en-US',
        })
        cleanup(() => context.close())
        const page: Page = await context.newPage()
        const problems = watchProblems(page)
        await signInThroughForm(page, agent.email, TEST_PASSWORD)
        const inbox = `/t/${made.tenant.slug}/inbox`

        await page.goto(serverUrl(`${inbox}/${first.conversationId}`))
        await settled(page)
        assert.equal(await page.locator('html').getAttribute('dir'), lang === 'ar' ? 'rtl' : 'ltr')
        const draft = page.locator('[data-draft-approve] textarea')
        await draft.scrollIntoViewIfNeeded()
        assert.isTrue(await noWiderThanScreen(page), 'the conversation fits the screen')
        await screenshot(page, `draft-thread-${lang}-${width}`)
        const edited = 'Yes: locum work is covered on the same terms.'
        await draft.fill(edited)
        await page.getByRole('button', { name: WORDS[lang].approve }).click()
        await page.waitForURL((url) => url.pathname === `${inbox}/${first.conversationId}`)
        await settled(page)
        assert.equal(await page.locator('[data-draft-approve]').count(), 0)
        await screenshot(page, `draft-approved-${lang}-${width}`)

        await page.goto(serverUrl(`${inbox}/${second.conversationId}`))
        await settled(page)
        await page.locator('.thread-task-reject summary').click()
        await page.getByRole('button', { name: WORDS[lang].reject }).click()
        await page.waitForURL((url) => url.pathname === `${inbox}/${second.conversationId}`)
        await settled(page)
        assert.isTrue(await noWiderThanScreen(page), 'the rejected conversation fits the screen')
        await screenshot(page, `draft-rejected-${lang}-${width}`)

        const sent = await db
          .from('messages')
          .withSchema(made.context.schema)
          .where('direction', 'outbound')
          .select('conversation_id', 'body', 'author_type')
        assert.deepEqual(sent, [
          { conversation_id: first.conversationId, body: edited, author_type: 'assistant' },
        ])
        const state = await db
          .from('assistant_conversations')
          .withSchema(made.context.schema)
          .where('conversation_id', second.conversationId)
          .first()
        assert.equal(state.handoff_reason, 'draft_rejected')
        assert.deepEqual(problems, [])
      }).timeout(90_000)
    }
  }
})
