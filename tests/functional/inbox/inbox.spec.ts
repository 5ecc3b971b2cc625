import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import emitter from '@adonisjs/core/services/emitter'
import { addSandboxChannel, Message } from '#modules/channels/index'
import { Contact, Conversation } from '#modules/inbox/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import type { User } from '#modules/identity/index'
import WakeSnoozedJob from '#modules/inbox/jobs/wake_snoozed_job'
import { scheduleWakeUp } from '#modules/inbox/services/conversation_service'
import { makeMember } from '#tests/helpers/users'
import { useWorkers } from '#tests/helpers/queue'
import { FIXED_INSTANTS, useFixedClock } from '#tests/helpers/clock'
import { WebSession } from '#tests/helpers/web_session'
import { signIn } from '#tests/functional/workspace/member_browser'
import {
  makeWhatsAppTenant,
  messages,
  postWebhook,
  unix,
  waId,
  waitFor,
  wamid,
  webhook,
  type WhatsAppTenant,
} from '#tests/helpers/whatsapp'

/*
| The team inbox over HTTP, against the real database and queue: the list
| and its filters, every kind of message in a thread, the actions members
| take, who may take them, and that one workspace never sees another's.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

async function inboxWorkspace(cleanup: Cleanup, prefix = 'inbox') {
  const wa = await makeWhatsAppTenant(prefix)
  cleanup(wa.cleanup)
  const member = async (role: 'owner' | 'admin' | 'agent' | 'viewer') => {
    const user = await makeMember(wa.tenant.id, role)
    cleanup(() => user.delete())
    return user
  }
  return { ...wa, member, inbox: `/t/${wa.tenant.slug}/inbox` }
}

type Workspace = Awaited<ReturnType<typeof inboxWorkspace>>

interface Seed {
  name?: string | null
  phone?: string
  status?: 'open' | 'pending' | 'snoozed' | 'resolved'
  assigneeId?: string | null
  labels?: string[]
  priority?: 'none' | 'low' | 'medium' | 'high' | 'urgent'
  unread?: number
  channelId?: string
  at?: DateTime
  contactId?: string
  lastCustomerMessageAt?: DateTime | null
  messages?: Array<Partial<Message>>
}

let phoneCounter = 1000

/** A conversation written straight into the tenant's schema, for states webhooks cannot make. */
async function seed(w: WhatsAppTenant, options: Seed = {}) {
  return w.context.transaction(async (trx) => {
    const contact = options.contactId
      ? await Contact.findOrFail(options.contactId, { client: trx })
      : await Contact.create(
          {
            name: options.name === undefined ? `Customer ${phoneCounter}` : options.name,
            phone: options.phone ?? `+1555${String(phoneCounter++).padStart(7, '0')}`,
            source: 'whatsapp',
          },
          { client: trx }
        )
    const at = options.at ?? DateTime.now()
    const conversation = await Conversation.create(
      {
        contactId: contact.id,
        channelId: options.channelId ?? w.channel.id,
        status: options.status ?? 'open',
        assigneeId: options.assigneeId ?? null,
        labels: options.labels ?? [],
        priority: options.priority ?? 'none',
        unreadCount: options.unread ?? 0,
        lastMessageAt: at,
        lastCustomerMessageAt:
          options.lastCustomerMessageAt === undefined ? at : options.lastCustomerMessageAt,
        resolvedAt: options.status === 'resolved' ? at : null,
        snoozedUntil: options.status === 'snoozed' ? DateTime.now().plus({ hours: 2 }) : null,
      },
      { client: trx }
    )
    const made: Message[] = []
    for (const [index, row] of (options.messages ?? []).entries()) {
      made.push(
        await Message.create(
          {
            conversationId: conversation.id,
            contactId: contact.id,
            channelId: conversation.channelId,
            direction: 'inbound',
            type: 'text',
            status: 'received',
            authorType: 'contact',
            providerTimestamp: at.minus({ seconds: (options.messages!.length - index) * 10 }),
            ...row,
          },
          { client: trx }
        )
      )
    }
    return { contact, conversation, messages: made }
  })
}

function conversationRow(context: TenantContext, id: string) {
  return context.transaction((trx) => Conversation.findOrFail(id, { client: trx }))
}

/** The list's conversation ids, in order. */
function rowIds(body: string) {
  return [...body.matchAll(/data-conversation="([0-9a-f-]{36})"/g)].map((match) => match[1])
}

/** The markup of one message of a thread. */
function article(body: string, messageId: string) {
  const at = body.indexOf(`data-message="${messageId}"`)
  if (at < 0) throw new Error(`message ${messageId} is not on the page`)
  const start = body.lastIndexOf('<article', at)
  return body.slice(start, body.indexOf('</article>', start))
}

function articleIds(body: string) {
  return [...body.matchAll(/data-message="([0-9a-f-]{36})"/g)].map((match) => match[1])
}

