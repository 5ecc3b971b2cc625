import { test } from '@japa/runner'
import type { Page } from 'playwright-core'
import db from '@adonisjs/lucid/services/db'
import { User } from '#modules/identity/index'
import { createTask, type NewTask } from '#modules/hitl/index'
import { systemActor } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
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
| The task inbox in Chromium: an owner approves the AI's draft after
| editing it, and rejects another task with a reason. English and Arabic,
| on a phone (390 px) and a desktop (1280 px), with screenshots; no page
| is wider than the screen and nothing breaks (CSP, console). A task
| opened meanwhile appears in the open list without a reload.
*/

const TEXT = {
  en: {
    draft: 'Your renewal premium stays at 1,200 AED.',
    edit: 'Your renewal premium stays at 1,200 AED; the new policy starts on 1 May.',
    approve: /^approve$/i,
    reject: /^reject$/i,
    reason: 'Wrong price',
  },
  ar: {
    draft: 'يبقى قسط التجديد 1200 درهم.',
    edit: 'يبقى قسط التجديد 1200 درهم، وتبدأ الوثيقة الجديدة في الأول من مايو.',
    approve: /^موافقة$/,
    reject: /^رفض$/,
    reason: 'سعر خاطئ',
  },
} as const

function quoteTask(lang: 'en' | 'ar', title: string): NewTask {
  const words = TEXT[lang]
  return {
    kind: 'quote_review',
    title,
    description:
      lang === 'en'
        ? 'Omar sent **two quotes**; check the comparison.'
        : 'أرسل عمر **عرضين**؛ راجع المقارنة.',
    due_at: new Date(Date.now() - 3600_000).toISOString(),
    components: [
      {
        type: 'text',
        text: lang === 'en' ? 'Omar: *Which one is cheaper?*' : 'عمر: *أيهما أرخص؟*',
      },
      {
        type: 'table',
        columns: [
          { key: 'insurer', label: lang === 'en' ? 'Insurer' : 'شركة التأمين' },
          { key: 'premium', label: lang === 'en' ? 'Premium' : 'القسط' },
          { key: 'deductible', label: lang === 'en' ? 'Deductible' : 'التحمل' },
        ],
        rows: [
          { insurer: 'AXA Gulf', premium: '1,350 AED', deductible: '500 AED' },
          { insurer: 'Oman Insurance', premium: '1,200 AED', deductible: '750 AED' },
        ],
        highlight_row: 1,
      },
      {
        type: 'key_values',
        items: [{ label: lang === 'en' ? 'Period' : 'المدة', value: '12 months' }],
      },
      {
        type: 'citations',
        items: [
          { source: 'oman-quote.pdf', heading: 'Premium', quote: 'Annual premium AED 1,200' },
        ],
      },
      {
        type: 'editable_text',
        name: 'reply',
        label: lang === 'en' ? 'Reply to Omar' : 'الرد على عمر',
        value: words.draft,
        max_length: 1000,
        required: true,
      },
      { type: 'message_preview', text_from: 'reply' },
    ],
    allowed: {
      edit: true,
      reject_reasons: [words.reason, lang === 'en' ? 'Wrong customer' : 'عميل خاطئ'],
    },
  }
}

async function noWiderThanScreen(page: Page) {
  return page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')
}

