import { test } from '@japa/runner'
import { randomBytes, randomUUID } from 'node:crypto'
import emitter from '@adonisjs/core/services/emitter'
import encryption from '@adonisjs/core/services/encryption'
import env from '#start/env'
import { Plan } from '#modules/billing/index'
import {
  Channel,
  addWebchatChannel,
  addWhatsAppChannel,
  queueOutboundMessage,
  setChannelStatus,
  type MessageReceivedEvent,
  type MessageStatusEvent,
} from '#modules/channels/index'
import { Tenant, systemActor, type TenantContext } from '#modules/tenancy/index'
import type { WorkerPool } from '#app/queue/worker_pool'
import { makeTenant, makeWorkspace, withoutPlan } from '#tests/helpers/tenants'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { startInboundWorkers, waitFor } from '#tests/helpers/whatsapp'
import { WebSession } from '#tests/helpers/web_session'
import { signIn } from '#tests/functional/workspace/member_browser'
import { setTrustedProxies } from '#tests/helpers/proxies'

/*
| Web chat end to end over real HTTP: the channel pages, the widget's
| endpoints with no cookies, the same inbound pipeline as WhatsApp (real
| inbound workers on Redis), replies over server-sent events, and the walls
| between tenants.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

function url(path: string) {
  return `${WebSession.baseUrl()}${path}`
}

let visitorOctet = 1

/** A visitor's browser: its own address (sessions are limited per address). */
function visitorIp() {
  visitorOctet = (visitorOctet % 250) + 1
  return `198.51.${randomBytes(1)[0]}.${visitorOctet}`
}

async function call(
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; ip?: string; origin?: string } = {}
) {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (options.origin) headers.origin = options.origin
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.ip) headers['x-forwarded-for'] = options.ip
  const response = await fetch(url(path), {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  })
  const text = await response.text()
  let json: any = null
  try {
    json = JSON.parse(text)
  } catch {}
  return { status: response.status, json, text, headers: response.headers }
}

async function webchatTenant(cleanup: Cleanup, settings: Record<string, unknown> = {}) {
  const made = await makeTenant('wc')
  cleanup(made.cleanup)
  // Some tests add a second channel; the plan's channel limit is billing's test.
  await withoutPlan(made.tenant)
  const channel = await addWebchatChannel(
    made.tenant,
    { name: 'Website chat', ...settings },
    systemActor
  )
  return { ...made, channel, api: `/webchat/${channel.id}` }
}

async function newVisitor(api: string, body: Record<string, unknown> = {}) {
  const started = await call('POST', `${api}/sessions`, { body, ip: visitorIp() })
  if (started.status !== 201) throw new Error(`session refused: ${started.status} ${started.text}`)
  return started.json.visitorToken as string
}

function say(api: string, token: string, text: string, clientId = randomUUID()) {
  return call('POST', `${api}/messages`, { token, body: { text, clientId } })
}

/** The address of a visitor's live stream, with a fresh ticket. */
async function streamPath(api: string, token: string) {
  const issued = await call('POST', `${api}/stream-tickets`, { token })
  if (issued.status !== 201) throw new Error(`ticket refused: ${issued.status} ${issued.text}`)
  return `${api}/stream?ticket=${encodeURIComponent(issued.json.ticket)}`
}

function rows(context: TenantContext, sql: string, bindings: any[] = []) {
  return context.transaction(async (trx) => (await trx.rawQuery(sql, bindings)).rows as any[])
}

interface SseEvent {
  event: string
  data: any
}

/** Opens a visitor's live stream and collects its events. */
async function openStream(path: string) {
  const controller = new AbortController()
  const response = await fetch(url(path), {
    headers: { accept: 'text/event-stream' },
    signal: controller.signal,
  })
  const events: SseEvent[] = []
  const pump = (async () => {
    if (!response.headers.get('content-type')?.startsWith('text/event-stream')) return
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        buffer += decoder.decode(value, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const name = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (name && data !== undefined) events.push({ event: name, data: JSON.parse(data) })
        }
      }
    } catch {
      // aborted
    }
  })()
  return {
    response,
    events,
    until: (check: (all: SseEvent[]) => boolean, ms = 8_000) =>
      waitFor(async () => check(events), ms),
    close: async () => {
      controller.abort()
      await pump
    },
  }
}

/** Collects `message:received` for one tenant. */
function listenReceived(tenantSlug: string) {
  const received: MessageReceivedEvent[] = []
  const handler = (event: MessageReceivedEvent) => {
    if (event.tenant === tenantSlug) received.push(event)
  }
  emitter.on('message:received', handler)
  return { received, stop: () => emitter.off('message:received', handler) }
}