/** A GET as htmx sends it for one fragment of the page. */
async function htmxGet(web: WebSession, path: string, target: string) {
  const cookie = [...web.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const response = await fetch(`${WebSession.baseUrl()}${path}`, {
    headers: { cookie, 'HX-Request': 'true', 'HX-Target': target },
    redirect: 'manual',
  })
  return { status: response.status, body: await response.text() }
}

type ConversationEventName =
  'conversation:assigned' | 'conversation:resolved' | 'conversation:updated'

/** The conversation events emitted during a test. */
function recordEvents(cleanup: Cleanup) {
  const seen: Array<{ name: ConversationEventName; data: any }> = []
  for (const name of [
    'conversation:assigned',
    'conversation:resolved',
    'conversation:updated',
  ] as const) {
    const listener = (data: any) => {
      seen.push({ name, data })
    }
    emitter.on(name, listener)
    cleanup(() => emitter.off(name, listener))
  }
  return seen
}

/** Posts an action form from the conversation page, as the page would. */
async function act(
  web: WebSession,
  w: Workspace,
  conversationId: string,
  action: string,
  fields: Record<string, string> = {}
) {
  return web.submit(`${w.inbox}/${conversationId}`, `${w.inbox}/${conversationId}/${action}`, {
    list: '',
    ...fields,
  })
}

/** An agent in Dubai signed in beside one conversation, the app's clock held at `at`. */
async function dubaiAgentAt(cleanup: Cleanup, at: string) {
  const w = await inboxWorkspace(cleanup)
  const agent: User = await w.member('agent')
  agent.timezone = 'Asia/Dubai'
  await agent.save()
  const { conversation } = await seed(w)
  const web = await signIn(agent)
  useFixedClock(cleanup, at)
  return { w, conversation, web }
}

test.group('Inbox: the list', () => {
  test('each row shows contact, channel, last message, time, unread count, assignee, labels, priority and status', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const agent = await w.member('agent')
    const { conversation } = await seed(w, {
      name: 'Layla Haddad',
      phone: '+971501234567',
      assigneeId: agent.id,
      labels: ['renewal', 'vip'],
      priority: 'urgent',
      status: 'pending',
      unread: 3,
      messages: [{ body: 'First question' }, { body: 'Is my policy renewed?' }],
    })
    const web = await signIn(agent)
    const page = await web.get(`${w.inbox}?status=all`)
    assert.equal(page.status, 200)
    assert.deepEqual(rowIds(page.body), [conversation.id])
    const row = page.body.slice(page.body.indexOf(`data-conversation="${conversation.id}"`))
    assert.include(row, 'Layla Haddad')
    assert.include(row, '<span class="inbox-row-phone" dir="ltr">+971501234567</span>')
    assert.include(row, 'data-channel-type="whatsapp"')
    assert.include(row, 'Is my policy renewed?')
    assert.notInclude(row.slice(0, row.indexOf('</li>')), 'First question')
    assert.include(
      row,
      `<span class="inbox-row-assignee" data-assignee="${agent.id}" data-owner="person">Assigned to A agent</span>`
    )
    assert.include(row, 'data-label="renewal"')
    assert.include(row, 'data-label="vip"')
    assert.include(row, 'data-priority="urgent"')
    assert.include(row, 'data-status="pending"')
    assert.include(row, 'data-unread="3"')
    assert.match(row, /<time datetime="[^"]+">[^<]+<\/time>/)
    // The page is live: the list refreshes itself after the last of a series of inbox changes.
    assert.include(page.body, 'hx-trigger="inbox-changed from:body delay:500ms"')
    assert.include(page.body, `data-live-events="/t/${w.tenant.slug}/inbox/events"`)
    assert.include(page.body, '/assets/inbox.css')
    assert.include(page.body, '/assets/inbox.js')
    assert.include(page.body, '/assets/live.js')
    assert.include(page.body, `href="/t/${w.tenant.slug}/inbox" aria-current="page"`)
  })

  test('mine, unassigned and all tabs filter and count conversations with unread messages', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const me = await w.member('agent')
    const colleague = await w.member('agent')
    const mineUnread = await seed(w, { assigneeId: me.id, unread: 2 })
    const mineRead = await seed(w, { assigneeId: me.id })
    const theirs = await seed(w, { assigneeId: colleague.id, unread: 1 })
    const nobodys = await seed(w, { unread: 5 })
    const nobodysRead = await seed(w, {})
    const web = await signIn(me)

    const all = await web.get(w.inbox)
    assert.sameMembers(rowIds(all.body), [
      mineUnread.conversation.id,
      mineRead.conversation.id,
      theirs.conversation.id,
      nobodys.conversation.id,
      nobodysRead.conversation.id,
    ])
    assert.include(all.body, 'data-unread-tab="mine"><span aria-hidden="true">1</span>')
    assert.include(all.body, 'data-unread-tab="unassigned"><span aria-hidden="true">1</span>')
    assert.include(all.body, 'data-unread-tab="all"><span aria-hidden="true">3</span>')

    const mine = await web.get(`${w.inbox}?view=mine`)
    assert.sameMembers(rowIds(mine.body), [mineUnread.conversation.id, mineRead.conversation.id])
    assert.include(mine.body, `href="${w.inbox}?view=mine" data-tab="mine" aria-current="page"`)
    const unassigned = await web.get(`${w.inbox}?view=unassigned`)
    assert.sameMembers(rowIds(unassigned.body), [
      nobodys.conversation.id,
      nobodysRead.conversation.id,
    ])
  })

  test('status, label and channel filters, and search by name, phone and message words', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const sandbox = await addSandboxChannel(w.tenant, systemActor)
    const open = await seed(w, {
      name: 'Omar Khalil',
      phone: '+201012345678',
      labels: ['claim'],
      messages: [{ body: 'My windscreen cracked on the highway' }],
    })
    const pending = await seed(w, {
      name: 'Sara',
      status: 'pending',
      labels: ['renewal'],
      messages: [{ body: 'Please send the renewal quotation' }],
    })
    const resolved = await seed(w, {
      name: 'Old Case',
      status: 'resolved',
      messages: [{ body: 'Thanks, all sorted' }],
    })
    const snoozed = await seed(w, { name: 'Later', status: 'snoozed' })
    const onSandbox = await seed(w, {
      name: 'Tester',
      channelId: sandbox.id,
      messages: [{ body: 'مرحبا، أريد تجديد الوثيقة' }],
    })
    const web = await signIn(await w.member('viewer'))
    const ids = async (query: string) => {
      const page = await web.get(`${w.inbox}${query}`)
      assert.equal(page.status, 200, query)
      return rowIds(page.body)
    }

    // Open is the default status.
    assert.sameMembers(await ids(''), [open.conversation.id, onSandbox.conversation.id])
    assert.deepEqual(await ids('?status=pending'), [pending.conversation.id])
    assert.deepEqual(await ids('?status=resolved'), [resolved.conversation.id])
    assert.deepEqual(await ids('?status=snoozed'), [snoozed.conversation.id])
    assert.lengthOf(await ids('?status=all'), 5)
    assert.deepEqual(await ids('?status=all&label=renewal'), [pending.conversation.id])
    assert.deepEqual(await ids('?status=all&label=CLAIM'), [open.conversation.id])
    assert.deepEqual(await ids(`?status=all&channel=${sandbox.id}`), [onSandbox.conversation.id])
    assert.lengthOf(await ids(`?status=all&channel=${w.channel.id}`), 4)

    // Search: names, numbers as typed, and words (or their beginnings) in messages.
    assert.deepEqual(await ids('?status=all&q=omar'), [open.conversation.id])
    assert.deepEqual(await ids('?status=all&q=%2B20%20101%20234'), [open.conversation.id])
    assert.deepEqual(await ids('?status=all&q=windscreen'), [open.conversation.id])
    assert.deepEqual(await ids('?status=all&q=renewal%20quot'), [pending.conversation.id])
    assert.deepEqual(await ids('?status=all&q=sorted'), [resolved.conversation.id])
    assert.deepEqual(await ids('?status=all&q=تجديد'), [onSandbox.conversation.id])
    assert.deepEqual(await ids('?status=all&q=%27%3A*%20%26%20!%7C'), [])
    assert.deepEqual(await ids('?status=all&q=nothing-like-this'), [])
    const none = await web.get(`${w.inbox}?status=all&q=nothing-like-this`)
    assert.include(none.body, 'No conversations match')

    // Search within a filter combines both.
    assert.deepEqual(await ids('?status=open&q=renewal'), [])
    // Nonsense filters fall back to the defaults.
    assert.sameMembers(await ids('?status=bogus&view=everyone&channel=x'), [
      open.conversation.id,
      onSandbox.conversation.id,
    ])
    // Only the refused parameter falls back: the label beside a bad status still filters,
    // a repeated parameter keeps its first value, and an overlong search is cut, not dropped.
    assert.deepEqual(await ids('?status=bogus&label=claim'), [open.conversation.id])
    assert.deepEqual(await ids('?status=pending&status=resolved'), [pending.conversation.id])
    assert.deepEqual(await ids(`?status=all&q=windscreen${'%20'.repeat(150)}zzz`), [
      open.conversation.id,
    ])
  })

  test('a row’s time is the hour today, the weekday within the week, else the date, in the member’s zone', async ({
    assert,
    cleanup,
  }) => {
    // Sunday 10:00 in Dubai; still Sunday 06:00 on the server (UTC).
    const { w, web } = await dubaiAgentAt(cleanup, '2026-12-06T10:00:00+04:00')
    const now = DateTime.fromISO('2026-12-06T10:00:00+04:00', { setZone: true })
    const cases = [
      { at: now.minus({ hours: 1 }), shown: '9:00 AM' },
      // 03:30 in Dubai, Saturday 23:30 on the server: the member's today.
      { at: now.minus({ hours: 6, minutes: 30 }), shown: '3:30 AM' },
      { at: now.minus({ days: 2 }), shown: 'Fri' },
      { at: now.minus({ days: 10 }), shown: 'Nov 26' },
    ]
    const ids = []
    for (const { at } of cases) ids.push((await seed(w, { at, labels: ['when'] })).conversation.id)
    const page = await web.get(`${w.inbox}?label=when`)
    for (const [index, { shown }] of cases.entries()) {
      const row = page.body.slice(page.body.indexOf(`data-conversation="${ids[index]}"`))
      assert.equal(row.match(/<time datetime="[^"]+">([^<]+)<\/time>/)?.[1]?.trim(), shown)
    }
  })

  test('newest activity first, 25 a page; the next page keeps the filters', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const start = DateTime.now().minus({ days: 1 })
    const made: string[] = []
    for (let index = 0; index < 28; index++) {
      const { conversation } = await seed(w, {
        at: start.plus({ minutes: index }),
        labels: ['bulk'],
      })
      made.push(conversation.id)
    }
    await seed(w, { labels: ['other'] })
    const newestFirst = [...made].reverse()
    const web = await signIn(await w.member('agent'))
    const first = await web.get(`${w.inbox}?label=bulk`)
    assert.deepEqual(rowIds(first.body), newestFirst.slice(0, 25))
    const next = first.body
      .match(/href="([^"]+cursor=[^"]+)" rel="next"/)?.[1]
      ?.replaceAll('&amp;', '&')
    assert.isString(next)
    assert.include(next!, 'label=bulk')
    const second = await web.get(next!)
    assert.deepEqual(rowIds(second.body), newestFirst.slice(25))
    assert.notInclude(second.body, 'rel="next"')
    assert.include(second.body, 'Newest conversations')
    // A conversation with new activity moves to the top.
    await w.context.transaction((trx) =>
      trx.from('conversations').where('id', made[0]).update({ last_message_at: new Date() })
    )
    assert.equal(rowIds((await web.get(`${w.inbox}?label=bulk`)).body)[0], made[0])
  })

  test('htmx gets the list fragment alone; a plain request gets the page', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const { conversation } = await seed(w, { name: 'Fragment Person' })
    const web = await signIn(await w.member('agent'))
    await web.get(w.inbox)
    const fragment = await htmxGet(web, `${w.inbox}?view=unassigned`, 'inbox-list')
    assert.equal(fragment.status, 200)
    assert.match(fragment.body.trim(), /^<div id="inbox-list"/)
    assert.notInclude(fragment.body, '<html')
    assert.include(fragment.body, 'Fragment Person')
    assert.include(fragment.body, `hx-get="${w.inbox}?view=unassigned"`)
    assert.deepEqual(rowIds(fragment.body), [conversation.id])
    const page = await web.get(`${w.inbox}?view=unassigned`)
    assert.include(page.body, '<html')
    // Without JavaScript, the search is a GET form that keeps the tab.
    assert.include(page.body, `<form id="inbox-filters" method="GET" action="${w.inbox}"`)
    assert.include(
      page.body,
      '<input type="hidden" name="view" value="unassigned" form="inbox-filters">'
    )
  })
})