test.group('Journey: approving tasks', (group) => {
  const browser = useBrowser(group)

  for (const lang of ['en', 'ar'] as const) {
    for (const width of [1280, 390]) {
      test(`an owner approves with an edit and rejects with a reason (${lang}, ${width}px)`, async ({
        assert,
        cleanup,
      }) => {
        const words = TEXT[lang]
        const made = await makeTenant('taskb')
        cleanup(made.cleanup)
        const owner = await makeMember(made.tenant.id, 'owner')
        cleanup(() => owner.delete())
        await User.query().where('id', owner.id).update({ locale: lang })
        const { task: first } = await createTask(
          made.context,
          quoteTask(
            lang,
            lang === 'en' ? 'Reply to Omar about his renewal' : 'الرد على عمر بشأن التجديد'
          ),
          systemActor
        )
        const { task: second } = await createTask(
          made.context,
          quoteTask(lang, lang === 'en' ? 'Quote comparison for Sara' : 'مقارنة عروض لسارة'),
          systemActor
        )
        const base = `/t/${made.tenant.slug}/tasks`

        const context = await browser.newContext({
          viewport: { width, height: width === 390 ? 844 : 900 },
          locale: lang === 'ar' ? 'ar' : 'en-US',
        })
        cleanup(() => context.close())
        const page: Page = await context.newPage()
        const problems = watchProblems(page)
        await signInThroughForm(page, owner.email, TEST_PASSWORD)

        await page.goto(serverUrl(base))
        await settled(page)
        assert.equal(await page.locator('html').getAttribute('dir'), lang === 'ar' ? 'rtl' : 'ltr')
        assert.equal(await page.locator('.task-row.overdue').count(), 2)
        assert.isTrue(await noWiderThanScreen(page), 'the list fits the screen')
        await screenshot(page, `tasks-list-${lang}-${width}`)

        // Approve with an edit: the draft is changed in the textarea, then approved.
        await page.goto(serverUrl(`${base}/${first.id}`))
        await settled(page)
        assert.isTrue(await noWiderThanScreen(page), 'the task page fits the screen')
        await screenshot(page, `task-pending-${lang}-${width}`)
        const reply = page.locator('#value-reply')
        assert.equal(await reply.inputValue(), words.draft)
        await reply.fill(words.edit)
        // The preview bubble follows the edit (tasks.js).
        assert.equal(await page.locator('[data-preview-of="reply"]').innerText(), words.edit)
        await page.getByRole('button', { name: words.approve }).click()
        await page.waitForURL((url) => url.pathname === base)
        await settled(page)

        // Reject with a reason (the form is folded under its summary).
        await page.goto(serverUrl(`${base}/${second.id}`))
        await settled(page)
        await page.locator('.task-reject summary').click()
        await page.locator('#reject-form select[name="reason"]').selectOption(words.reason)
        await page.locator('#reject-form').getByRole('button', { name: words.reject }).click()
        await page.waitForURL((url) => url.pathname === base)
        await settled(page)
        await screenshot(page, `tasks-after-${lang}-${width}`)

        // Live: a task opened now appears in the open list without a reload.
        await page.locator('html[data-live="on"]').waitFor({ state: 'attached' })
        const { task: third } = await createTask(
          made.context,
          quoteTask(lang, lang === 'en' ? 'A new quote for Huda' : 'عرض جديد لهدى'),
          systemActor
        )
        await page.locator(`.task-row[data-task="${third.id}"]`).waitFor({ timeout: 10_000 })
        await screenshot(page, `tasks-live-${lang}-${width}`)

        // The approved task shows the AI draft beside the approved text.
        await page.goto(serverUrl(`${base}/${first.id}`))
        await settled(page)
        assert.equal(await page.locator('.task-diff del').innerText(), words.draft)
        assert.equal(await page.locator('.task-diff ins').innerText(), words.edit)
        assert.isTrue(await noWiderThanScreen(page), 'the resolved page fits the screen')
        await screenshot(page, `task-approved-${lang}-${width}`)

        const rows = await db
          .from('hitl_tasks')
          .withSchema(made.context.schema)
          .whereIn('id', [first.id, second.id])
        const byId = Object.fromEntries(rows.map((row) => [row.id, row]))
        assert.equal(byId[first.id].status, 'approved')
        assert.equal(byId[first.id].response.values.reply, words.edit)
        assert.equal(byId[first.id].response.original_values.reply, words.draft)
        assert.equal(byId[second.id].status, 'rejected')
        assert.equal(byId[second.id].response.reason, words.reason)
        assert.deepEqual(problems, [])
      }).timeout(90_000)
    }
  }
})