test.group('Web chat: the channel in the workspace', () => {
  test('an owner adds a web chat channel and its page shows the code to paste', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'wcp')
    const channels = `${w.base}/channels`
    const web = await signIn(await w.member('owner'))
    const list = await web.get(channels)
    assert.include(list.body, `action="${channels}/webchat"`)

    const added = await web.submit(channels, `${channels}/webchat`, {
      webchat_name: 'Site chat',
      welcome_en: 'Hello! Ask us about flats in Dubai Marina.',
      welcome_ar: 'مرحبًا! اسألنا عن الشقق في دبي مارينا.',
      allowed_origins: 'https://www.example.com/\nhttps://*.example.org, https://www.example.com',
      brand_color: '#AA3300',
    })
    assert.equal(added.status, 302)
    const [channel] = await Channel.query().where('tenant_id', w.tenant.id)
    assert.equal(added.location, `${channels}/${channel.id}`)
    assert.equal(channel.type, 'webchat')
    assert.equal(channel.name, 'Site chat')
    assert.deepEqual(channel.settings.allowedOrigins, [
      'https://www.example.com',
      'https://*.example.org',
    ])
    assert.equal(channel.settings.brandColor, '#aa3300')
    assert.deepEqual(channel.settings.welcomeMessage, {
      en: 'Hello! Ask us about flats in Dubai Marina.',
      ar: 'مرحبًا! اسألنا عن الشقق في دبي مارينا.',
    })

    const page = await web.get(added.location!)
    assert.equal(page.status, 200)
    // The platform's public address (APP_URL), where sites load the widget from.
    const platform = env.get('APP_URL')?.replace(/\/+$/, '') ?? WebSession.baseUrl()
    assert.include(page.body, 'Site chat is ready. Paste the code below into your website.')
    assert.include(page.body, 'data-copy-target="embed-snippet"')
    assert.include(
      page.body,
      `&lt;script src=&quot;${platform}/webchat/widget.js&quot; data-channel=&quot;${channel.id}&quot; async&gt;&lt;/script&gt;`
    )
    assert.include(page.body, 'https://*.example.org')

    // Editing from the same page.
    const saved = await web.submit(added.location!, added.location!, {
      name: 'Website',
      welcome_en: '',
      welcome_ar: 'أهلًا',
      allowed_origins: '',
      brand_color: '',
    })
    assert.equal(saved.location, added.location)
    await channel.refresh()
    assert.equal(channel.name, 'Website')
    assert.deepEqual(channel.settings.welcomeMessage, { ar: 'أهلًا' })
    assert.notProperty(channel.settings, 'allowedOrigins')
    assert.notProperty(channel.settings, 'brandColor')
    assert.include((await web.get(added.location!)).body, 'Any website')
  })

  test('a form with mistakes comes back with the messages and what was typed', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'wcp')
    const channels = `${w.base}/channels`
    const web = await signIn(await w.member('admin'))
    const refused = await web.submit(channels, `${channels}/webchat`, {
      webchat_name: '',
      welcome_en: 'Keep me',
      allowed_origins: 'https://ok.example.com\nexample.com/path',
      brand_color: 'teal',
    })
    assert.equal(refused.status, 302)
    assert.equal(refused.location, `${channels}#add-webchat`)
    assert.lengthOf(await Channel.query().where('tenant_id', w.tenant.id), 0)
    const page = await web.get(channels)
    assert.include(page.body, 'Fill in this field.')
    assert.include(page.body, '&quot;example.com/path&quot; is not a website address.')
    assert.include(page.body, 'Enter a colour such as #0f766e.')
    assert.include(page.body, 'Keep me')
    assert.include(page.body, 'value="teal"')

    // The edit form too.
    const channel = await addWebchatChannel(w.tenant, { name: 'Chat' }, systemActor)
    const show = `${channels}/${channel.id}`
    const bad = await web.submit(show, show, { name: 'Chat', brand_color: '#12345' })
    assert.equal(bad.location, `${show}#settings`)
    assert.include((await web.get(show)).body, 'Enter a colour such as #0f766e.')
  })

  test('web chat counts against the plan like a WhatsApp number', async ({ assert, cleanup }) => {
    const w = await makeWorkspace(cleanup, 'wcp')
    const plan = await Plan.create({
      slug: `one-${randomBytes(3).toString('hex')}`,
      name: 'One line',
      maxChannels: 1,
      isDefault: false,
    })
    await Tenant.query().where('id', w.tenant.id).update({ planId: plan.id })
    cleanup(async () => {
      await Tenant.query().where('plan_id', plan.id).update({ planId: null })
      await plan.delete()
    })
    const channels = `${w.base}/channels`
    const web = await signIn(await w.member('owner'))
    const first = await web.submit(channels, `${channels}/webchat`, { webchat_name: 'Chat 1' })
    assert.match(first.location ?? '', /\/channels\/[0-9a-f-]{36}$/)
    const second = await web.submit(channels, `${channels}/webchat`, { webchat_name: 'Chat 2' })
    assert.equal(second.location, `${channels}#add-webchat`)
    const page = await web.get(channels)
    assert.include(page.body, 'Your plan allows 1 channel.')
    // At the limit the form is not offered again (nothing to retype).
    assert.notInclude(page.body, `action="${channels}/webchat"`)
    assert.lengthOf(await Channel.query().where('tenant_id', w.tenant.id), 1)
  })

  test("another workspace's members cannot see or change a web chat channel", async ({
    assert,
    cleanup,
  }) => {
    const a = await makeWorkspace(cleanup, 'wca')
    const b = await makeWorkspace(cleanup, 'wcb')
    const channel = await addWebchatChannel(
      a.tenant,
      { name: 'A chat', welcomeMessage: { en: 'A only' } },
      systemActor
    )
    const outsider = await signIn(await b.member('owner'))
    assert.equal((await outsider.get(`${a.base}/channels/${channel.id}`)).status, 404)
    assert.equal((await outsider.get(`${b.base}/channels/${channel.id}`)).status, 404)
    const change = await outsider.submit(`${b.base}/channels`, `${b.base}/channels/${channel.id}`, {
      name: 'Taken',
    })
    assert.equal(change.status, 404)
    await channel.refresh()
    assert.equal(channel.name, 'A chat')
    for (const role of ['agent', 'viewer'] as const) {
      const member = await signIn(await a.member(role))
      assert.equal((await member.get(`${a.base}/channels/${channel.id}`)).status, 403, role)
    }
  })
})