test.group('Inbox: the conversation', (group) => {
  useWorkers(group, ['inbound'])

  test('every kind of inbound WhatsApp message is shown', async ({ assert, cleanup }) => {
    const w = await inboxWorkspace(cleanup)
    const from = waId()
    const textId = wamid()
    const sent = [
      messages.text(
        { from, id: textId },
        'Hello <b>team</b>,\nsee https://example.com/policy?id=1&x=2. Thanks'
      ),
      messages.image({ from }),
      messages.audio({ from }),
      messages.video({ from }),
      messages.document({ from }),
      messages.sticker({ from }),
      messages.location({ from }),
      messages.contacts({ from }),
      messages.buttonReply({ from }),
      messages.listReply({ from }),
      messages.button({ from }),
      messages.reaction({ from }, textId),
      messages.unsupported({ from }),
    ]
    const posted = await postWebhook(
      webhook(w, { messages: sent, profiles: { [from]: 'Nadia' } }),
      w.appSecret
    )
    assert.equal(posted.status, 200)
    const rows = await waitFor(async () => {
      const found = await w.context.transaction((trx) =>
        Message.query({ client: trx }).orderBy('created_at')
      )
      return found.length === sent.length ? found : null
    })
    const byExternal = new Map(rows.map((row) => [row.externalId, row]))
    const idOf = (index: number) => byExternal.get(sent[index].id)!.id
    // The media fetch is another job's work: here its outcomes are written directly.
    await w.context.transaction(async (trx) => {
      const store = async (index: number, change: Record<string, unknown>) => {
        const message = await Message.findOrFail(idOf(index), { client: trx })
        message.media = { ...message.media!, ...change } as any
        await message.useTransaction(trx).save()
      }
      await store(1, { status: 'stored', size: 48_213, storageKey: 'k1' })
      await store(2, { status: 'stored', size: 9_000, storageKey: 'k2' })
      await store(3, { status: 'failed', error: 'larger than 100 MB' })
      await store(4, { status: 'stored', size: 1_572_864, storageKey: 'k4' })
      await store(5, { status: 'stored', size: 20_000, storageKey: 'k5' })
    })
    const conversationId = rows[0].conversationId
    const media = (index: number) => `/t/${w.tenant.slug}/media/${idOf(index)}`
    const web = await signIn(await w.member('agent'))
    const page = await web.get(`${w.inbox}/${conversationId}`)
    assert.equal(page.status, 200)
    // Oldest first, all of them.
    assert.deepEqual(
      articleIds(page.body),
      rows.map((row) => row.id)
    )

    const text = article(page.body, idOf(0))
    assert.include(text, 'Hello &lt;b&gt;team&lt;/b&gt;,\nsee ')
    assert.include(
      text,
      '<a href="https://example.com/policy?id=1&amp;x=2" rel="noopener noreferrer nofollow" target="_blank">https://example.com/policy?id=1&amp;x=2</a>. Thanks'
    )
    assert.notInclude(text, '<b>team')

    const image = article(page.body, idOf(1))
    assert.include(image, `<img class="msg-image" src="${media(1)}"`)
    assert.include(image, 'The damage to the car')
    const audio = article(page.body, idOf(2))
    assert.include(audio, `<audio class="msg-audio" controls preload="none" src="${media(2)}">`)
    const video = article(page.body, idOf(3))
    assert.include(video, 'data-media="failed"')
    assert.include(video, 'The file could not be fetched from WhatsApp: larger than 100 MB')
    assert.include(video, 'Walkthrough')
    const documentView = article(page.body, idOf(4))
    assert.include(documentView, 'policy-2024.pdf')
    assert.include(documentView, '1.5 MB')
    assert.include(documentView, `href="${media(4)}?download=1"`)
    assert.include(documentView, 'My policy')
    const sticker = article(page.body, idOf(5))
    assert.include(sticker, `<img class="msg-sticker" src="${media(5)}"`)

    const location = article(page.body, idOf(6))
    assert.include(location, 'Burj Khalifa')
    assert.include(location, '1 Sheikh Mohammed bin Rashid Blvd, Dubai')
    assert.include(
      location,
      'href="https://www.openstreetmap.org/?mlat=25.2048493&amp;mlon=55.2707828#map=16/25.2048493/55.2707828"'
    )
    const card = article(page.body, idOf(7))
    assert.include(card, 'Shared contact card')
    assert.include(card, '<strong dir="auto">Layla Haddad</strong>')
    assert.include(card, '<span dir="ltr">+971 50 123 4567</span>')
    const buttonReply = article(page.body, idOf(8))
    assert.include(buttonReply, 'Tapped a reply button')
    assert.include(buttonReply, 'Book a viewing')
    const listReply = article(page.body, idOf(9))
    assert.include(listReply, 'Chose from a list')
    assert.include(listReply, 'Gold plan')
    assert.include(listReply, 'Full cover')
    const button = article(page.body, idOf(10))
    assert.include(button, 'Tapped a template button')
    assert.include(button, 'Yes, renew')
    const reaction = article(page.body, idOf(11))
    assert.include(reaction, '👍')
    assert.include(reaction, 'Reacted to “Hello &lt;b&gt;team&lt;/b&gt;,')
    const unsupported = article(page.body, idOf(12))
    assert.include(unsupported, 'WhatsApp does not pass on this kind of message (unsupported)')
    assert.include(unsupported, 'Message type is currently not supported.')

    // Inbound messages carry no delivery ticks.
    assert.notInclude(text, 'data-tick')
  })

  test('media still being fetched shows a loading note instead of a broken file', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const { conversation, messages: made } = await seed(w, {
      messages: [
        {
          type: 'image',
          body: 'Front bumper',
          media: {
            status: 'pending',
            providerId: '1',
            mimeType: 'image/jpeg',
            caption: 'Front bumper',
          },
        },
        {
          type: 'document',
          media: { status: 'pending', providerId: '2', filename: 'claim.pdf' },
        },
      ],
    })
    const web = await signIn(await w.member('viewer'))
    const page = await web.get(`${w.inbox}/${conversation.id}`)
    const image = article(page.body, made[0].id)
    assert.include(image, 'Loading media (Photo)…')
    assert.notInclude(image, '<img')
    assert.include(image, 'Front bumper')
    const documentView = article(page.body, made[1].id)
    assert.include(documentView, 'Loading media (Document)…')
    assert.include(documentView, 'claim.pdf')
    assert.notInclude(documentView, 'download=1')
  })

  test('outbound messages show their ticks; failures say why; notes and system lines stand apart', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const agent = await w.member('agent')
    const outbound = (status: string, extra: Record<string, unknown> = {}) => ({
      direction: 'outbound' as const,
      authorType: 'agent' as const,
      authorId: agent.id,
      status: status as any,
      ...extra,
    })
    const { conversation, messages: made } = await seed(w, {
      messages: [
        outbound('pending', { body: 'Queued reply' }),
        outbound('sent', { body: 'Sent reply' }),
        outbound('delivered', { body: 'Delivered reply' }),
        outbound('read', { body: 'Read reply' }),
        outbound('failed', {
          body: 'Failed reply',
          errorCode: 131047,
          errorTitle: 'Re-engagement message',
        }),
        outbound('sent', {
          type: 'template',
          body: 'policy_renewal (en): Layla · 12 May',
          payload: {
            content: {
              type: 'template',
              name: 'policy_renewal',
              language: 'en',
              variables: ['Layla', '12 May'],
            },
          },
          authorType: 'system',
          authorId: null,
        }),
        outbound('delivered', {
          type: 'interactive',
          body: 'How can we help?',
          payload: {
            content: {
              type: 'buttons',
              body: 'How can we help?',
              header: 'Acme Insurance',
              buttons: [
                { id: 'claim', title: 'File a claim' },
                { id: 'renew', title: 'Renew' },
              ],
            },
          },
        }),
        outbound('read', {
          type: 'interactive',
          body: 'Choose a plan',
          payload: {
            content: {
              type: 'list',
              body: 'Choose a plan',
              button: 'See plans',
              sections: [
                {
                  rows: [
                    { id: 'gold', title: 'Gold' },
                    { id: 'silver', title: 'Silver' },
                  ],
                },
              ],
            },
          },
          authorType: 'assistant',
          authorId: null,
        }),
        outbound('sent', {
          type: 'text',
          body: 'Customer is a VIP, be gentle',
          isNote: true,
        }),
        {
          direction: 'outbound',
          type: 'system',
          body: 'Conversation handed to a person',
          authorType: 'system',
          status: 'sent',
        },
        outbound('sent', {
          type: 'image',
          body: 'Your card',
          payload: {
            content: {
              type: 'image',
              link: 'https://cdn.example.com/card.png',
              caption: 'Your card',
            },
          },
        }),
        outbound('sent', {
          type: 'interactive',
          body: 'Our plans are online.',
          payload: {
            content: {
              type: 'cta_url',
              body: 'Our plans are online.',
              displayText: 'See the plans',
              url: 'https://example.com/plans',
            },
          },
          authorType: 'system',
          authorId: null,
        }),
      ],
    })
    const page = await (await signIn(agent)).get(`${w.inbox}/${conversation.id}`)
    const tick = (index: number) =>
      article(page.body, made[index].id).match(/data-tick="(\w+)"/)?.[1]
    assert.deepEqual([0, 1, 2, 3, 4].map(tick), ['pending', 'sent', 'delivered', 'read', 'failed'])
    assert.include(article(page.body, made[1].id), '<span class="visually-hidden">Sent</span>')
    assert.include(article(page.body, made[3].id), 'class="tick tick--read"')
    const failed = article(page.body, made[4].id)
    assert.include(failed, 'Not delivered: <bdi dir="ltr">131047: Re-engagement message</bdi>')
    assert.include(article(page.body, made[0].id), '<p class="msg-author">A agent</p>')

    const template = article(page.body, made[5].id)
    assert.include(template, 'Template policy_renewal (en)')
    assert.include(template, '<li dir="auto">12 May</li>')
    assert.include(template, 'Automatic message')
    const buttons = article(page.body, made[6].id)
    assert.include(buttons, 'Message with reply buttons')
    assert.include(buttons, 'Acme Insurance')
    assert.include(buttons, '<li dir="auto">File a claim</li>')
    const list = article(page.body, made[7].id)
    assert.include(list, 'Message with a list')
    assert.include(list, '☰ See plans')
    assert.include(list, '<li dir="auto">Silver</li>')
    assert.include(list, 'Assistant')

    const note = article(page.body, made[8].id)
    assert.include(note, 'msg--note')
    assert.include(note, 'Only your team sees this')
    assert.notInclude(note, 'data-tick')
    const system = article(page.body, made[9].id)
    assert.include(system, 'msg--system')
    assert.include(system, 'Conversation handed to a person')
    const linked = article(page.body, made[10].id)
    assert.include(linked, 'Photo sent from a link:')
    assert.include(linked, 'href="https://cdn.example.com/card.png"')
    assert.notInclude(linked, '<img')
    const urlButton = article(page.body, made[11].id)
    assert.include(urlButton, 'Message with a link button')
    assert.include(urlButton, 'Our plans are online.')
    assert.match(urlButton, /<a href="https:\/\/example.com\/plans"[^>]*>See the plans<\/a>/)
  })

  test('a long thread opens on its latest 50 messages and loads earlier pages back to the start', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const { conversation, messages: made } = await seed(w, {
      messages: Array.from({ length: 120 }, (_, index) => ({ body: `Message number ${index}` })),
    })
    const ids = made.map((message) => message.id)
    const web = await signIn(await w.member('agent'))
    const first = await web.get(`${w.inbox}/${conversation.id}`)
    assert.deepEqual(articleIds(first.body), ids.slice(70))
    const earlier = first.body.match(/<a href="([^"]+before=[^"]+)"/)?.[1]
    assert.isString(earlier)
    assert.include(first.body, 'Load earlier messages')

    // htmx asks for the earlier messages alone, with the next link before them.
    const fragment = await htmxGet(web, earlier!, 'inbox-earlier')
    assert.match(fragment.body.trim(), /^<div id="inbox-earlier"/)
    assert.deepEqual(articleIds(fragment.body), ids.slice(20, 70))
    const earliest = fragment.body.match(/<a href="([^"]+before=[^"]+)"/)?.[1]
    const last = await web.get(earliest!)
    assert.deepEqual(articleIds(last.body), ids.slice(0, 20))
    assert.include(last.body, 'Start of the conversation')
    assert.include(last.body, 'Back to the latest messages')
  })

  test('opening a conversation marks it read for the team; a viewer looking on does not', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const events = recordEvents(cleanup)
    const { conversation } = await seed(w, { unread: 4, messages: [{ body: 'Hello?' }] })
    const viewer = await signIn(await w.member('viewer'))
    await viewer.get(`${w.inbox}/${conversation.id}`)
    assert.equal((await conversationRow(w.context, conversation.id)).unreadCount, 4)

    const agent = await w.member('agent')
    const web = await signIn(agent)
    const page = await web.get(`${w.inbox}/${conversation.id}`)
    assert.equal(page.status, 200)
    assert.equal((await conversationRow(w.context, conversation.id)).unreadCount, 0)
    assert.deepEqual(
      events.map((event) => [event.name, event.data.changes, event.data.byUserId]),
      [['conversation:updated', ['read'], agent.id]]
    )
    // Opening it again changes nothing and says nothing.
    await web.get(`${w.inbox}/${conversation.id}`)
    assert.lengthOf(events, 1)
    // The thread refreshes itself live.
    assert.include(page.body, `hx-trigger="conversation-${conversation.id} from:body"`)
    const thread = await htmxGet(web, `${w.inbox}/${conversation.id}`, 'inbox-thread')
    assert.match(thread.body.trim(), /^<div id="inbox-thread"/)
    assert.include(thread.body, 'Hello?')
  })

  test('the side panel shows the contact and their other conversations; the composer has its slot', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const earlier = await seed(w, {
      name: 'Hana Saleh',
      phone: '+966501112233',
      status: 'resolved',
      at: DateTime.now().minus({ days: 30 }),
      messages: [{ body: 'The old claim' }],
    })
    await w.context.transaction(async (trx) => {
      const contact = await Contact.findOrFail(earlier.contact.id, { client: trx })
      contact.merge({
        waId: '966501112233',
        tags: ['gold'],
        attributes: { policy_number: 'PN-77' },
        notes: 'Speaks Arabic and English.',
        optIn: 'opted_in',
      })
      await contact.useTransaction(trx).save()
    })
    const { conversation } = await seed(w, {
      contactId: earlier.contact.id,
      messages: [{ body: 'A new question' }],
    })
    const web = await signIn(await w.member('agent'))
    const page = await web.get(`${w.inbox}/${conversation.id}`)
    const panel = page.body.slice(page.body.indexOf('data-contact-panel'))
    assert.include(panel, 'Hana Saleh')
    assert.include(panel, '<span dir="ltr" data-phone>+966501112233</span>')
    assert.include(panel, '<span dir="ltr" data-wa-id>966501112233</span>')
    assert.include(panel, 'data-opt-in="opted_in"')
    assert.include(panel, '<li class="badge">gold</li>')
    assert.include(panel, 'data-attribute="policy_number">PN-77</dd>')
    assert.include(panel, 'Speaks Arabic and English.')
    assert.include(panel, `href="/t/${w.tenant.slug}/contacts/${earlier.contact.id}"`)
    assert.include(panel, `data-previous="${earlier.conversation.id}"`)
    assert.include(panel, `href="${w.inbox}/${earlier.conversation.id}"`)
    assert.include(panel, 'The old claim')
    // The composer goes under the thread, told whether the 24-hour window is open.
    assert.include(page.body, 'Reply window open')
  })
})

