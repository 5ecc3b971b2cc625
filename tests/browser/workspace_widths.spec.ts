import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import type { Page } from 'playwright-core'
import { DateTime } from 'luxon'
import { Message, addSandboxChannel } from '#modules/channels/index'
import { Contact, Conversation } from '#modules/inbox/index'
import { createCannedResponse } from '#modules/inbox/services/canned_response_service'
import { createApiKey } from '#modules/integrations/index'
import {
  Segment,
  createSequence,
  enrollContact,
  saveCheckinPlan,
  saveDateRule,
  saveNudgeRule,
} from '#modules/pulse/index'
import { createSubscription } from '#modules/integrations/services/webhook_subscription_service'
import { createFlow, importGraph } from '#modules/flows/index'
import { User } from '#modules/identity/index'
import { systemActor } from '#modules/tenancy/index'
import { learnText } from '#tests/helpers/brain'
import { withoutPlan } from '#tests/helpers/tenants'
import { makeWhatsAppTenant } from '#tests/helpers/whatsapp'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { defineContactFields } from '#tests/helpers/contact_fields'
import {
  screenshot,
  serverUrl,
  signInThroughForm,
  useBrowser,
  watchProblems,
  settled,
} from '#tests/helpers/browser'
import { createTask } from '#modules/hitl/index'
import { createConnector } from '#modules/data_engine/index'
import { bookSlot, createBookingService, saveMemberHours } from '#modules/flows/index'

/*
| Every workspace and console page, on a phone (390 x 844) and a desktop
| (1280 x 800), in English and Arabic: nothing scrolls sideways
| (document.documentElement.scrollWidth <= innerWidth), and nothing breaks
| (no console error, no refused request). The workspace holds what makes
| pages wide in real life: long names, a long unbroken word, a busy thread,
| tables. The phone's menu and the inbox's contact drawer are opened too.
| Screenshots of a few pages go to tmp/screenshots (width-language-page).
*/

const SIZES = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
] as const
const LANGUAGES = ['en', 'ar'] as const
const LONG_WORD = 'Supercalifragilisticexpialidocious-renewal-2026-policy-number-AB1234567890'
const SHOTS = [
  '',
  '/inbox/:conversation',
  '/sandbox',
  '/channels',
  '/knowledge',
  '/settings/api-reference',
  '/datasets',
  '/connectors',
  '/team',
  '/outreach',
  '/outreach/nudges/new',
  '/renewals',
  '/campaigns/settings',
  '/bookings',
  '/bookings/hours',
  '/bookings/services/new',
  '/flows',
  '/flows/:flow',
]

type Cleanup = (fn: () => void | Promise<void>) => void

