import { test } from '@japa/runner'
import {
  readAssistantSettings,
  saveAssistantSettings,
  replyToInboundMessage,
} from '#modules/brain/index'
import { updateDatasetSettings, type Dataset } from '#modules/data_engine/index'
import type { TenantContext } from '#modules/tenancy/index'
import { useWorkers } from '#tests/helpers/queue'
import { invalidInteractive, useFakeGraph } from '#tests/helpers/fake_graph_server'
import {
  baseUrl,
  makeWhatsAppTenant,
  messages,
  postWebhook,
  waId,
  waitFor,
  webhook,
  type WhatsAppTenant,
} from '#tests/helpers/whatsapp'
import { importCsv, importCsvByWorker } from '#tests/helpers/datasets'
import { customerSays, learnText } from '#tests/helpers/brain'
import { makeTenant, makeWorkspace } from '#tests/helpers/tenants'
import { webchatVisitor } from '#tests/helpers/webchat'
import { randomUUID } from 'node:crypto'
import { signIn } from '#tests/functional/workspace/member_browser'

/*
| The assistant answers a customer from a dataset's rows: over WhatsApp (the
| webhook, the assistant's job, the send job and the local Graph server that
| checks interactive lists as Meta does), a list message of matching rows
| within Meta's limits; a row picked from it answered with its details. A
| dataset not opened to customers, or another tenant's, is never used.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

const LISTINGS_CSV = [
  'ref,title,building,community,bedrooms,price,available,photo',
  'A-1,Marina Heights 2BR with full sea view and balcony,Marina Heights,Dubai Marina,2,"AED 140,000",yes,https://cdn.example/a1.jpg',
  'A-2,Marina Heights 1BR,Marina Heights,Dubai Marina,1,"AED 95,000",yes,https://cdn.example/a2.jpg',
  'A-3,Lake Terrace 2BR,Lake Terrace,JLT,2,"AED 120,000",yes,https://cdn.example/a3.jpg',
  'A-4,Lake Terrace 2BR corner unit,Lake Terrace,JLT,2,"AED 135,000",yes,https://cdn.example/a4.jpg',
  'A-5,Cluster Tower 2BR,Cluster Tower,JLT,2,"AED 180,000",yes,https://cdn.example/a5.jpg',
  'A-6,Cluster Tower 3BR,Cluster Tower,JLT,3,"AED 145,000",yes,https://cdn.example/a6.jpg',
  'A-7,Palm Villa 5BR,Palm Villa,Palm Jumeirah,5,"AED 900,000",no,https://cdn.example/a7.jpg',
  ...Array.from(
    { length: 14 },
    (_, i) =>
      `B-${i},JLT Residence ${i} two bedroom apartment,JLT Residence ${i},JLT,2,"AED ${100 + i},000",yes,https://cdn.example/b${i}.jpg`
  ),
].join('\n')

const LISTING_SETTINGS = [
  { name: 'bedrooms', synonyms: 'br, bed, bedroom, غرف, غرفه' },
  { name: 'community', synonyms: 'area, Dubai Marina=marina, Dubai Marina=مرسى دبي' },
  { name: 'price', synonyms: 'rent' },
  { name: 'available', synonyms: 'vacant, still available, متاح' },
  { name: 'building', searchable: true },
  { name: 'title', searchable: true },
]

async function listingsOf(tenant: TenantContext, answersCustomers = true, workers = false) {
  const dataset = await (workers ? importCsvByWorker : importCsv)(
    tenant,
    'Listings',
    LISTINGS_CSV,
    'ref',
    LISTING_SETTINGS
  )
  return updateDatasetSettings(tenant, dataset.id, { answersCustomers })
}

async function assistantOn(tenant: TenantContext, channelId: string) {
  const current = await readAssistantSettings(tenant, channelId)
  await saveAssistantSettings(tenant, channelId, { ...current, enabled: true }, null)
}

async function assistantReplies(tenant: TenantContext, conversationId?: string) {
  return tenant.transaction((trx) => {
    const query = trx
      .from('messages')
      .where('author_type', 'assistant')
      .orderBy('seq')
      .select('id', 'type', 'body', 'payload', 'external_id', 'status')
    if (conversationId) query.where('conversation_id', conversationId)
    return query
  })
}

function listOf(sent: { body: any }) {
  return sent.body?.interactive
}

test.group('Data engine: the assistant answers customers from datasets over WhatsApp', (group) => {
  useWorkers(group, ['default', 'inbound'])
  const graph = useFakeGraph(group, { token: 'test-access-token' })

  async function listingsTenant(cleanup: Cleanup, answersCustomers = true) {
    const wa = await makeWhatsAppTenant('dsa')
    cleanup(wa.cleanup)
    const dataset = await listingsOf(wa.context, answersCustomers, true)
    await assistantOn(wa.context, wa.channel.id)
    return { wa, dataset }
  }

  /** A customer's message through the signed webhook; resolves with the Graph sends after it. */
  async function customerWrites(wa: WhatsAppTenant, from: string, message: any, sendsBefore = 0) {
    const response = await postWebhook(webhook(wa, { messages: [message] }), wa.appSecret)
    if (response.status !== 200) throw new Error(`webhook answered ${response.status}`)
    return waitFor(async () => {
      const sends = graph
        .sends()
        .filter((call) => call.body?.to === from && call.path.includes(wa.phoneNumberId))
      return sends.length > sendsBefore ? sends : null
    })
  }

  test('"2br in JLT under 150k" is answered with a list of the matching rows within Meta’s limits', async ({
    assert,
    cleanup,
  }) => {
    const { wa } = await listingsTenant(cleanup)
    const from = waId()
    const sends = await customerWrites(wa, from, messages.text({ from }, '2br in JLT under 150k'))
    const sent = sends.at(-1)!
    assert.equal(sent.body.type, 'interactive')
    const list = listOf(sent)
    assert.equal(list.type, 'list')
    // The Graph server took it (Meta's limits held) and the message is sent.
    assert.isNull(invalidInteractive(sent.body))
    const rows = list.action.sections.flatMap((s: any) => s.rows)
    assert.lengthOf(list.action.sections, 1)
    assert.isAtMost(list.action.sections[0].title.length, 24)
    // 16 rows match (two Lake Terrace and 14 JLT Residence): nine, and "More results".
    assert.lengthOf(rows, 10)
    assert.equal(rows.at(-1).title, 'More results')
    assert.match(rows.at(-1).id, /^dsmore:[0-9a-f-]{36}:9:[\w-]+$/)
    for (const row of rows.slice(0, -1)) {
      assert.match(row.id, /^dsrow:[0-9a-f-]{36}:\d+$/)
      assert.isAtMost([...row.title].length, 24)
      assert.isAtMost([...(row.description ?? '')].length, 72)
      assert.notInclude(row.title, 'Cluster Tower', 'over budget or 3 bedrooms are left out')
      assert.notInclude(row.title, 'Marina Heights', 'another community is left out')
    }
    for (const chip of ['2 bedrooms', 'JLT', '≤ AED 150,000']) assert.include(list.body.text, chip)
    const [stored] = await assistantReplies(wa.context)
    assert.equal(stored.type, 'interactive')
    // Accepted by the Graph server: the message has WhatsApp's id.
    await waitFor(async () => (await assistantReplies(wa.context))[0]?.external_id)
    // The reply keeps the rows it rests on, for agents.
    const evidence = await wa.context.transaction((trx) =>
      trx.from('assistant_replies').where('message_id', stored.id).firstOrFail()
    )
    assert.equal(evidence.mode, 'dataset')
    assert.lengthOf(evidence.citations, 9)

    // "More results" brings the other seven, with no further page.
    const pickMore = {
      ...messages.text({ from }),
      type: 'interactive',
      text: undefined,
      context: { from: '15550001234', id: 'wamid.LIST' },
      interactive: {
        type: 'list_reply',
        list_reply: { id: rows.at(-1).id, title: rows.at(-1).title },
      },
    }
    const next = await customerWrites(wa, from, pickMore, sends.length)
    const page2 = listOf(next.at(-1)!).action.sections.flatMap((section: any) => section.rows)
    assert.lengthOf(page2, 7)
    assert.isTrue(page2.every((row: any) => row.id.startsWith('dsrow:')))
    const firstIds = new Set(rows.map((row: any) => row.id))
    assert.isFalse(
      page2.some((row: any) => firstIds.has(row.id)),
      'the second page repeats none of the first'
    )
  })

  test('a row picked from the list is answered with its details; the customer can ask on', async ({
    assert,
    cleanup,
  }) => {
    const { wa } = await listingsTenant(cleanup)
    const from = waId()
    const first = await customerWrites(
      wa,
      from,
      messages.text({ from }, 'is the 2 bedroom in Marina Heights still available?')
    )
    const rows = listOf(first.at(-1)!).action.sections.flatMap((s: any) => s.rows)
    assert.lengthOf(rows, 1)
    assert.equal(rows[0].title, 'Marina Heights 2BR with…')
    assert.include(rows[0].description, 'AED 140,000')

    const pick = {
      ...messages.text({ from }),
      type: 'interactive',
      text: undefined,
      context: { from: '15550001234', id: 'wamid.LIST' },
      interactive: {
        type: 'list_reply',
        list_reply: { id: rows[0].id, title: rows[0].title, description: rows[0].description },
      },
    }
    const second = await customerWrites(wa, from, pick, first.length)
    const details = second.at(-1)!.body
    assert.equal(details.type, 'text')
    assert.include(details.text.body, '*Marina Heights 2BR with full sea view and balcony*')
    assert.include(details.text.body, 'price: AED 140,000')
    assert.include(details.text.body, 'photo: https://cdn.example/a1.jpg')
  })

  test('on web chat the rows come as cards (image, title, values); picking one brings its details', async ({
    assert,
    cleanup,
  }) => {
    const made = await makeTenant('dsw')
    cleanup(made.cleanup)
    const { channel, visitorToken } = await webchatVisitor(made.tenant)
    await listingsOf(made.context, true, true)
    await assistantOn(made.context, channel.id)
    const api = `${baseUrl()}/webchat/${channel.id}`
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${api}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${visitorToken}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      })
      return (await response.json()) as any
    }
    await call('POST', '/messages', { text: '2br in JLT under 150k', clientId: randomUUID() })
    const listed = await waitFor(async () => {
      const history = await call('GET', '/messages')
      return history.data.find((m: any) => m.from === 'assistant' && m.cards?.length)
    })
    // Nine rows as cards; "More results" stays a choice.
    assert.lengthOf(listed.cards, 9)
    assert.deepEqual(
      listed.choices.map((c: any) => c.title),
      ['More results']
    )
    for (const card of listed.cards) {
      assert.match(card.id, /^dsrow:/)
      assert.match(card.image, /^https:\/\/cdn\.example\/[ab]\d+\.jpg$/)
      assert.include(card.lines, 'community: JLT')
      assert.isTrue(card.lines.some((line: string) => line.startsWith('price: AED')))
      assert.notInclude(card.title, '…', 'a card has room for the whole title')
    }
    const first = listed.cards[0]
    await call('POST', '/messages', {
      text: first.title,
      clientId: randomUUID(),
      choiceId: first.id,
    })
    const details = await waitFor(async () => {
      const history = await call('GET', '/messages')
      return history.data.find((m: any) => m.from === 'assistant' && m.text?.includes('price: AED'))
    })
    assert.include(details.text, 'community: JLT')
  })

  test('the Graph server refuses a list past Meta’s limits, as Meta does', async ({ assert }) => {
    const body = {
      messaging_product: 'whatsapp',
      to: '15550009999',
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: 'Pick one' },
        action: {
          button: 'See the options',
          sections: [{ title: 'Listings', rows: [{ id: 'a', title: 'x'.repeat(25) }] }],
        },
      },
    }
    const response = await fetch(`${graph.url}/123/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer test-access-token' },
      body: JSON.stringify(body),
    })
    assert.equal(response.status, 400)
    assert.equal(((await response.json()) as any).error.code, 131009)
    body.interactive.action.sections[0].rows[0].title = 'x'.repeat(24)
    const ok = await fetch(`${graph.url}/123/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer test-access-token' },
      body: JSON.stringify(body),
    })
    assert.equal(ok.status, 200)
  })
})