test.group('Inbox: actions', () => {
  test('assigning to a member, to oneself and to no one; each change is announced once', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const events = recordEvents(cleanup)
    const me = await w.member('agent')
    const admin = await w.member('admin')
    const { conversation } = await seed(w)
    const web = await signIn(me)

    const page = await web.get(`${w.inbox}/${conversation.id}`)
    assert.include(page.body, `<option value="${admin.id}" >A admin</option>`)
    assert.include(page.body, 'Assign to me')

    const toAdmin = await act(web, w, conversation.id, 'assign', { assignee: admin.id })
    assert.equal(toAdmin.status, 302)
    assert.equal(toAdmin.location, `${w.inbox}/${conversation.id}`)
    assert.equal((await conversationRow(w.context, conversation.id)).assigneeId, admin.id)
    assert.include((await web.get(toAdmin.location!)).body, 'Assigned to A admin.')

    await act(web, w, conversation.id, 'assign', { assignee: me.id })
    await act(web, w, conversation.id, 'assign', { assignee: me.id })
    await act(web, w, conversation.id, 'assign', { assignee: '', list: 'view=mine&status=all' })
    assert.isNull((await conversationRow(w.context, conversation.id)).assigneeId)
    assert.deepEqual(
      events
        .filter((event) => event.name === 'conversation:assigned')
        .map((event) => [
          event.data.assigneeId,
          event.data.previousAssigneeId,
          event.data.byUserId,
        ]),
      [
        [admin.id, null, me.id],
        [me.id, admin.id, me.id],
        [null, me.id, me.id],
      ]
    )
    const assigned = events.find((event) => event.name === 'conversation:assigned')!
    assert.equal(assigned.data.tenant, w.tenant.slug)
    assert.equal(assigned.data.conversationId, conversation.id)
  })

  test('a bad assignee is refused with 422 and a message; nothing changes', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const other = await inboxWorkspace(cleanup, 'inbox-other')
    const events = recordEvents(cleanup)
    const me = await w.member('agent')
    const viewer = await w.member('viewer')
    const outsider = await other.member('agent')
    const { conversation } = await seed(w, { assigneeId: me.id })
    const web = await signIn(me)
    for (const assignee of [viewer.id, outsider.id, randomUUID(), 'not-a-person']) {
      const refused = await act(web, w, conversation.id, 'assign', { assignee })
      assert.equal(refused.status, 422, assignee)
      assert.include(refused.body, 'Choose a member of this workspace who can reply.')
      assert.include(refused.body, 'id="assign-error"')
      assert.include(refused.body, '<html')
    }
    assert.equal((await conversationRow(w.context, conversation.id)).assigneeId, me.id)
    assert.lengthOf(
      events.filter((event) => event.name === 'conversation:assigned'),
      0
    )
  })

  test('resolve, reopen and pending change the status and announce it', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const events = recordEvents(cleanup)
    const agent = await w.member('agent')
    const { conversation } = await seed(w)
    const web = await signIn(agent)

    const resolved = await act(web, w, conversation.id, 'resolve', { list: 'view=mine' })
    assert.equal(resolved.location, `${w.inbox}/${conversation.id}?view=mine`)
    const afterResolve = await conversationRow(w.context, conversation.id)
    assert.equal(afterResolve.status, 'resolved')
    assert.isNotNull(afterResolve.resolvedAt)
    assert.include((await web.get(resolved.location!)).body, 'Conversation resolved.')
    // Resolving twice is one resolution.
    await act(web, w, conversation.id, 'resolve')

    // htmx gets the page back at once, with the message and the conversation's address.
    // An action form posted by htmx (a boosted form).
    const viaHtmx = await web.htmxSubmit(
      `${w.inbox}/${conversation.id}`,
      `${w.inbox}/${conversation.id}/pending`,
      { list: 'view=mine' },
      { 'HX-Boosted': 'true' }
    )
    assert.equal(viaHtmx.status, 200)
    assert.equal(
      viaHtmx.response.headers.get('hx-push-url'),
      `${w.inbox}/${conversation.id}?view=mine`
    )
    assert.include(
      viaHtmx.body,
      '<div class="flash success" role="status" data-notice>Conversation marked pending.</div>'
    )
    assert.include(viaHtmx.body, 'data-status="pending"')
    assert.equal((await conversationRow(w.context, conversation.id)).status, 'pending')
    await act(web, w, conversation.id, 'reopen')
    const reopened = await conversationRow(w.context, conversation.id)
    assert.equal(reopened.status, 'open')
    assert.isNull(reopened.resolvedAt)

    assert.deepEqual(
      events.map((event) => [event.name, event.data.changes ?? null, event.data.byUserId]),
      [
        ['conversation:resolved', null, agent.id],
        ['conversation:updated', ['status'], agent.id],
        ['conversation:updated', ['status'], agent.id],
      ]
    )
  })

  test('a resolved conversation cannot come back while a newer one of the contact is open', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const old = await seed(w, { status: 'resolved' })
    await seed(w, { contactId: old.contact.id })
    const web = await signIn(await w.member('agent'))
    for (const action of ['reopen', 'pending']) {
      const refused = await act(web, w, old.conversation.id, action)
      assert.equal(refused.status, 409, action)
      assert.include(refused.body, 'This contact has a newer open conversation on this channel')
    }
    assert.equal((await conversationRow(w.context, old.conversation.id)).status, 'resolved')
  })

  test(
    'snoozing on {name}: an hour, tomorrow 9:00 and next week in the member’s time zone, or a chosen time'
  )
    .with(FIXED_INSTANTS)
    .run(async ({ assert, cleanup }, { at }) => {
      const events = recordEvents(cleanup)
      const { w, conversation, web } = await dubaiAgentAt(cleanup, at)
      const now = DateTime.fromISO(at, { zone: 'Asia/Dubai' })

      await act(web, w, conversation.id, 'snooze', { until: '1h' })
      let row = await conversationRow(w.context, conversation.id)
      assert.equal(row.status, 'snoozed')
      assert.equal(row.snoozedUntil!.toMillis(), now.plus({ hours: 1 }).toMillis())

      await act(web, w, conversation.id, 'snooze', { until: 'tomorrow' })
      row = await conversationRow(w.context, conversation.id)
      const tomorrow = row.snoozedUntil!.setZone('Asia/Dubai')
      assert.equal(tomorrow.toFormat('HH:mm'), '09:00')
      assert.equal(tomorrow.toISODate(), now.plus({ days: 1 }).toISODate())

      await act(web, w, conversation.id, 'snooze', { until: 'next_week' })
      row = await conversationRow(w.context, conversation.id)
      const nextWeek = row.snoozedUntil!.setZone('Asia/Dubai')
      assert.equal(nextWeek.weekday, 1)
      assert.equal(nextWeek.toFormat('HH:mm'), '09:00')
      // Always after "tomorrow" (on a Sunday, the Monday after), within the week after it.
      assert.isAbove(nextWeek.toMillis(), tomorrow.toMillis())
      assert.isAtMost(nextWeek.diff(tomorrow, 'days').days, 7)

      const chosen = now.plus({ days: 3 }).set({ hour: 14, minute: 30 })
      const custom = await act(web, w, conversation.id, 'snooze', {
        until: 'custom',
        custom_until: chosen.toFormat("yyyy-MM-dd'T'HH:mm"),
      })
      assert.equal(custom.status, 302)
      row = await conversationRow(w.context, conversation.id)
      assert.equal(row.snoozedUntil!.toMillis(), chosen.startOf('minute').toMillis())
      assert.include((await web.get(custom.location!)).body, 'Snoozed until')

      // Each of the four is a change, so each is announced.
      assert.deepEqual(
        events.map((event) => event.data.changes),
        [['status', 'snooze'], ['snooze'], ['snooze'], ['snooze']]
      )
    })

  test('the snooze menu shows tomorrow and next week as two different days on {name}')
    .with(FIXED_INSTANTS)
    .run(async ({ assert, cleanup }, { at }) => {
      const { w, conversation, web } = await dubaiAgentAt(cleanup, at)
      const page = await web.get(`${w.inbox}/${conversation.id}`)
      const shown = (value: string) =>
        page.body.match(
          new RegExp(`value="${value}" class="link">[^<]*<small class="muted">([^<]+)<`)
        )?.[1]
      assert.isString(shown('tomorrow'))
      assert.isString(shown('next_week'))
      assert.notEqual(shown('tomorrow'), shown('next_week'))
    })

  test('a snooze time in the past, too far ahead or unreadable is refused with 422; nothing changes', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const events = recordEvents(cleanup)
    const { conversation } = await seed(w, { status: 'pending' })
    const web = await signIn(await w.member('agent'))
    const cases: Array<[Record<string, string>, string]> = [
      [
        {
          until: 'custom',
          custom_until: DateTime.now().minus({ days: 1 }).toFormat("yyyy-MM-dd'T'HH:mm"),
        },
        'Choose a time in the future, at most 365 days ahead.',
      ],
      [
        {
          until: 'custom',
          custom_until: DateTime.now().plus({ years: 2 }).toFormat("yyyy-MM-dd'T'HH:mm"),
        },
        'Choose a time in the future, at most 365 days ahead.',
      ],
      [
        { until: 'custom', custom_until: 'next tuesday' },
        'Enter the date and time to snooze until.',
      ],
      [
        { until: 'custom', custom_until: '2031-02-30T10:00' },
        'Enter the date and time to snooze until.',
      ],
      [{ until: 'someday' }, 'Choose a time in the future, at most 365 days ahead.'],
    ]
    for (const [fields, message] of cases) {
      const refused = await act(web, w, conversation.id, 'snooze', fields)
      assert.equal(refused.status, 422, JSON.stringify(fields))
      assert.include(refused.body, message)
      assert.include(refused.body, 'id="snooze-error"')
      // The menu stays open with what was typed.
      assert.match(refused.body, /<details class="snooze-menu" open>/)
      if (fields.custom_until) assert.include(refused.body, `value="${fields.custom_until}"`)
    }
    const row = await conversationRow(w.context, conversation.id)
    assert.equal(row.status, 'pending')
    assert.isNull(row.snoozedUntil)
    assert.lengthOf(events, 0)
  })

  test('labels are added and removed, normalised; too many or too long is refused', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const events = recordEvents(cleanup)
    const { conversation } = await seed(w, { labels: ['claim'] })
    const web = await signIn(await w.member('agent'))

    await act(web, w, conversation.id, 'labels', {
      add: '  Renewal ,VIP  customer, claim,, renewal',
    })
    assert.deepEqual((await conversationRow(w.context, conversation.id)).labels, [
      'claim',
      'renewal',
      'vip customer',
    ])
    await act(web, w, conversation.id, 'labels', { remove: 'claim' })
    assert.deepEqual((await conversationRow(w.context, conversation.id)).labels, [
      'renewal',
      'vip customer',
    ])
    const shown = await web.get(`${w.inbox}/${conversation.id}`)
    assert.include(shown.body, 'aria-label="Remove label renewal"')
    assert.include(shown.body, 'Labels saved.')

    const tooLong = await act(web, w, conversation.id, 'labels', { add: 'x'.repeat(41) })
    assert.equal(tooLong.status, 422)
    assert.include(tooLong.body, 'Up to 20 labels, each at most 40 characters.')
    assert.include(tooLong.body, `value="${'x'.repeat(41)}"`)
    const many = Array.from({ length: 19 }, (_, index) => `l${index}`).join(',')
    const tooMany = await act(web, w, conversation.id, 'labels', { add: many })
    assert.equal(tooMany.status, 422)
    assert.include(tooMany.body, 'id="labels-error"')
    assert.deepEqual((await conversationRow(w.context, conversation.id)).labels, [
      'renewal',
      'vip customer',
    ])
    assert.deepEqual(
      events.map((event) => [event.name, event.data.changes]),
      [
        ['conversation:updated', ['labels']],
        ['conversation:updated', ['labels']],
      ]
    )
  })

  test('priority is set from the list of priorities; anything else is refused', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const events = recordEvents(cleanup)
    const { conversation } = await seed(w)
    const web = await signIn(await w.member('admin'))
    const set = await act(web, w, conversation.id, 'priority', { priority: 'high' })
    assert.equal(set.status, 302)
    assert.equal((await conversationRow(w.context, conversation.id)).priority, 'high')
    assert.include((await web.get(set.location!)).body, 'Priority set to High.')
    const refused = await act(web, w, conversation.id, 'priority', { priority: 'critical' })
    assert.equal(refused.status, 422)
    assert.include(refused.body, 'Choose one of the priorities.')
    assert.equal((await conversationRow(w.context, conversation.id)).priority, 'high')
    assert.deepEqual(
      events.map((event) => [event.name, event.data.changes]),
      [['conversation:updated', ['priority']]]
    )
  })

  test('viewers see the conversation but no action forms; every action answers 403', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const agent = await w.member('agent')
    const { conversation } = await seed(w, {
      assigneeId: agent.id,
      labels: ['claim'],
      messages: [{ body: 'Viewer can read this' }],
    })
    const viewer = await signIn(await w.member('viewer'))
    const page = await viewer.get(`${w.inbox}/${conversation.id}`)
    assert.equal(page.status, 200)
    assert.include(page.body, 'Viewer can read this')
    assert.include(page.body, 'data-read-only')
    assert.notInclude(page.body, `action="${w.inbox}/${conversation.id}/`)
    for (const [action, fields] of [
      ['assign', { assignee: '' }],
      ['resolve', {}],
      ['reopen', {}],
      ['pending', {}],
      ['snooze', { until: '1h' }],
      ['labels', { remove: 'claim' }],
      ['priority', { priority: 'urgent' }],
    ] as const) {
      const refused = await viewer.post(`${w.inbox}/${conversation.id}/${action}`, fields)
      assert.equal(refused.status, 403, action)
    }
    const row = await conversationRow(w.context, conversation.id)
    assert.equal(row.status, 'open')
    assert.equal(row.assigneeId, agent.id)
    assert.deepEqual(row.labels, ['claim'])
    assert.equal(row.priority, 'none')
  })
})