test.group('Web chat: the widget', (group) => {
  let pool: WorkerPool
  group.setup(async () => {
    pool = await startInboundWorkers()
    return () => pool.stop()
  })
  withDefaultQueueWorker(group)

  test('the loader script is served, cacheable, with one global', async ({ assert }) => {
    const response = await fetch(url('/webchat/widget.js'))
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type')!, /^text\/javascript/)
    assert.equal(response.headers.get('cache-control'), 'public, max-age=300')
    assert.equal(response.headers.get('cross-origin-resource-policy'), 'cross-origin')
    const body = await response.text()
    assert.include(body, 'window.FloMastrWebChat = {')
    assert.include(body, "'/frame?locale='")
    const again = await fetch(url('/webchat/widget.js'), {
      headers: { 'if-none-match': response.headers.get('etag')! },
    })
    assert.equal(again.status, 304)
  })

  test("the frame wears the workspace's name, colour and logo, speaks Arabic right to left, and names who may frame it", async ({
    assert,
    cleanup,
  }) => {
    const { tenant, channel, api } = await webchatTenant(cleanup, {
      allowedOrigins: ['https://www.example.com', 'https://*.example.org'],
      welcomeMessage: { en: 'Welcome to Marina Homes', ar: 'أهلًا بك في مارينا هومز' },
    })
    await Tenant.query().where('id', tenant.id).update({
      displayName: 'Marina Homes',
      primaryColor: '#aa3300',
      logoMime: 'image/png',
      logoUpdatedAt: new Date(),
    })

    const en = await fetch(url(`${api}/frame?locale=en`))
    assert.equal(en.status, 200)
    const csp = en.headers.get('content-security-policy')!
    assert.include(csp, "script-src 'self'")
    assert.include(csp, "style-src 'self'")
    assert.include(csp, 'frame-ancestors https://www.example.com https://*.example.org')
    assert.isNull(en.headers.get('x-frame-options'))
    assert.isNull(en.headers.get('set-cookie'))
    const html = await en.text()
    assert.include(html, '<html lang="en" dir="ltr">')
    assert.include(html, 'Marina Homes')
    assert.include(html, 'Welcome to Marina Homes')
    assert.include(html, `src="${api}/logo?v=`)
    for (const tag of html.match(/<script\b[^>]*>/g)!) {
      assert.match(tag, /\bsrc="|type="application\/json"/, 'no inline script')
    }
    assert.notInclude(html, 'style="')
    const themeHref = html.match(/href="([^"]*theme\.css[^"]*)"/)![1]
    const theme = await (await fetch(url(themeHref))).text()
    assert.include(theme, '--brand: #aa3300')

    const ar = await (await fetch(url(`${api}/frame?locale=ar`))).text()
    assert.include(ar, '<html lang="ar" dir="rtl">')
    assert.include(ar, 'أهلًا بك في مارينا هومز')
    assert.include(ar, 'اكتب رسالة')

    // The channel's own colour wins; with no allowed origins any site may frame it.
    await addWebchatChannel(tenant, { name: 'Plain' }, systemActor)
    const plain = await Channel.query()
      .where('tenant_id', tenant.id)
      .where('name', 'Plain')
      .firstOrFail()
    const open = await fetch(url(`/webchat/${plain.id}/frame`))
    assert.include(open.headers.get('content-security-policy')!, 'frame-ancestors *')
    channel.settings = { ...channel.settings, brandColor: '#112233' }
    await channel.save()
    const html2 = await (await fetch(url(`${api}/frame`))).text()
    const href2 = html2.match(/href="([^"]*theme\.css[^"]*)"/)![1]
    assert.include(await (await fetch(url(href2))).text(), '--brand: #112233')
  })

  test('unknown and disabled channels answer with codes, and their frame tells the loader to hide', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel, api } = await webchatTenant(cleanup)
    const unknown = `/webchat/${randomUUID()}`
    const missing = await call('POST', `${unknown}/sessions`, { body: {} })
    assert.equal(missing.status, 404)
    assert.equal(missing.json.error.code, 'unknown_channel')
    const missingFrame = await fetch(url(`${unknown}/frame`))
    assert.equal(missingFrame.status, 404)
    assert.include(await missingFrame.text(), 'data-unavailable')
    assert.equal((await call('GET', '/webchat/not-a-uuid/messages')).status, 404)

    const token = await newVisitor(api)
    await setChannelStatus(tenant, channel.id, 'disabled', systemActor)
    const session = await call('POST', `${api}/sessions`, { body: {}, ip: visitorIp() })
    assert.equal(session.status, 403)
    assert.equal(session.json.error.code, 'channel_disabled')
    const message = await say(api, token, 'Anyone there?')
    assert.equal(message.status, 403)
    assert.equal(message.json.error.code, 'channel_disabled')
    const frame = await fetch(url(`${api}/frame`))
    assert.equal(frame.status, 403)
    assert.include(await frame.text(), 'data-unavailable')
    const [{ total }] = await rows(context, `select count(*)::int as total from messages`)
    assert.equal(total, 0)
  })

  test('a visitor message becomes a contact, a conversation and a message, handed on in order', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel, api } = await webchatTenant(cleanup)
    const events = listenReceived(tenant.slug)
    cleanup(events.stop)
    const created: string[] = []
    const onContact = (e: { tenant: string; contactId: string; source: string }) => {
      if (e.tenant === tenant.slug) created.push(e.source)
    }
    emitter.on('contact:created', onContact)
    cleanup(() => emitter.off('contact:created', onContact))

    const started = await call('POST', `${api}/sessions`, {
      body: { name: 'Layla', email: 'Layla@Example.com' },
      ip: visitorIp(),
    })
    assert.equal(started.status, 201)
    assert.match(started.json.visitorToken, /^wcv_[A-Za-z0-9_-]{32}$/)
    assert.isNull(started.json.conversationId)
    const token = started.json.visitorToken
    // Only a hash is stored.
    const [visitor] = await rows(context, `select * from webchat_visitors`)
    assert.notEqual(visitor.token_hash, token)
    assert.notInclude(JSON.stringify(visitor), token)

    const texts = ['Hi', 'Is the flat on Elm Street free?', 'For two people']
    const answers = []
    for (const text of texts) answers.push(await say(api, token, text))
    for (const answer of answers) assert.equal(answer.status, 201)
    const conversationId = answers[0].json.conversationId
    assert.isTrue(answers.every((a) => a.json.conversationId === conversationId))
    assert.equal(answers[1].json.message.from, 'visitor')
    assert.equal(answers[1].json.message.text, texts[1])

    const [contact] = await rows(context, `select * from contacts`)
    assert.equal(contact.source, 'webchat')
    assert.isNull(contact.phone)
    assert.equal(contact.profile_name, 'Layla')
    assert.equal(contact.email, 'layla@example.com')
    const conversations = await rows(context, `select * from conversations`)
    assert.lengthOf(conversations, 1)
    assert.equal(conversations[0].channel_id, channel.id)
    assert.equal(conversations[0].unread_count, 3)
    assert.isNotNull(conversations[0].last_customer_message_at)
    const stored = await rows(context, `select * from messages order by seq`)
    assert.deepEqual(
      stored.map((m) => [m.direction, m.type, m.body, m.status, m.author_type]),
      texts.map((text) => ['inbound', 'text', text, 'received', 'contact'])
    )

    await waitFor(async () => events.received.length >= 3)
    assert.deepEqual(
      events.received.map((e) => e.messageId),
      stored.map((m) => m.id)
    )
    assert.isTrue(events.received.every((e) => e.channelId === channel.id))
    assert.deepEqual(created, ['webchat'])
    await waitFor(async () => {
      const left = await rows(context, `select id from messages where processed_at is null`)
      return left.length === 0
    })
  })

  test('after the team resolves a conversation, the next message opens a new one and the history spans both', async ({
    assert,
    cleanup,
  }) => {
    const { context, api } = await webchatTenant(cleanup)
    const token = await newVisitor(api)
    const first = await say(api, token, 'First question')
    await rows(context, `update conversations set status = 'resolved', resolved_at = now()`)
    const second = await say(api, token, 'Another question, a week later')
    assert.notEqual(second.json.conversationId, first.json.conversationId)
    const history = await call('GET', `${api}/messages`, { token })
    assert.deepEqual(
      history.json.data.map((m: any) => m.text),
      ['First question', 'Another question, a week later']
    )
    // The stream follows the conversation in progress.
    assert.equal(history.json.conversationId, second.json.conversationId)
    const stream = await openStream(await streamPath(api, token))
    cleanup(stream.close)
    assert.equal(stream.response.headers.get('x-conversation-id'), second.json.conversationId)
  })

  test('the same client id twice is stored once', async ({ assert, cleanup }) => {
    const { context, api } = await webchatTenant(cleanup)
    const token = await newVisitor(api)
    const clientId = randomUUID()
    const first = await say(api, token, 'Only once please', clientId)
    const second = await say(api, token, 'Only once please', clientId)
    assert.equal(first.status, 201)
    assert.equal(second.status, 200)
    assert.equal(second.json.message.id, first.json.message.id)
    assert.equal(second.json.message.clientId, clientId)
    const stored = await rows(context, `select id from messages`)
    assert.lengthOf(stored, 1)
    // Another visitor may use the same client id: ids are the visitor's own.
    const other = await newVisitor(api)
    assert.equal((await say(api, other, 'Me too', clientId)).status, 201)
  })

  test("bad input is refused with fields; a bad token is 401; the visitor's rate is limited", async ({
    assert,
    cleanup,
  }) => {
    const { api } = await webchatTenant(cleanup)
    const token = await newVisitor(api)

    for (const bad of [null, 'nonsense', `wcv_${'A'.repeat(32)}`]) {
      const refused = await call('POST', `${api}/messages`, {
        token: bad,
        body: { text: 'hi', clientId: randomUUID() },
      })
      assert.equal(refused.status, 401, String(bad))
      assert.equal(refused.json.error.code, 'invalid_token')
    }
    assert.equal((await call('GET', `${api}/messages`, { token: 'nonsense' })).status, 401)
    // The stream opens with a ticket only: never with the token in the address.
    for (const query of ['ticket=nonsense', `token=${token}`, '']) {
      const refused = await call('GET', `${api}/stream?${query}`)
      assert.equal(refused.status, 401, query)
      assert.equal(refused.json.error.code, 'invalid_ticket')
    }
    assert.equal((await call('POST', `${api}/stream-tickets`, { token: 'nonsense' })).status, 401)

    const invalid = await call('POST', `${api}/messages`, {
      token,
      body: { text: 'x'.repeat(4097), clientId: 'no' },
    })
    assert.equal(invalid.status, 422)
    assert.equal(invalid.json.error.code, 'validation_failed')
    assert.properties(invalid.json.error.fields, ['text', 'clientId'])
    const blank = await say(api, token, '   ')
    assert.equal(blank.status, 422)
    const badCursor = await call('GET', `${api}/messages?after=abc`, { token })
    assert.equal(badCursor.status, 422)
    assert.equal(badCursor.json.error.code, 'invalid_cursor')
    // The token also works in the body, for clients that cannot set headers.
    const inBody = await call('POST', `${api}/messages`, {
      body: { text: 'From the body', clientId: randomUUID(), visitorToken: token },
    })
    assert.equal(inBody.status, 201)

    // 20 a minute, the one sent above included (refused input never got that far).
    const results: number[] = []
    for (let i = 0; i < 20; i++) results.push((await say(api, token, `Message ${i}`)).status)
    const limited = await say(api, token, 'One too many')
    assert.equal(limited.status, 429)
    assert.equal(limited.json.error.code, 'rate_limited')
    assert.isAbove(Number(limited.headers.get('retry-after')), 0)
    assert.include(results, 429)
    // Another visitor is not slowed down.
    assert.equal((await say(api, await newVisitor(api), 'Hello')).status, 201)
  })

  test("an agent's reply reaches the visitor's live stream; the history never shows notes", async ({
    assert,
    cleanup,
  }) => {
    const { context, api } = await webchatTenant(cleanup)
    const token = await newVisitor(api)
    const first = await say(api, token, 'Do you have parking?')
    const conversationId = first.json.conversationId

    const stream = await openStream(await streamPath(api, token))
    cleanup(stream.close)
    assert.equal(stream.response.status, 200)
    assert.equal(stream.response.headers.get('x-conversation-id'), conversationId)
    await stream.until((all) => all.some((e) => e.event === 'ready'))

    const reply = await queueOutboundMessage(context, {
      conversationId,
      content: { type: 'text', text: 'Yes, two spaces per flat.' },
      authorType: 'agent',
    })
    await stream.until((all) =>
      all.some((e) => e.event === 'webchat' && e.data.messageId === reply.id)
    )
    const notice = stream.events.find((e) => e.event === 'webchat')!.data
    assert.notProperty(notice, 'body', 'a notice names the message; the widget fetches it')

    // The send job marks it sent without WhatsApp.
    const sent = await waitFor(async () => {
      const [row] = await rows(context, `select status, external_id from messages where id = ?`, [
        reply.id,
      ])
      return row.status === 'sent' ? row : null
    })
    assert.match(sent.external_id, /^webchat\./)

    // A note, a failed message and another visitor's messages stay out of the history.
    const [conversation] = await rows(context, `select * from conversations where id = ?`, [
      conversationId,
    ])
    await rows(
      context,
      `insert into messages (conversation_id, contact_id, channel_id, direction, type, body, status,
          author_type, is_note)
        values (?, ?, ?, 'outbound', 'text', 'Internal: VIP customer', 'sent', 'agent', true),
               (?, ?, ?, 'outbound', 'text', 'Never arrived', 'failed', 'agent', false)`,
      [
        conversationId,
        conversation.contact_id,
        conversation.channel_id,
        conversationId,
        conversation.contact_id,
        conversation.channel_id,
      ]
    )
    await say(api, await newVisitor(api), 'Someone else entirely')

    const history = await call('GET', `${api}/messages`, { token })
    assert.equal(history.status, 200)
    assert.deepEqual(
      history.json.data.map((m: any) => [m.from, m.text]),
      [
        ['visitor', 'Do you have parking?'],
        ['agent', 'Yes, two spaces per flat.'],
      ]
    )
    assert.equal(history.json.conversationId, conversationId)
    const after = await call('GET', `${api}/messages?after=${history.json.cursor}`, { token })
    assert.deepEqual(after.json.data, [])
    assert.equal(after.json.cursor, history.json.cursor)
    const fromFirst = await call('GET', `${api}/messages?after=${history.json.data[0].cursor}`, {
      token,
    })
    assert.deepEqual(
      fromFirst.json.data.map((m: any) => m.text),
      ['Yes, two spaces per flat.']
    )
  })

  test("a stream ticket opens only its visitor's stream, and only for a while", async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, api } = await webchatTenant(cleanup)
    const started = await call('POST', `${api}/sessions`, { body: {}, ip: visitorIp() })
    const { visitorToken: token, visitorId } = started.json
    const reply = await say(api, token, 'Is anyone there?')

    const issued = await call('POST', `${api}/stream-tickets`, { token })
    assert.equal(issued.status, 201)
    assert.notInclude(issued.json.ticket, token)
    const lifetime = Date.parse(issued.json.expiresAt) - Date.now()
    assert.isAbove(lifetime, 9 * 60_000)
    assert.isAtMost(lifetime, 10 * 60_000)
    const stream = await openStream(
      `${api}/stream?ticket=${encodeURIComponent(issued.json.ticket)}`
    )
    cleanup(stream.close)
    assert.equal(stream.response.headers.get('x-conversation-id'), reply.json.conversationId)

    // Expired, or sealed for another purpose (any other encrypted value), it opens nothing.
    const expired = encryption.encrypt({ visitorId, channelId: channel.id }, '1s', 'webchat-stream')
    const otherPurpose = encryption.encrypt({ visitorId, channelId: channel.id })
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    for (const ticket of [expired, otherPurpose]) {
      const refused = await call('GET', `${api}/stream?ticket=${encodeURIComponent(ticket)}`)
      assert.equal(refused.status, 401)
    }

    // A visitor removed since (the contact deleted) is not let in by an old ticket.
    const later = await call('POST', `${api}/stream-tickets`, { token })
    await rows(context, `delete from webchat_visitors where id = ?`, [visitorId])
    const gone = await call('GET', `${api}/stream?ticket=${encodeURIComponent(later.json.ticket)}`)
    assert.equal(gone.status, 401)
  })

  test("the visitor's widget turns the team's ticks to delivered, then read; never back", async ({
    assert,
    cleanup,
  }) => {
    const { context, tenant, api } = await webchatTenant(cleanup)
    const token = await newVisitor(api)
    const other = await newVisitor(api)
    const first = await say(api, token, 'When are you open?')
    const theirs = await say(api, other, 'Me too')
    const conversationId = first.json.conversationId
    const heard: MessageStatusEvent[] = []
    const listener = (event: MessageStatusEvent) => {
      if (event.tenantId === tenant.id) heard.push(event)
    }
    emitter.on('message:status', listener)
    cleanup(() => emitter.off('message:status', listener))

    const replies: Array<{ id: string }> = []
    for (const text of ['Nine to five.', 'Saturdays too.']) {
      replies.push(
        await queueOutboundMessage(context, {
          conversationId,
          content: { type: 'text', text },
          authorType: 'agent',
        })
      )
    }
    const toOther = await queueOutboundMessage(context, {
      conversationId: theirs.json.conversationId,
      content: { type: 'text', text: 'For the other visitor' },
      authorType: 'agent',
    })
    const statusOf = async (id: string) =>
      (
        await rows(context, `select status, delivered_at, read_at from messages where id = ?`, [id])
      )[0]
    await waitFor(async () => {
      for (const { id } of [...replies, toOther]) {
        if ((await statusOf(id)).status !== 'sent') return false
      }
      return true
    })
    const history = await call('GET', `${api}/messages`, { token })
    const [firstReply, secondReply] = history.json.data.filter((m: any) => m.from === 'agent')

    // The page showed the first reply while the chat was closed.
    const delivered = await call('POST', `${api}/receipts`, {
      token,
      body: { status: 'delivered', upTo: firstReply.cursor },
    })
    assert.equal(delivered.status, 200)
    assert.deepEqual(delivered.json, { updated: 1 })
    assert.equal((await statusOf(replies[0].id)).status, 'delivered')
    assert.equal((await statusOf(replies[1].id)).status, 'sent')

    // Then the visitor opened it and saw both.
    const read = await call('POST', `${api}/receipts`, {
      token,
      body: { status: 'read', upTo: secondReply.cursor },
    })
    assert.deepEqual(read.json, { updated: 2 })
    for (const { id } of replies) {
      const row = await statusOf(id)
      assert.equal(row.status, 'read')
      assert.isNotNull(row.delivered_at)
      assert.isNotNull(row.read_at)
    }
    assert.deepEqual(
      heard
        .filter((event) => event.status === 'delivered' || event.status === 'read')
        .map((event) => [event.messageId, event.status]),
      [
        [replies[0].id, 'delivered'],
        [replies[0].id, 'read'],
        [replies[1].id, 'read'],
      ]
    )

    // Late or repeated receipts change nothing; another visitor's messages are not theirs to mark.
    const again = await call('POST', `${api}/receipts`, {
      token,
      body: { status: 'delivered', upTo: secondReply.cursor },
    })
    assert.deepEqual(again.json, { updated: 0 })
    assert.equal((await statusOf(replies[1].id)).status, 'read')
    await call('POST', `${api}/receipts`, { token, body: { status: 'read', upTo: '999999999' } })
    assert.equal((await statusOf(toOther.id)).status, 'sent')

    const invalid = await call('POST', `${api}/receipts`, {
      token,
      body: { status: 'seen', upTo: 'last' },
    })
    assert.equal(invalid.status, 422)
    assert.properties(invalid.json.error.fields, ['status', 'upTo'])
    const stranger = await call('POST', `${api}/receipts`, {
      token: 'nonsense',
      body: { status: 'read', upTo: secondReply.cursor },
    })
    assert.equal(stranger.status, 401)
  })

  test('buttons reach the widget as choices, a URL button as a link; templates and WhatsApp uploads are refused on web chat', async ({
    assert,
    cleanup,
  }) => {
    const { context, api } = await webchatTenant(cleanup)
    const token = await newVisitor(api)
    const { conversationId } = (await say(api, token, 'Book a viewing')).json
    await queueOutboundMessage(context, {
      conversationId,
      content: {
        type: 'buttons',
        body: 'Which day suits you?',
        buttons: [
          { id: 'sat', title: 'Saturday' },
          { id: 'sun', title: 'Sunday' },
        ],
      },
      authorType: 'agent',
    })
    await queueOutboundMessage(context, {
      conversationId,
      content: { type: 'image', link: 'https://cdn.example.com/flat.jpg', caption: 'Living room' },
      authorType: 'agent',
    })
    await queueOutboundMessage(context, {
      conversationId,
      content: {
        type: 'cta_url',
        body: 'The floor plan is online.',
        displayText: 'See the plan',
        url: 'https://example.com/plans/elm-street',
      },
      authorType: 'system',
    })
    const history = await call('GET', `${api}/messages`, { token })
    const [, buttons, image, link] = history.json.data
    // A URL button is a link button, not a choice.
    assert.equal(link.text, 'The floor plan is online.')
    assert.deepEqual(link.link, {
      title: 'See the plan',
      url: 'https://example.com/plans/elm-street',
    })
    assert.isNull(link.choices)
    assert.isNull(buttons.link)
    assert.equal(buttons.text, 'Which day suits you?')
    assert.deepEqual(buttons.choices, [
      { id: 'sat', title: 'Saturday' },
      { id: 'sun', title: 'Sunday' },
    ])
    assert.deepEqual(image.media, {
      type: 'image',
      link: 'https://cdn.example.com/flat.jpg',
      caption: 'Living room',
      filename: null,
    })
    const choice = await call('POST', `${api}/messages`, {
      token,
      body: { text: 'Saturday', clientId: randomUUID(), choiceId: 'sat' },
    })
    assert.equal(choice.status, 201)
    const [stored] = await rows(context, `select payload from messages where id = ?`, [
      choice.json.message.id,
    ])
    assert.equal(stored.payload.webchat.choiceId, 'sat')

    for (const content of [
      { type: 'template' as const, name: 'renewal', language: 'en' },
      { type: 'image' as const, mediaId: '1234567890' },
    ]) {
      const error = await queueOutboundMessage(context, {
        conversationId,
        content,
        authorType: 'agent',
      }).catch((e) => e)
      assert.equal(error.code, 'invalid_message', content.type)
    }
  })

  test("a visitor of one workspace cannot read or write another's chat", async ({
    assert,
    cleanup,
  }) => {
    const a = await webchatTenant(cleanup)
    const b = await webchatTenant(cleanup)
    const tokenA = await newVisitor(a.api)
    const tokenB = await newVisitor(b.api)
    const inA = await say(a.api, tokenA, 'Private to A')
    const inB = await say(b.api, tokenB, 'Private to B')
    assert.equal(inA.status, 201)
    assert.equal(inB.status, 201)

    // A's token on B's channel finds no visitor there.
    const write = await say(b.api, tokenA, 'Sneaking into B')
    assert.equal(write.status, 401)
    const read = await call('GET', `${b.api}/messages`, { token: tokenA })
    assert.equal(read.status, 401)
    assert.equal((await call('POST', `${b.api}/stream-tickets`, { token: tokenA })).status, 401)
    // A's ticket opens A's stream only, not B's.
    const ticketOfA = (await streamPath(a.api, tokenA)).split('?')[1]
    assert.equal((await call('GET', `${b.api}/stream?${ticketOfA}`)).status, 401)
    // Nor on a second channel of the same workspace.
    const second = await addWebchatChannel(a.tenant, { name: 'Second' }, systemActor)
    assert.equal((await say(`/webchat/${second.id}`, tokenA, 'Wrong door')).status, 401)

    const bMessages = await rows(b.context, `select body from messages order by seq`)
    assert.deepEqual(
      bMessages.map((m) => m.body),
      ['Private to B']
    )
    const history = await call('GET', `${a.api}/messages`, { token: tokenA })
    assert.deepEqual(
      history.json.data.map((m: any) => m.text),
      ['Private to A']
    )

    // B's stream never hears A's replies.
    const streamB = await openStream(await streamPath(b.api, tokenB))
    cleanup(streamB.close)
    await streamB.until((all) => all.some((e) => e.event === 'ready'))
    const streamA = await openStream(await streamPath(a.api, tokenA))
    cleanup(streamA.close)
    await streamA.until((all) => all.some((e) => e.event === 'ready'))
    await queueOutboundMessage(a.context, {
      conversationId: inA.json.conversationId,
      content: { type: 'text', text: 'For A only' },
      authorType: 'agent',
    })
    await streamA.until((all) => all.some((e) => e.event === 'webchat'))
    assert.isFalse(streamB.events.some((e) => e.event === 'webchat'))
  })

  test("a WhatsApp channel's id does not open a web chat", async ({ assert, cleanup }) => {
    const made = await makeTenant('wcwa')
    cleanup(made.cleanup)
    const channel = await addWhatsAppChannel(
      made.tenant,
      {
        phoneNumberId: `9${Date.now()}`,
        wabaId: '1',
        displayNumber: '+15550001111',
        accessToken: 'token-123456',
        appSecret: 'secret-123456',
        verifyToken: 'verify-123456',
      },
      systemActor
    )
    assert.equal(channel.type, 'whatsapp')
    const visitorApi = `/webchat/${channel.id}`
    const refused = await call('POST', `${visitorApi}/sessions`, { body: {} })
    assert.equal(refused.status, 404)
    assert.equal(refused.json.error.code, 'unknown_channel')
  })
})

