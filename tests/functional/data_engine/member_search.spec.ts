import { test } from '@japa/runner'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import app from '@adonisjs/core/services/app'
import { Membership, setMemberPhone } from '#modules/identity/index'
import { createConnector } from '#modules/data_engine/index'
import { useWorkers } from '#tests/helpers/queue'
import { invalidInteractive, useFakeGraph } from '#tests/helpers/fake_graph_server'
import {
  makeWhatsAppTenant,
  messages,
  postWebhook,
  waId,
  waitFor,
  webhook,
  type WhatsAppTenant,
} from '#tests/helpers/whatsapp'
import { makeMember } from '#tests/helpers/users'
import { LISTING_SETTINGS, importCsvByWorker, listing, listingsCsv } from '#tests/helpers/datasets'
import { makeWorkspace } from '#tests/helpers/tenants'
import { signIn } from '#tests/functional/workspace/member_browser'

/*
| Agents search the workspace's data over WhatsApp: a member who writes to
| the business number from their own number (set on the team page, kept by
| identity) gets the matching rows as a list, pages on with "More results",
| and asks connectors; nothing of it becomes a customer conversation. The
| same number messaging another workspace is a customer there.
*/

const COUNT = 600

/** The listings "2br with sea view in JLT under 150k" must find, by ref. */
function expectedRefs() {
  return Array.from({ length: COUNT }, (_, i) => listing(i))
    .filter(
      (l) =>
        l.bedrooms === 2 &&
        l.community === 'JLT' &&
        l.price <= 150_000 &&
        l.features.includes('sea view')
    )
    .map((l) => l.ref)
}

async function memberWithPhone(wa: WhatsAppTenant, role: 'agent' | 'owner' = 'agent') {
  const user = await makeMember(wa.tenant.id, role)
  const membership = await Membership.query()
    .where('tenant_id', wa.tenant.id)
    .where('user_id', user.id)
    .firstOrFail()
  const phone = waId()
  await setMemberPhone(wa.tenant.id, membership.id, `+${phone}`)
  return { user, membership, phone }
}

async function customerRowsOf(wa: WhatsAppTenant, phone: string) {
  return wa.context.transaction(async (trx) => ({
    contacts: await trx.from('contacts').where('wa_id', phone).count('* as n').first(),
    messages: await trx
      .from('messages')
      .join('contacts', 'contacts.id', 'messages.contact_id')
      .where('contacts.wa_id', phone)
      .count('* as n')
      .first(),
  }))
}

test.group('Data engine: members search datasets and connectors over WhatsApp', (group) => {
  useWorkers(group, ['default', 'inbound'])
  const graph = useFakeGraph(group, { token: 'test-access-token' })

  let api: Server
  group.setup(async () => {
    api = createServer((request, response) => {
      if (request.url!.includes('/orders/500')) {
        response.writeHead(500, { 'content-type': 'application/json' })
        return response.end('{"error":"down"}')
      }
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ status: 'Packed', courier: 'Aramex' }))
    })
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
    const previous = app.config.get<boolean>('brain.allowPrivateUrlSources')
    app.config.set('brain.allowPrivateUrlSources', true)
    return async () => {
      app.config.set('brain.allowPrivateUrlSources', previous)
      await new Promise<void>((resolve) => api.close(() => resolve()))
    }
  })

  async function writes(wa: WhatsAppTenant, from: string, message: any, before = 0) {
    const response = await postWebhook(webhook(wa, { messages: [message] }), wa.appSecret)
    if (response.status !== 200) throw new Error(`webhook answered ${response.status}`)
    return waitFor(async () => {
      const sends = graph
        .sends()
        .filter((call) => call.body?.to === from && call.path.includes(wa.phoneNumberId))
      return sends.length > before ? sends : null
    })
  }

  test('"2br with sea view in JLT under 150k" from a member’s phone is answered with the matching listings, and no customer conversation', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('msa')
    cleanup(wa.cleanup)
    // Not opened to customers: members search every ready dataset.
    await importCsvByWorker(wa.context, 'Listings', listingsCsv(COUNT), 'ref', LISTING_SETTINGS)
    const { phone } = await memberWithPhone(wa)

    const sends = await writes(
      wa,
      phone,
      messages.text({ from: phone }, '2br with sea view in JLT under 150k')
    )
    const sent = sends.at(-1)!
    const expected = expectedRefs()
    assert.isAbove(expected.length, 0, 'the generated listings hold some')
    assert.equal(sent.body.type, 'interactive')
    assert.isNull(invalidInteractive(sent.body))
    const rows = sent.body.interactive.action.sections.flatMap((s: any) => s.rows)
    assert.lengthOf(rows, Math.min(expected.length, 10))
    const text = JSON.stringify(sent.body.interactive)
    for (const chip of ['2 bedrooms', 'JLT', '≤ AED 150,000', 'sea view']) {
      assert.include(text, chip)
    }
    // Never a customer's: no contact, no message, no conversation for the member's number.
    const stored = await customerRowsOf(wa, phone)
    assert.equal(Number(stored.contacts!.n), 0)
    assert.equal(Number(stored.messages!.n), 0)

    // A row picked from the list answers with its details.
    const pick = {
      ...messages.text({ from: phone }),
      type: 'interactive',
      text: undefined,
      interactive: { type: 'list_reply', list_reply: { id: rows[0].id, title: rows[0].title } },
    }
    const next = await writes(wa, phone, pick, sends.length)
    assert.include(next.at(-1)!.body.text.body, 'JLT')
  })

  test('"more" pages on through a long result; a question matching nothing lists what can be searched', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('msm')
    cleanup(wa.cleanup)
    await importCsvByWorker(wa.context, 'Listings', listingsCsv(COUNT), 'ref', LISTING_SETTINGS)
    const { phone } = await memberWithPhone(wa)
    const first = await writes(wa, phone, messages.text({ from: phone }, 'apartments in JLT'))
    const rows = first.at(-1)!.body.interactive.action.sections.flatMap((s: any) => s.rows)
    assert.lengthOf(rows, 10)
    assert.equal(rows.at(-1).title, 'More results')
    const more = {
      ...messages.text({ from: phone }),
      type: 'interactive',
      text: undefined,
      interactive: {
        type: 'list_reply',
        list_reply: { id: rows.at(-1).id, title: 'More results' },
      },
    }
    const second = await writes(wa, phone, more, first.length)
    const page2 = second.at(-1)!.body.interactive.action.sections.flatMap((s: any) => s.rows)
    assert.isAbove(page2.length, 1)
    const firstIds = new Set(rows.map((r: any) => r.id))
    assert.isFalse(page2.some((r: any) => firstIds.has(r.id)))

    const help = await writes(
      wa,
      phone,
      messages.text({ from: phone }, 'hello there'),
      second.length
    )
    assert.include(help.at(-1)!.body.text.body, 'Listings')
  })

  test('a member asks a connector (not opened to customers); a failed call says why', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('msc')
    cleanup(wa.cleanup)
    await createConnector(wa.context, {
      name: 'Orders',
      url_template: `http://127.0.0.1:${(api.address() as AddressInfo).port}/orders/{{order}}`,
      parameters: [{ name: 'order', type: 'integer', required: true }],
      mapping: [
        { name: 'status', path: '$.status' },
        { name: 'courier', path: '$.courier' },
      ],
      reply_template: 'Order {{order}}: {{status}} ({{courier}})',
      triggers: 'order',
      answers_customers: false,
    })
    const { phone } = await memberWithPhone(wa)
    const ok = await writes(wa, phone, messages.text({ from: phone }, 'order 4471?'))
    assert.equal(ok.at(-1)!.body.text.body, 'Order 4471: Packed (Aramex)')
    const failed = await writes(wa, phone, messages.text({ from: phone }, 'order 500'), ok.length)
    assert.include(failed.at(-1)!.body.text.body, "couldn't reach Orders")
    assert.include(failed.at(-1)!.body.text.body, 'http_error')
  })

  test('a member’s number is a customer in another workspace; a customer is still a customer', async ({
    assert,
    cleanup,
  }) => {
    const home = await makeWhatsAppTenant('msh')
    cleanup(home.cleanup)
    const other = await makeWhatsAppTenant('mso')
    cleanup(other.cleanup)
    const { phone } = await memberWithPhone(home)
    await postWebhook(
      webhook(other, { messages: [messages.text({ from: phone }, 'Hi, 2br in JLT?')] }),
      other.appSecret
    )
    await waitFor(async () => Number((await customerRowsOf(other, phone)).messages!.n) === 1)

    const customer = waId()
    await postWebhook(
      webhook(home, { messages: [messages.text({ from: customer }, 'Hello')] }),
      home.appSecret
    )
    await waitFor(async () => Number((await customerRowsOf(home, customer)).messages!.n) === 1)
    assert.equal(Number((await customerRowsOf(home, phone)).messages!.n), 0)
  })
})