test.group('Inbox: snoozed conversations wake up', (group) => {
  useWorkers(group, ['default', 'inbound'])

  test('the wake-up job reopens a due conversation, once, and leaves changed ones alone', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const events = recordEvents(cleanup)
    const due = await seed(w, { status: 'snoozed' })
    const notYet = await seed(w, { status: 'snoozed' })
    const reopened = await seed(w, { status: 'open' })
    await w.context.transaction((trx) =>
      trx
        .from('conversations')
        .where('id', due.conversation.id)
        .update({ snoozed_until: DateTime.now().minus({ minutes: 1 }).toJSDate() })
    )
    const run = (conversationId: string) =>
      new WakeSnoozedJob().handle({ tenant: w.tenant.slug, conversationId })

    await run(due.conversation.id)
    const woken = await conversationRow(w.context, due.conversation.id)
    assert.equal(woken.status, 'open')
    assert.isNull(woken.snoozedUntil)
    await run(due.conversation.id)
    await run(notYet.conversation.id)
    await run(reopened.conversation.id)
    assert.equal((await conversationRow(w.context, notYet.conversation.id)).status, 'snoozed')
    assert.equal((await conversationRow(w.context, reopened.conversation.id)).status, 'open')
    assert.deepEqual(
      events.map((event) => [event.data.conversationId, event.data.changes, event.data.byUserId]),
      [[due.conversation.id, ['status', 'snooze'], null]]
    )
  })

  test('a snooze whose time comes is woken by the queue', async ({ assert, cleanup }) => {
    const w = await inboxWorkspace(cleanup)
    const { conversation } = await seed(w, { status: 'snoozed' })
    const at = DateTime.now().plus({ milliseconds: 600 })
    await w.context.transaction((trx) =>
      trx
        .from('conversations')
        .where('id', conversation.id)
        .update({ snoozed_until: at.toJSDate() })
    )
    await scheduleWakeUp(w.context, conversation.id, at)
    const woken = await waitFor(async () => {
      const row = await conversationRow(w.context, conversation.id)
      return row.status === 'open' ? row : null
    }, 15_000)
    assert.isNull(woken.snoozedUntil)
  })

  test('a customer writing to a snoozed conversation reopens it at once', async ({
    assert,
    cleanup,
  }) => {
    const w = await inboxWorkspace(cleanup)
    const from = waId()
    await postWebhook(webhook(w, { messages: [messages.text({ from })] }), w.appSecret)
    const conversationId = await waitFor(async () => {
      const rows = await w.context.transaction((trx) => trx.from('conversations').select('id'))
      return rows[0]?.id as string | undefined
    })
    const web = await signIn(await w.member('agent'))
    await act(web, w, conversationId, 'snooze', { until: 'next_week' })
    assert.equal((await conversationRow(w.context, conversationId)).status, 'snoozed')
    await postWebhook(
      webhook(w, { messages: [messages.text({ from, timestamp: unix() }, 'Still there?')] }),
      w.appSecret
    )
    const row = await waitFor(async () => {
      const found = await conversationRow(w.context, conversationId)
      return found.status === 'open' ? found : null
    })
    assert.isNull(row.snoozedUntil)
    assert.equal(row.unreadCount, 1)
  })
})