async function busyWorkspace(cleanup: Cleanup) {
  const wa = await makeWhatsAppTenant('widths')
  cleanup(wa.cleanup)
  await withoutPlan(wa.tenant)
  const owner = await makeMember(wa.tenant.id, 'owner')
  cleanup(() => owner.delete())
  await User.query().where('id', owner.id).update({ isSuperAdmin: true, name: 'Dana Owner' })
  const sandbox = await addSandboxChannel(wa.tenant, systemActor, 'Sandbox phone')
  const source = await learnText(
    wa.context,
    `Motor insurance price list ${LONG_WORD}`,
    `A comprehensive car policy costs AED 1,200 a year. ${LONG_WORD}`
  )
  const canned = await createCannedResponse(
    wa.context,
    { shortcut: 'hours', title: 'Opening hours', body: `We open 9 to 5. ${LONG_WORD}` },
    owner.id
  )
  await createApiKey(
    wa.tenant,
    { name: `zapier-${LONG_WORD}`.slice(0, 120), scopes: ['contacts:read'] },
    systemActor
  )
  const webhook = await createSubscription(wa.context, {
    url: `http://127.0.0.1:9/hooks/${LONG_WORD}`,
    events: ['contact.created'],
  })
  const [policyField] = await defineContactFields(wa.context, [
    { key: 'policy', label: `Policy ${LONG_WORD}` },
    { key: 'area', type: 'choice', label: 'Area', choices: ['JLT', LONG_WORD] },
    { key: 'renewal', type: 'date', label: 'Renewal', required: true },
  ])
  const now = DateTime.now()
  const { contact, conversation } = await wa.context.transaction(async (trx) => {
    const person = await Contact.create(
      {
        name: `Layla Haddad ${LONG_WORD}`,
        phone: '+971501234567',
        waId: '971501234567',
        source: 'whatsapp',
        optIn: 'opted_in',
        tags: ['customer', LONG_WORD],
        attributes: {
          policy: LONG_WORD,
          area: LONG_WORD,
          legacy_note: LONG_WORD,
          renewal: now.plus({ days: 30 }).toISODate(),
        },
        timeZone: 'Asia/Dubai',
        language: 'ar',
        marketingConsent: 'opted_in',
        marketingConsentSource: 'web_chat',
        marketingConsentAt: now,
      },
      { client: trx }
    )
    const talk = await Conversation.create(
      {
        contactId: person.id,
        channelId: wa.channel.id,
        status: 'open',
        labels: ['renewal', 'vip'],
        priority: 'urgent',
        lastMessageAt: now,
        lastCustomerMessageAt: now,
        needsPersonAt: now,
      },
      { client: trx }
    )
    const base = { conversationId: talk.id, contactId: person.id, channelId: wa.channel.id }
    for (let i = 0; i < 12; i++) {
      await Message.create(
        {
          ...base,
          direction: i % 2 ? 'outbound' : 'inbound',
          type: 'text',
          body: i === 3 ? `See ${LONG_WORD} and https://example.com/${LONG_WORD}` : `Message ${i}`,
          status: i % 2 ? 'read' : 'received',
          authorType: i % 2 ? 'agent' : 'contact',
          authorId: i % 2 ? owner.id : null,
          providerTimestamp: now.minus({ minutes: 60 - i }),
        },
        { client: trx }
      )
    }
    return { contact: person, conversation: talk }
  })
  const { task } = await createTask(
    wa.context,
    {
      kind: 'quote_review',
      title: `Compare the quotes for ${LONG_WORD}`,
      description: `Check **${LONG_WORD}** before approving.`,
      due_at: now.minus({ hours: 1 }).toISO(),
      contact_id: contact.id,
      components: [
        { type: 'text', text: `The customer wrote: ${LONG_WORD}` },
        {
          type: 'table',
          columns: [
            { key: 'insurer', label: 'Insurer' },
            { key: 'premium', label: 'Premium' },
            { key: 'deductible', label: 'Deductible' },
            { key: 'exclusions', label: 'Main exclusions' },
          ],
          rows: [
            {
              insurer: LONG_WORD,
              premium: 'AED 1,200',
              deductible: 'AED 500',
              exclusions: 'Racing',
            },
            {
              insurer: 'Oman Insurance',
              premium: 'AED 1,100',
              deductible: 'AED 750',
              exclusions: LONG_WORD,
            },
          ],
          highlight_row: 1,
        },
        { type: 'key_values', items: [{ label: 'Policy', value: LONG_WORD }] },
        { type: 'citations', items: [{ source: `${LONG_WORD}.pdf`, quote: LONG_WORD }] },
        { type: 'editable_text', name: 'reply', label: 'Reply', value: `Dear Layla, ${LONG_WORD}` },
        { type: 'message_preview', text_from: 'reply' },
      ],
      action: { type: 'send_message' },
    },
    systemActor
  )
  const segment = await wa.context.transaction((trx) =>
    Segment.create(
      {
        name: `Renewals ${LONG_WORD}`,
        filter: {
          match: 'all',
          conditions: [
            { field: 'attr.area', op: 'eq', value: LONG_WORD },
            { field: 'tag', op: 'has', value: 'customer' },
          ],
        },
      },
      { client: trx }
    )
  )
  const [campaign] = await wa.context.transaction((trx) =>
    trx
      .table('campaigns')
      .insert({
        name: `Renewals ${LONG_WORD}`,
        channel_id: wa.channel.id,
        template_name: 'renewal_reminder',
        template_language: 'en',
        audience: JSON.stringify({ segment_id: segment.id }),
      })
      .returning('id')
  )
  const flow = await createFlow(wa.context, { name: `Intake ${LONG_WORD}` }, null)
  await importGraph(wa.context, flow.id, {
    nodes: [
      {
        id: 'welcome',
        type: 'message',
        position: { x: 0, y: 0 },
        data: { text: `Hello ${LONG_WORD}`, buttons: [{ id: 'a', title: 'Car' }] },
      },
      {
        id: LONG_WORD.slice(0, 60).replace(/[^A-Za-z0-9_-]/g, '_') || 'done',
        type: 'end',
        position: { x: 0, y: 100 },
        data: {},
      },
    ],
    edges: [],
  })
  const sequence = await createSequence(wa.context, {
    name: `Onboarding ${LONG_WORD}`,
    channelId: wa.channel.id,
    triggers: { labels: [LONG_WORD.slice(0, 60)] },
    steps: [
      {
        type: 'send',
        text: `Hello {{contact.name|there}}, ${LONG_WORD}`,
        template: { name: 'renewal_reminder', language: 'en', variables: [LONG_WORD] },
      },
      {
        type: 'condition',
        on: 'label',
        key: 'vip',
        op: 'exists',
        then: [
          {
            type: 'wait_reply',
            amount: 2,
            unit: 'days',
            replied: [],
            timeout: [{ type: 'create_task', title: LONG_WORD }],
          },
        ],
        else: [{ type: 'add_label', label: 'cold' }],
      },
      { type: 'wait', amount: 3, unit: 'days' },
    ],
  })
  const connector = await createConnector(wa.context, {
    name: `Order status ${LONG_WORD}`,
    url_template: `https://shop.example/api/orders/{{order}}?ref=${LONG_WORD}`,
    auth_mode: 'bearer',
    auth_secret: 'matrix-secret',
    parameters: [{ name: 'order', type: 'integer', required: true, example: '4471' }],
    mapping: [{ name: 'status', path: '$.order.status' }],
    reply_template: 'Order {{order}} is {{status}}.',
    triggers: 'order, طلب',
    answers_customers: true,
  })
  const nudgeRule = await saveNudgeRule(wa.context, null, {
    name: `Proposal ${LONG_WORD}`,
    enabled: true,
    label: 'proposal',
    afterHours: 20,
    maxNudges: 2,
    message: `Any thoughts on ${LONG_WORD}?`,
    templateName: 'renewal_reminder',
    templateLanguage: 'en',
    templateVariables: ['{{contact.name|there}}'],
    finalAction: 'label',
    finalLabel: 'cold',
    quietStart: 21 * 60,
    quietEnd: 9 * 60,
  })
  const dateRule = await saveDateRule(wa.context, null, {
    name: `Renewals ${LONG_WORD}`,
    enabled: true,
    fieldKey: 'renewal',
    offsets: [-60, -30, -7],
    localTime: '10:00',
    channelId: wa.channel.id,
    message: `Your policy ${LONG_WORD} ends soon`,
    templateName: null,
    templateLanguage: null,
    templateVariables: [],
    createTask: true,
    taskTitle: null,
  })
  const checkinPlan = await saveCheckinPlan(wa.context, null, {
    name: `Coaching ${LONG_WORD}`,
    enabled: true,
    days: [1, 2, 3, 4, 5],
    localTime: '08:00',
    question: `Did you do ${LONG_WORD} today?`,
    answers: ['Done', 'Not yet', 'Skip'],
    followUp: null,
    nudgeAfterHours: null,
    nudgeText: null,
    tag: null,
    channelId: null,
    templateName: null,
    templateLanguage: null,
    templateVariables: [],
  })
  await enrollContact(wa.context, checkinPlan.id, contact.id)
  await wa.context.transaction((trx) =>
    trx.table('pulse_drafts').insert({
      contact_id: contact.id,
      week: now.startOf('week').toISODate(),
      text: `Hi Layla, ${LONG_WORD}`,
      source: 'template',
      status: 'awaiting_approval',
    })
  )
  // The session booker: the owner works every hour, so a booking lands in this week.
  await saveMemberHours(wa.context, owner.id, {
    timeZone: 'UTC',
    weekly: Object.fromEntries(
      (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const).map((d) => [
        d,
        [['00:00', '23:00']],
      ])
    ),
    daysOff: ['2030-01-01'],
  })
  const bookable = await createBookingService(
    wa.context,
    {
      name: `Consultation ${LONG_WORD}`,
      durationMinutes: 60,
      bufferMinutes: 0,
      priceText: `AED 300 ${LONG_WORD}`.slice(0, 60),
      active: true,
      memberIds: [owner.id],
    },
    [owner.id]
  )
  // Two hours ahead, or three when that is the 23:00 hour the working day ends at.
  const slotStart = now.toUTC().startOf('hour').plus({ hours: 2 })
  const booking = await bookSlot(wa.context, {
    serviceId: bookable.id,
    contactId: contact.id,
    start: (slotStart.hour === 23 ? slotStart.plus({ hours: 1 }) : slotStart).toJSDate(),
  })
  const plan = await db.from('plans').select('id').first()
  const workspace = `/t/${wa.tenant.slug}`
  const pages = [
    '',
    '/inbox',
    '/inbox?view=needs_person',
    `/inbox/${conversation.id}`,
    `/inbox/${conversation.id}#contact-panel`,
    '/sandbox',
    '/contacts',
    '/contacts/new',
    '/contacts/import',
    `/contacts/${contact.id}`,
    `/contacts/${contact.id}/memory`,
    '/tasks',
    `/tasks/${task.id}`,
    '/tasks/quotes/new',
    '/campaigns',
    '/campaigns/new',
    '/campaigns/settings',
    `/campaigns/${campaign.id}`,
    '/sequences',
    '/sequences/new',
    `/sequences/${sequence.id}`,
    '/flows',
    `/flows/${flow.id}`,
    `/sequences/${sequence.id}/dry-run?q=${encodeURIComponent(contact.name ?? '')}&contact_id=${contact.id}`,
    '/knowledge',
    '/knowledge/new',
    '/knowledge/search?q=car',
    `/knowledge/${source.id}`,
    '/assistant',
    `/assistant/${sandbox.id}`,
    '/templates',
    '/templates/new',
    '/channels',
    `/channels/${wa.channel.id}`,
    `/channels/${sandbox.id}`,
    '/team',
    '/settings/branding',
    '/settings/canned-responses',
    `/settings/canned-responses/${canned.id}`,
    '/segments',
    '/segments/new',
    `/segments/${segment.id}`,
    '/settings/contact-fields',
    `/settings/contact-fields/${policyField.id}`,
    '/settings/api-keys',
    '/settings/webhooks',
    `/settings/webhooks/${webhook.id}`,
    '/settings/api-reference',
    '/datasets',
    '/datasets/new',
    '/connectors',
    '/connectors/new',
    `/connectors/${connector.id}`,
    '/outreach',
    '/outreach/nudges/new',
    `/outreach/nudges/${nudgeRule.id}`,
    '/outreach/reminders/new',
    `/outreach/reminders/${dateRule.id}`,
    '/outreach/checkins/new',
    `/outreach/checkins/${checkinPlan.id}`,
    `/outreach/checkins/${checkinPlan.id}/coach`,
    '/outreach/pulse',
    '/renewals',
    '/bookings',
    '/bookings/services',
    '/bookings/services/new',
    `/bookings/services/${bookable.id}`,
    '/bookings/hours',
    `/bookings/${booking.id}`,
    '#site-menu',
  ].map((path) => `${workspace}${path}`)
  const consolePages = [
    '/account/profile',
    '/admin/tenants',
    '/admin/tenants/create',
    `/admin/tenants/${wa.tenant.id}`,
    '/admin/audit',
    '/admin/plans',
    '/admin/plans/create',
    ...(plan ? [`/admin/plans/${plan.id}/edit`] : []),
  ]
  return { owner, conversation, flow, pages: [...pages, ...consolePages], workspace }
}

