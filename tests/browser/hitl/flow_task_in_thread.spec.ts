import { test } from '@japa/runner'
import type { Page } from 'playwright-core'
import { DateTime } from 'luxon'
import { User } from '#modules/identity/index'
import { addSandboxChannel } from '#modules/channels/index'
import { findFlow, startSession } from '#modules/flows/index'
import { handleInbound } from '#modules/flows/services/runtime'
import { systemActor } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { customerSays } from '#tests/helpers/brain'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
  settled,
} from '#tests/helpers/browser'
import { publishedFlow, runAt } from '#tests/functional/flows/flow_fixtures'

/*
| A flow waiting for a person's task, seen from the inbox: the customer's
| messages in the thread, the flow's one acknowledgement, and under them
| the task with the note that the flow waits on it. English and Arabic,
| 390 px and 1280 px, with screenshots; nothing wider than the screen.
*/

const NOTE = {
  en: 'The customer’s flow waits for this task',
  ar: 'ينتظر مسار العميل هذه المهمة',
} as const

test.group('Journey: a flow waits on a task, in the inbox', (group) => {
  const browser = useBrowser(group)

  for (const lang of ['en', 'ar'] as const) {
    for (const width of [1280, 390]) {
      test(`the thread shows the customer’s message, the acknowledgement and the task the flow waits on (${lang}, ${width}px)`, async ({
        assert,
        cleanup,
      }) => {
        const made = await makeTenant('flwtask')
        cleanup(made.cleanup)
        const agent = await makeMember(made.tenant.id, 'agent')
        cleanup(() => agent.delete())
        await User.query().where('id', agent.id).update({ locale: lang })
        const channel = await addSandboxChannel(made.tenant, systemActor)
        const flow = await publishedFlow(made.context, {
          nodes: [
            {
              id: 'ask',
              type: 'task',
              position: { x: 0, y: 0 },
              data: {
                title: 'Approve a discount',
                details: 'The customer asks for 10% off the annual plan.',
                timeout_minutes: 60,
                variable: 'decision',
                text: 'A colleague is checking, one moment.',
              },
            },
            { id: 'yes', type: 'end', position: { x: 0, y: 100 }, data: { text: 'Approved.' } },
          ],
          edges: [{ from: 'ask', port: 'next', to: 'yes' }],
        })
        const t0 = DateTime.now().startOf('second')
        const first = await customerSays(made.context, channel.id, 'Can I get a discount?')
        await startSession(made.context, (await findFlow(made.context, flow.id))!, {
          conversationId: first.conversationId,
          contactId: first.contactId,
          source: 'api',
          now: t0,
        })
        await runAt(made.context, t0)
        const text = lang === 'ar' ? 'هل من جديد؟' : 'Any news?'
        const again = await customerSays(made.context, channel.id, text, first.conversationId)
        const outcome = await handleInbound(made.context, {
          tenant: made.tenant.slug,
          tenantId: made.tenant.id,
          messageId: again.messageId,
          externalId: null,
          conversationId: first.conversationId,
          contactId: first.contactId,
          channelId: channel.id,
          type: 'text',
          text,
          providerTimestamp: null,
        })
        assert.equal(outcome.kind, 'acknowledged')

        const context = await browser.newContext({
          viewport: { width, height: width === 390 ? 844 : 900 },
          locale: lang === 'ar' ? 'ar' : 'en-US',
        })
        cleanup(() => context.close())
        const page: Page = await context.newPage()
        const problems = watchProblems(page)
        await signInThroughForm(page, agent.email, TEST_PASSWORD)
        await page.goto(serverUrl(`/t/${made.tenant.slug}/inbox/${first.conversationId}`))
        await settled(page)
        assert.equal(await page.locator('html').getAttribute('dir'), lang === 'ar' ? 'rtl' : 'ltr')
        const note = page.locator('[data-flow-waits]')
        await note.scrollIntoViewIfNeeded()
        assert.isTrue(await note.isVisible())
        assert.include(await note.innerText(), NOTE[lang])
        const body = await page.locator('body').innerText()
        assert.include(body, text)
        assert.include(
          body,
          lang === 'ar'
            ? 'شكرًا لك — يراجع أحد فريقنا طلبك الآن وسيرد عليك هنا قريبًا.'
            : 'Thanks — a person is checking this and will reply here shortly.'
        )
        assert.include(body, 'Approve a discount')
        assert.isTrue(
          await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1'),
          'the conversation fits the screen'
        )
        await screenshot(page, `flow-task-thread-${lang}-${width}`)
        assert.deepEqual(problems, [])
      }).timeout(90_000)
    }
  }
})