test.group('Data engine: which datasets answer customers', () => {
  async function sandboxTenant(cleanup: Cleanup, answersCustomers: boolean) {
    const ws = await makeWorkspace(cleanup, 'dsb')
    const { addSandboxChannel } = await import('#modules/channels/index')
    const { systemActor } = await import('#modules/tenancy/index')
    const channel = await addSandboxChannel(ws.tenant, systemActor)
    await assistantOn(ws.context, channel.id)
    const dataset = await listingsOf(ws.context, answersCustomers)
    return { ...ws, channel, dataset }
  }

  test('a dataset not opened to customers is not used: the knowledge answers (or a person)', async ({
    assert,
    cleanup,
  }) => {
    const w = await sandboxTenant(cleanup, false)
    await learnText(w.context, 'Opening hours', 'Our office in JLT opens at 9 every weekday.')
    const said = await customerSays(w.context, w.channel.id, '2br in JLT under 150k')
    await replyToInboundMessage(w.context, said.messageId)
    const [reply] = await assistantReplies(w.context, said.conversationId)
    assert.exists(reply, 'the assistant said something (an answer or a handoff notice)')
    assert.notEqual(reply.type, 'interactive')
  })

  test('another tenant’s customer asking the same, or picking its row id, gets none of its rows', async ({
    assert,
    cleanup,
  }) => {
    const a = await sandboxTenant(cleanup, true)
    const b = await sandboxTenant(cleanup, false)
    // A's own customer gets A's list.
    const own = await customerSays(a.context, a.channel.id, '2br in JLT under 150k')
    await replyToInboundMessage(a.context, own.messageId)
    const [ownReply] = await assistantReplies(a.context, own.conversationId)
    assert.equal(ownReply.type, 'interactive')
    const aRowId = ownReply.payload.content.sections[0].rows[0].id as string

    // B has the same rows but closed to customers: nothing from them, nor from A's.
    const asked = await customerSays(b.context, b.channel.id, '2br in JLT under 150k')
    await replyToInboundMessage(b.context, asked.messageId)
    const [bReply] = await assistantReplies(b.context, asked.conversationId)
    assert.notEqual(bReply?.type, 'interactive')

    // A's row id, picked in B's conversation (as if forged): no details from A.
    const forged = await b.context.transaction(async (trx) => {
      const [message] = await trx
        .table('messages')
        .insert({
          conversation_id: asked.conversationId,
          contact_id: asked.contactId,
          channel_id: b.channel.id,
          direction: 'inbound',
          external_id: `wamid.forged${Date.now()}`,
          type: 'interactive',
          body: 'Lake Terrace 2BR',
          payload: JSON.stringify({ interactiveType: 'list_reply', id: aRowId }),
          status: 'received',
          author_type: 'contact',
        })
        .returning('id')
      return message.id as string
    })
    await b.context.transaction((trx) =>
      trx.from('assistant_conversations').where('conversation_id', asked.conversationId).delete()
    )
    await replyToInboundMessage(b.context, forged)
    const texts = (await assistantReplies(b.context, asked.conversationId)).map((m) => m.body)
    assert.isFalse(
      texts.some((text: string | null) => text?.includes('AED 120,000')),
      'no row of A reaches B'
    )
  })

  test('the dataset page saves whether the assistant answers from it; another tenant cannot', async ({
    assert,
    cleanup,
  }) => {
    const a = await sandboxTenant(cleanup, false)
    const b = await makeWorkspace(cleanup, 'dsc')
    const owner = await signIn(await a.member('owner'))
    const page = await owner.get(`${a.base}/datasets/${a.dataset.id}`)
    assert.include(page.body, 'name="answers_customers"')
    const saved = await owner.post(`${a.base}/datasets/${a.dataset.id}/settings`, {
      name: 'Listings',
      description: 'Flats and villas for rent',
      answers_customers: '1',
    })
    assert.equal(saved.status, 302)
    assert.isTrue(await answersCustomersOf(a.context, a.dataset))

    const stranger = await signIn(await b.member('owner'))
    const refused = await stranger.submit(
      `${b.base}/datasets`,
      `${b.base}/datasets/${a.dataset.id}/settings`,
      { name: 'Listings', answers_customers: '1' }
    )
    assert.equal(refused.status, 404)
    const saveAgain = await owner.submit(
      `${a.base}/datasets/${a.dataset.id}`,
      `${a.base}/datasets/${a.dataset.id}/settings`,
      { name: 'Listings' }
    )
    assert.equal(saveAgain.status, 302)
    assert.isFalse(await answersCustomersOf(a.context, a.dataset), 'unchecked turns it off')
  })
})

async function answersCustomersOf(tenant: TenantContext, dataset: Dataset) {
  const row = await tenant.transaction((trx) =>
    trx.from('datasets').where('id', dataset.id).select('answers_customers').firstOrFail()
  )
  return row.answers_customers as boolean
}
