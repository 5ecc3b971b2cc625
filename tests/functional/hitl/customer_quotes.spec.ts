import { test } from '@japa/runner'
import { randomInt } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import type { TenantContext } from '#modules/tenancy/index'
import { WHATSAPP_QUOTES } from '#modules/hitl/services/quotes/whatsapp_quotes'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { useWorkers } from '#tests/helpers/queue'
import { quoteFixtures } from '#tests/helpers/quote_fixtures'
import { makeMember } from '#tests/helpers/users'
import { signIn } from '#tests/functional/workspace/member_browser'
import {
  makeWhatsAppTenant,
  postWebhook,
  unix,
  waId,
  waitFor,
  wamid,
  webhook,
} from '#tests/helpers/whatsapp'

/*
| A customer sends their insurer quotes as PDFs on WhatsApp: the real
| pipeline (webhook, inbound worker, the media fetch from a local Graph
| stand-in into the tenant's storage, channels' media_stored event) starts
| the quote analyzer when the workspace turned it on, and the comparison
| task lands in the customer's conversation. Off, nothing happens.
*/

const fixtures = quoteFixtures()

function pdfMessage(from: string, mediaId: string, filename: string) {
  return {
    from,
    id: wamid(),
    timestamp: unix(),
    type: 'document',
    document: { filename, mime_type: 'application/pdf', id: mediaId },
  }
}

async function tasksOf(context: TenantContext) {
  return db.from('hitl_tasks').withSchema(context.schema).where('kind', 'quote_comparison')
}

async function turnOn(wa: { tenant: { id: string }; base?: string }, slug: string, on: boolean) {
  const owner = await signIn(await makeMember(wa.tenant.id, 'owner'))
  const form = `/t/${slug}/tasks/quotes/new`
  const answer = await owner.submit(form, `/t/${slug}/tasks/quotes/settings`, {
    ...(on ? { analyze_whatsapp_quotes: 'on' } : {}),
  })
  return answer
}

test.group('Quote analyzer: customers’ PDFs on WhatsApp', (group) => {
  const graph = useFakeGraph(group)
  useWorkers(group, ['inbound', 'default'])
  group.setup(() => {
    const previous = WHATSAPP_QUOTES.settleMs
    WHATSAPP_QUOTES.settleMs = 300
    return () => {
      WHATSAPP_QUOTES.settleMs = previous
    }
  })

  async function customerSendsQuotes(wa: Awaited<ReturnType<typeof makeWhatsAppTenant>>) {
    const from = waId()
    const sent = fixtures.slice(0, 2).map((fixture) => {
      const mediaId = String(randomInt(1e12, 9e12))
      graph.media.set(mediaId, { bytes: fixture.pdf, mimeType: 'application/pdf' })
      return pdfMessage(from, mediaId, fixture.filename)
    })
    await postWebhook(webhook(wa, { messages: sent }), wa.appSecret)
    return from
  }

  test('two quote PDFs from a customer open one comparison task in their conversation', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('waquotes')
    cleanup(wa.cleanup)
    const saved = await turnOn(wa, wa.tenant.slug, true)
    assert.equal(saved.status, 302)
    await customerSendsQuotes(wa)

    // The run is done once the task has its PDFs.
    await waitFor(
      () =>
        db.from('hitl_quote_runs').withSchema(wa.context.schema).where('status', 'done').first(),
      20_000
    )
    const [task] = await tasksOf(wa.context)
    assert.isNotNull(task.conversation_id)
    assert.isNotNull(task.contact_id)
    assert.equal(task.source_type, 'analyzer')
    assert.deepEqual(task.action, { type: 'send_message', text_from: 'summary' })
    const table = task.components.find((c: any) => c.type === 'table')
    assert.lengthOf(table.rows, 2)
    assert.include(table.rows[0].insurer, fixtures[0].expected.insurer!)
    const documents = await db
      .from('hitl_documents')
      .withSchema(wa.context.schema)
      .where('task_id', task.id)
      .orderBy('position')
    assert.lengthOf(documents, 2)
    // Stored in the tenant's storage, each from its WhatsApp message.
    assert.isTrue(documents.every((d) => d.storage_key?.startsWith(`tenants/${wa.tenant.id}/`)))
    assert.isTrue(documents.every((d) => d.bytes === null && d.message_id))
    const run = await db
      .from('hitl_quote_runs')
      .withSchema(wa.context.schema)
      .where('task_id', task.id)
      .first()
    assert.equal(run.source, 'whatsapp')
    assert.equal(run.status, 'done')
    assert.equal(run.done, 2)

    // Heard again (a redelivered event): still one task.
    const { analyzeCustomerPdfs } = await import('#modules/hitl/services/quotes/whatsapp_quotes')
    const last = documents[1].message_id
    assert.isNull(
      await analyzeCustomerPdfs(wa.context, {
        conversationId: task.conversation_id,
        contactId: task.contact_id,
        messageId: last,
      })
    )
    assert.lengthOf(await tasksOf(wa.context), 1)
  }).timeout(40_000)

  test('with the setting off (the default) the PDFs open nothing; only managers change it', async ({
    assert,
    cleanup,
  }) => {
    const off = await makeWhatsAppTenant('waquotes-off')
    cleanup(off.cleanup)
    // Another workspace turning it on changes nothing here.
    const other = await makeWhatsAppTenant('waquotes-on')
    cleanup(other.cleanup)
    await turnOn(other, other.tenant.slug, true)

    const agent = await signIn(await makeMember(off.tenant.id, 'agent'))
    const refused = await agent.submit(
      `/t/${off.tenant.slug}/tasks/quotes/new`,
      `/t/${off.tenant.slug}/tasks/quotes/settings`,
      { analyze_whatsapp_quotes: 'on' }
    )
    assert.equal(refused.status, 403)
    const stranger = await signIn(await makeMember(other.tenant.id, 'owner'))
    const foreign = await stranger.submit(
      `/t/${other.tenant.slug}/tasks/quotes/new`,
      `/t/${off.tenant.slug}/tasks/quotes/settings`,
      { analyze_whatsapp_quotes: 'on' }
    )
    assert.equal(foreign.status, 404)

    const from = await customerSendsQuotes(off)
    // Both files are stored (the fetch ran), well past the settle time: no task.
    await waitFor(async () => {
      const rows = await off.context.transaction(
        async (trx) =>
          (
            await trx.rawQuery(
              `select m.media from messages m join contacts c on c.id = m.contact_id where c.wa_id = ?`,
              [from]
            )
          ).rows
      )
      return rows.length === 2 && rows.every((r: any) => r.media.status === 'stored') ? rows : null
    }, 15_000)
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    assert.lengthOf(await tasksOf(off.context), 0)
    const runs = await db.from('hitl_quote_runs').withSchema(off.context.schema)
    assert.lengthOf(runs, 0)
  }).timeout(40_000)
})
