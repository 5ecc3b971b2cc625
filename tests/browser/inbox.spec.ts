import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { Message } from '#modules/channels/index'
import { Contact, Conversation } from '#modules/inbox/index'
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

/** A workspace with a handful of conversations, one of them long and varied. */
async function busyInbox(cleanup: Cleanup) {
  const wa = await makeWhatsAppTenant('brinbox')
  cleanup(wa.cleanup)
  const agent = await makeMember(wa.tenant.id, 'agent')
  cleanup(() => agent.delete())
  agent.name = 'Amal Agent'
  await agent.save()
  const now = DateTime.now()
  const conversations = await wa.context.transaction(async (trx) => {
    const made: Conversation[] = []
    const people: Array<[string, string, Partial<Conversation>]> = [
      [
        'Layla Haddad',
        '+971501234567',
        { labels: ['renewal', 'vip'], priority: 'urgent', unreadCount: 2 },
      ],
      ['عمر خليل', '+201012345678', { labels: ['claim'], assigneeId: agent.id, unreadCount: 1 }],
      ['Sara Mansour', '+966501112233', { status: 'pending', priority: 'high' }],
      ['Tom Baker', '+15550001234', {}],
    ]
    for (const [index, [name, phone, extra]] of people.entries()) {
      const contact = await Contact.create(
        {
          name,
          phone,
          waId: phone.slice(1),
          source: 'whatsapp',
          optIn: 'opted_in',
          tags: ['customer'],
        },
        { client: trx }
      )
      made.push(
        await Conversation.create(
          {
            contactId: contact.id,
            channelId: wa.channel.id,
            status: 'open',
            lastMessageAt: now.minus({ minutes: index * 7 }),
            lastCustomerMessageAt: now.minus({ minutes: index * 7 }),
            ...extra,
          },
          { client: trx }
        )
      )
    }
    const first = made[0]
    const at = (minutes: number) => now.minus({ minutes })
    const base = { conversationId: first.id, contactId: first.contactId, channelId: wa.channel.id }
    const rows: Array<Partial<Message>> = [
      {
        direction: 'inbound',
        type: 'text',
        body: 'Hello! My car insurance renews next month.\nCan you send me the options?',
        status: 'received',
        authorType: 'contact',
        providerTimestamp: at(40),
      },
      {
        direction: 'outbound',
        type: 'text',
        body: 'Of course, Layla. Here are the plans: https://example.com/plans',
        status: 'read',
        authorType: 'agent',
        authorId: agent.id,
        createdAt: at(38),
      },
      {
        direction: 'outbound',
        type: 'text',
        body: 'She prefers calls after 5pm.',
        status: 'sent',
        authorType: 'agent',
        authorId: agent.id,
        isNote: true,
        createdAt: at(37),
      },
      {
        direction: 'inbound',
        type: 'document',
        body: 'My current policy',
        media: {
          status: 'pending',
          providerId: '9',
          filename: 'policy-2024.pdf',
          caption: 'My current policy',
        },
        status: 'received',
        authorType: 'contact',
        providerTimestamp: at(30),
      },
      {
        direction: 'inbound',
        type: 'location',
        body: 'Dubai Mall',
        payload: {
          latitude: 25.1972,
          longitude: 55.2744,
          name: 'Dubai Mall',
          address: 'Financial Centre Rd, Dubai',
        },
        status: 'received',
        authorType: 'contact',
        providerTimestamp: at(25),
      },
      {
        direction: 'outbound',
        type: 'interactive',
        body: 'Which plan suits you?',
        payload: {
          content: {
            type: 'buttons',
            body: 'Which plan suits you?',
            buttons: [
              { id: 'gold', title: 'Gold' },
              { id: 'silver', title: 'Silver' },
            ],
          },
        },
        status: 'delivered',
        authorType: 'agent',
        authorId: agent.id,
        createdAt: at(20),
      },
      {
        direction: 'inbound',
        type: 'interactive',
        body: 'Gold',
        payload: { interactiveType: 'button_reply', id: 'gold', title: 'Gold' },
        status: 'received',
        authorType: 'contact',
        providerTimestamp: at(15),
      },
      {
        direction: 'outbound',
        type: 'text',
        body: 'Great choice! I will prepare the quote.',
        status: 'failed',
        errorCode: 131026,
        errorTitle: 'Message undeliverable',
        authorType: 'agent',
        authorId: agent.id,
        createdAt: at(10),
      },
      {
        direction: 'outbound',
        type: 'text',
        body: 'Sending it again now.',
        status: 'pending',
        authorType: 'agent',
        authorId: agent.id,
        createdAt: at(1),
      },
    ]
    for (const row of rows) {
      await Message.create({ ...base, ...row } as Partial<Message>, { client: trx })
    }
    for (const conversation of made.slice(1)) {
      await Message.create(
        {
          conversationId: conversation.id,
          contactId: conversation.contactId,
          channelId: wa.channel.id,
          direction: 'inbound',
          type: 'text',
          body:
            conversation.status === 'pending'
              ? 'I will send the papers tomorrow'
              : 'مرحبا، أريد تجديد الوثيقة من فضلك',
          status: 'received',
          authorType: 'contact',
          providerTimestamp: conversation.lastMessageAt,
        },
        { client: trx }
      )
    }
    return made
  })
  return { wa, agent, conversations, inbox: `/t/${wa.tenant.slug}/inbox` }
}