test.group('Identity: a member’s WhatsApp number on the team page', () => {
  test('a member sets their own; a manager sets an agent’s; bad or taken numbers are refused; another workspace’s member is a 404', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'mph')
    const other = await makeWorkspace(cleanup, 'mpo')
    const agentUser = await w.member('agent')
    const agent = await Membership.query()
      .where('tenant_id', w.tenant.id)
      .where('user_id', agentUser.id)
      .firstOrFail()
    const field = `phone_${agent.id.replace(/-/g, '')}`

    const self = await signIn(agentUser)
    const saved = await self.submit(`${w.base}/team`, `${w.base}/team/members/${agent.id}/phone`, {
      [field]: '+971 50 123 4567',
    })
    assert.equal(saved.status, 302)
    await agent.refresh()
    assert.equal(agent.whatsappPhone, '971501234567')
    const page = await self.get(`${w.base}/team`)
    assert.include(page.body, '+971501234567')

    const owner = await signIn(await w.member('owner'))
    const bad = await owner.submit(`${w.base}/team`, `${w.base}/team/members/${agent.id}/phone`, {
      [field]: 'call me',
    })
    assert.equal(bad.status, 302)
    const shown = await owner.get(`${w.base}/team`)
    assert.include(shown.body, 'Give the number with its country code')

    const viewerUser = await w.member('viewer')
    const viewer = await Membership.query()
      .where('tenant_id', w.tenant.id)
      .where('user_id', viewerUser.id)
      .firstOrFail()
    const taken = await owner.submit(
      `${w.base}/team`,
      `${w.base}/team/members/${viewer.id}/phone`,
      {
        [`phone_${viewer.id.replace(/-/g, '')}`]: '971501234567',
      }
    )
    assert.equal(taken.status, 302)
    await viewer.refresh()
    assert.isNull(viewer.whatsappPhone)

    // An agent cannot set another member's number.
    const refused = await self.submit(
      `${w.base}/team`,
      `${w.base}/team/members/${viewer.id}/phone`,
      {
        [`phone_${viewer.id.replace(/-/g, '')}`]: '971509999999',
      }
    )
    assert.equal(refused.status, 403)

    const stranger = await signIn(await other.member('owner'))
    const foreign = await stranger.submit(
      `${other.base}/team`,
      `${other.base}/team/members/${agent.id}/phone`,
      {
        [field]: '971508888888',
      }
    )
    assert.equal(foreign.status, 404)
    await agent.refresh()
    assert.equal(agent.whatsappPhone, '971501234567')
  })
})