/** What sticks out past the window's edge, or [] when nothing scrolls sideways. */
async function sideways(page: Page) {
  return (await page.evaluate(`(() => {
    if (document.documentElement.scrollWidth <= innerWidth) return []
    // An element inside a box that scrolls or clips sideways (a wide table
    // in its .table-wrap) does not widen the page: the culprits are the others.
    const clipped = (el) => {
      for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
        if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(up).overflowX)) return true
      }
      return false
    }
    return [...document.querySelectorAll('body *')]
      .filter((el) => {
        const box = el.getBoundingClientRect()
        return box.width > 0 && (box.right > innerWidth + 1 || box.left < -1) && !clipped(el)
      })
      .slice(0, 4)
      .map((el) => el.tagName.toLowerCase() + '.' + [...el.classList].join('.') + '(' + Math.round(el.getBoundingClientRect().right) + ')')
  })()`)) as string[]
}

test.group('Journey: every workspace and console page fits the screen', (group) => {
  const browser = useBrowser(group)

  for (const size of SIZES) {
    for (const lang of LANGUAGES) {
      test(`no page scrolls sideways at ${size.width} px (${lang})`, async ({
        assert,
        cleanup,
      }) => {
        const ws = await busyWorkspace(cleanup)
        await User.query().where('id', ws.owner.id).update({ locale: lang })
        const context = await browser.newContext({
          viewport: size,
          locale: lang === 'ar' ? 'ar' : 'en-US',
        })
        cleanup(() => context.close())
        const page = await context.newPage()
        await signInThroughForm(page, ws.owner.email, TEST_PASSWORD)
        const problems = watchProblems(page)

        const wide: string[] = []
        for (const path of ws.pages) {
          const response = await page.goto(serverUrl(path))
          // A #target on the page already open (the menu, the drawer) loads nothing.
          if (response) assert.equal(response.status(), 200, path)
          await settled(page)
          assert.equal(await page.getAttribute('html', 'dir'), lang === 'ar' ? 'rtl' : 'ltr')
          const out = await sideways(page)
          if (out.length) wide.push(`${path}: ${out.join(', ')}`)
          const shot = SHOTS.map(
            (p) =>
              `${ws.workspace}${p.replace(':conversation', ws.conversation.id).replace(':flow', ws.flow.id)}`
          ).indexOf(path)
          if (shot >= 0) {
            await screenshot(page, `widths-${size.width}-${lang}-${shot}`)
            // The window as a phone shows it: the reply box pinned to the bottom.
            if (size.width < 800 && shot === 1) {
              await page.screenshot({
                path: app.makePath(`tmp/screenshots/widths-${size.width}-${lang}-inbox-window.png`),
              })
            }
          }
        }
        assert.deepEqual(wide, [], wide.join('\n'))
        assert.deepEqual(problems, [])
      }).timeout(300_000)
    }
  }
})