/** Problems apart from the browser's own note about the 422 this journey provokes on purpose. */
function realProblems(problems: string[]) {
  return problems.filter(
    (problem) =>
      !/Failed to load resource: the server responded with a status of 422/.test(problem) &&
      !/Response Status Error Code 422 from .*\/labels/.test(problem)
  )
}

/** Waits until the list shows `count` rows (the page's CSP forbids evaluated predicates). */
async function rowsAre(page: import('playwright-core').Page, count: number) {
  const deadline = Date.now() + 5_000
  while ((await page.locator('.inbox-row').count()) !== count) {
    if (Date.now() > deadline) throw new Error(`the list never showed ${count} rows`)
    await page.waitForTimeout(50)
  }
}

async function columns(page: import('playwright-core').Page) {
  const box = async (selector: string) => page.locator(selector).first().boundingBox()
  return {
    list: await box('.inbox-list-pane'),
    conversation: await box('.inbox-conversation'),
    side: await box('.inbox-side'),
  }
}

test.group('Journey: the team inbox', (group) => {
  const browser = useBrowser(group)

  test('an agent reads the list, searches, opens a conversation and acts on it (English)', async ({
    assert,
    cleanup,
  }) => {
    const { agent, conversations, inbox } = await busyInbox(cleanup)
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    cleanup(() => page.close())
    const problems = watchProblems(page)
    await signInThroughForm(page, agent.email, TEST_PASSWORD)

    await page.goto(serverUrl(inbox))
    await page.locator('.inbox-row').first().waitFor()
    assert.equal(await page.locator('.inbox-row').count(), 3)
    await screenshot(page, 'inbox-list-en')

    // Search as you type: htmx swaps the list and puts the search in the address bar.
    await page.getByLabel('Search conversations').fill('layla')
    await page.waitForURL(/q=layla/)
    await rowsAre(page, 1)
    await page.getByLabel('Search conversations').fill('')
    await rowsAre(page, 3)

    // A tab swaps the list alone and keeps the search form's idea of the tab.
    await page.locator('.inbox-tabs a[data-tab="mine"]').click()
    await page.waitForURL(/view=mine/)
    await rowsAre(page, 1)
    assert.equal(
      await page.locator('input[name="view"][form="inbox-filters"]').getAttribute('value'),
      'mine'
    )
    await page.locator('.inbox-tabs a[data-tab="all"]').click()
    await rowsAre(page, 3)

    await page.locator(`[data-conversation="${conversations[0].id}"] a`).click()
    await page.waitForURL(new RegExp(`/inbox/${conversations[0].id}`))
    await page.locator('#inbox-thread').waitFor()
    const cols = await columns(page)
    assert.isBelow(cols.list!.x, cols.conversation!.x)
    assert.isBelow(cols.conversation!.x, cols.side!.x)
    // The thread opens on its latest message.
    const atEnd = await page.evaluate(
      `(() => { const t = document.getElementById('inbox-thread'); return t.scrollHeight - t.scrollTop - t.clientHeight < 60 })()`
    )
    assert.isTrue(atEnd)
    await screenshot(page, 'inbox-conversation-en')

    // A refused action shows its message in place (htmx swaps the 422 page).
    await page.getByLabel('Add labels').fill('x'.repeat(41))
    await page.locator('form[data-form="labels"] button[type="submit"]').click()
    await page.getByText('Up to 20 labels, each at most 40 characters.').first().waitFor()
    await page.getByLabel('Add labels').fill('Follow up')
    await page.locator('form[data-form="labels"] button[type="submit"]').click()
    await page.locator('.label-list [data-label="follow up"]').waitFor()

    await page.getByRole('button', { name: 'Resolve' }).click()
    await page.getByText('Conversation resolved.').waitFor()
    assert.equal(
      await page.locator('#inbox-conversation-status .status-badge').getAttribute('data-status'),
      'resolved'
    )
    await screenshot(page, 'inbox-resolved-en')

    // Snooze from the menu.
    await page.getByRole('button', { name: 'Reopen' }).click()
    await page.getByText('Conversation reopened.').waitFor()
    await page.locator('.snooze-menu summary').click()
    await page.getByRole('button', { name: /Until tomorrow/ }).click()
    await page
      .getByText(/Snoozed until/)
      .first()
      .waitFor()

    // Narrow screen: one column, the list behind a back link.
    await page.setViewportSize({ width: 420, height: 900 })
    assert.isFalse(await page.locator('.inbox-list-pane').isVisible())
    assert.isTrue(await page.locator('.conversation-back').isVisible())
    await screenshot(page, 'inbox-conversation-narrow-en')
    await page.setViewportSize({ width: 1100, height: 900 })
    await screenshot(page, 'inbox-conversation-medium-en')
    assert.deepEqual(realProblems(problems), [])
  }).timeout(60_000)

  test('the inbox reads right to left in Arabic', async ({ assert, cleanup }) => {
    const { wa, conversations, inbox } = await busyInbox(cleanup)
    const arabic = await makeMember(wa.tenant.id, 'viewer')
    cleanup(() => arabic.delete())
    arabic.locale = 'ar'
    arabic.name = 'سلمى'
    await arabic.save()
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    cleanup(() => page.close())
    const problems = watchProblems(page)
    await signInThroughForm(page, arabic.email, TEST_PASSWORD)

    await page.goto(serverUrl(inbox))
    await page.locator('.inbox-row').first().waitFor()
    assert.equal(await page.evaluate('document.documentElement.dir'), 'rtl')
    await screenshot(page, 'inbox-list-ar')

    await page.goto(serverUrl(`${inbox}/${conversations[0].id}`))
    await page.locator('#inbox-thread').waitFor()
    const cols = await columns(page)
    // Mirrored: the list on the right, the side panel on the left.
    assert.isAbove(cols.list!.x, cols.conversation!.x)
    assert.isAbove(cols.conversation!.x, cols.side!.x)
    assert.isTrue(await page.locator('[data-read-only]').isVisible())
    await screenshot(page, 'inbox-conversation-ar')
    await page.setViewportSize({ width: 420, height: 900 })
    await screenshot(page, 'inbox-conversation-narrow-ar')
    assert.deepEqual(realProblems(problems), [])
  }).timeout(60_000)
})