test.group('Inbox: tenant isolation', () => {
  test("another workspace's member gets 404 for this workspace's conversation on every inbox route", async ({
    assert,
    cleanup,
  }) => {
    const a = await inboxWorkspace(cleanup, 'iso-ia')
    const b = await inboxWorkspace(cleanup, 'iso-ib')
    const theirs = await seed(b, {
      name: 'Theirs',
      labels: ['secret'],
      messages: [{ body: 'confidential words' }],
    })
    const mine = await seed(a, { name: 'Mine', messages: [{ body: 'ordinary words' }] })
    const owner = await a.member('owner')
    const web = await signIn(owner)
    await web.get(a.inbox)

    const actions: Array<[string, Record<string, string>]> = [
      ['assign', { assignee: owner.id }],
      ['resolve', {}],
      ['reopen', {}],
      ['pending', {}],
      ['snooze', { until: '1h' }],
      ['labels', { add: 'stolen' }],
      ['priority', { priority: 'urgent' }],
    ]
    // Through A's own URLs: B's conversation does not exist here.
    const viaA = `${a.inbox}/${theirs.conversation.id}`
    assert.equal((await web.get(viaA)).status, 404)
    assert.equal((await htmxGet(web, viaA, 'inbox-thread')).status, 404)
    for (const [action, fields] of actions) {
      assert.equal((await web.post(`${viaA}/${action}`, fields)).status, 404, `A ${action}`)
    }
    // Through B's URLs: A's owner is not a member there.
    const viaB = `${b.inbox}/${theirs.conversation.id}`
    assert.equal((await web.get(b.inbox)).status, 404)
    assert.equal((await web.get(viaB)).status, 404)
    for (const [action, fields] of actions) {
      assert.equal((await web.post(`${viaB}/${action}`, fields)).status, 404, `B ${action}`)
    }

    // The list and its search never show B's conversations.
    const listed = async (query: string) => {
      const page = await web.get(`${a.inbox}${query}`)
      assert.equal(page.status, 200, query)
      return rowIds(page.body)
    }
    assert.deepEqual(await listed('?status=all'), [mine.conversation.id])
    assert.deepEqual(await listed('?status=all&q=confidential'), [])
    assert.deepEqual(await listed('?status=all&q=words'), [mine.conversation.id])
    assert.deepEqual(await listed('?status=all&label=secret'), [])
    const row = await conversationRow(b.context, theirs.conversation.id)
    assert.equal(row.status, 'open')
    assert.isNull(row.assigneeId)
    assert.deepEqual(row.labels, ['secret'])
    assert.equal(row.priority, 'none')
  })
})