test.group('Web chat: who may open a chat', () => {
  test('a channel that names its sites opens chats only from them and from its own frame; others get 403 origin_not_allowed', async ({
    assert,
    cleanup,
  }) => {
    const { api, context } = await webchatTenant(cleanup, {
      allowedOrigins: ['https://www.example.com', 'https://*.example.org'],
    })
    const open = (origin?: string) =>
      call('POST', `${api}/sessions`, { body: {}, ip: visitorIp(), origin })

    for (const origin of [
      'https://evil.example',
      'http://www.example.com',
      'https://www.example.com:8443',
      'https://example.org',
      'https://evilexample.org',
      'null',
      undefined,
    ]) {
      const refused = await open(origin)
      assert.equal(refused.status, 403, `${origin} is refused`)
      assert.equal(refused.json.error.code, 'origin_not_allowed')
      assert.isString(refused.json.error.message)
    }
    const [{ total }] = await rows(context, `select count(*)::int as total from webchat_visitors`)
    assert.equal(total, 0, 'a refused request creates no visitor')

    // The sites it names, a subdomain of the wildcard, and the platform's own frame.
    for (const origin of [
      'https://www.example.com',
      'https://shop.example.org',
      'https://a.b.example.org',
      new URL(WebSession.baseUrl()).origin,
    ]) {
      const opened = await open(origin)
      assert.equal(opened.status, 201, `${origin} is allowed`)
      assert.match(opened.json.visitorToken, /^wcv_/)
    }
  })

  test('a channel that names no sites opens chats from any site', async ({ assert, cleanup }) => {
    const { api } = await webchatTenant(cleanup)
    const opened = await call('POST', `${api}/sessions`, {
      body: {},
      ip: visitorIp(),
      origin: 'https://anywhere.example',
    })
    assert.equal(opened.status, 201)
  })

  test('thirty new chats per address in ten minutes; behind a trusted proxy each visitor counts apart', async ({
    assert,
    cleanup,
  }) => {
    cleanup(setTrustedProxies('127.0.0.1'))
    const { api } = await webchatTenant(cleanup)
    const from = (ip: string) => call('POST', `${api}/sessions`, { body: {}, ip })
    for (let i = 0; i < 30; i++) assert.equal((await from('203.0.113.77')).status, 201)
    const limited = await from('203.0.113.77')
    assert.equal(limited.status, 429)
    assert.equal(limited.json.error.code, 'rate_limited')
    assert.isAbove(Number(limited.headers.get('retry-after')), 0)
    assert.equal((await from('203.0.113.78')).status, 201, 'another visitor is not held back')
  }).timeout(60_000)

  test('with no trusted proxy a forged X-Forwarded-For does not escape the per-address limit', async ({
    assert,
    cleanup,
  }) => {
    cleanup(setTrustedProxies(''))
    const { api } = await webchatTenant(cleanup)
    const statuses: number[] = []
    for (let i = 0; i < 31; i++) {
      statuses.push((await call('POST', `${api}/sessions`, { body: {}, ip: visitorIp() })).status)
    }
    assert.deepEqual(statuses.slice(0, 30), Array(30).fill(201))
    assert.equal(statuses[30], 429)
  }).timeout(60_000)
})
