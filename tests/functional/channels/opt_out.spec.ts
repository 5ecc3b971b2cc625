import { test } from '@japa/runner'
import queue from '@rlanz/bull-queue/services/main'
import type { TenantContext } from '#modules/tenancy/index'
import { normalizeKeyword } from '#modules/channels/index'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { useWorkers } from '#tests/helpers/queue'
import {
  makeWhatsAppTenant,
  messages,
  postWebhook,
  waId,
  waitFor,
  webhook,
} from '#tests/helpers/whatsapp'

function rows(context: TenantContext, sql: string, bindings: any[] = []) {
  return context.transaction(async (trx) => (await trx.rawQuery(sql, bindings)).rows as any[])
}

const contactOf = (context: TenantContext, wa: string) =>
  rows(context, 'select * from contacts where wa_id = ?', [wa]).then((r) => r[0])

const confirmations = (context: TenantContext, wa: string) =>
  rows(
    context,
    `select m.* from messages m join contacts c on c.id = m.contact_id
      where c.wa_id = ? and m.direction = 'outbound' and m.author_type = 'system'
      order by m.created_at`,
    [wa]
  )

test.group('Opt-out and opt-in keywords', (group) => {
  const graph = useFakeGraph(group)
  useWorkers(group, ['inbound', 'default'])

  test('keywords match whatever the case, punctuation or Arabic spelling', ({ assert }) => {
    assert.equal(normalizeKeyword('  STOP! '), 'stop')
    assert.equal(normalizeKeyword('Opt-Out'), 'opt out')
    assert.equal(normalizeKeyword('إلغاء الاشتراك'), 'الغاء الاشتراك')
    assert.equal(normalizeKeyword('تَوَقَّفْ'), 'توقف')
  })

  test('STOP opts the contact out and is confirmed once; START brings them back', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('optout')
    cleanup(wa.cleanup)
    const customer = waId()

    await postWebhook(
      webhook(wa, { messages: [messages.text({ from: customer }, 'Stop!')] }),
      wa.appSecret
    )
    await waitFor(async () => (await contactOf(wa.context, customer))?.opt_in === 'opted_out')
    // STOP withdraws marketing consent too, recorded as coming from the keyword.
    const stopped = await contactOf(wa.context, customer)
    assert.equal(stopped.marketing_consent, 'opted_out')
    assert.equal(stopped.marketing_consent_source, 'keyword')
    assert.equal(stopped.service_consent_source, 'keyword')
    assert.isNotNull(stopped.marketing_consent_at)
    const [confirmation] = await waitFor(async () => {
      const sent = await confirmations(wa.context, customer)
      return sent.length && sent[0].external_id ? sent : null
    })
    assert.match(confirmation.body, /unsubscribed/)
    assert.deepInclude(graph.sends().find((call) => call.body.to === customer)!.body, {
      type: 'text',
    })

    // Said again: nothing new is recorded or sent.
    await postWebhook(
      webhook(wa, { messages: [messages.text({ from: customer }, 'STOP')] }),
      wa.appSecret
    )
    await waitFor(async () => {
      const inbound = await rows(
        wa.context,
        `select count(*)::int as n from messages m join contacts c on c.id = m.contact_id
          where c.wa_id = ? and m.direction = 'inbound' and m.processed_at is not null`,
        [customer]
      )
      return inbound[0].n === 2
    })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    assert.lengthOf(await confirmations(wa.context, customer), 1)

    await postWebhook(
      webhook(wa, { messages: [messages.text({ from: customer }, 'start')] }),
      wa.appSecret
    )
    await waitFor(async () => (await contactOf(wa.context, customer))?.opt_in === 'opted_in')
    const all = await waitFor(async () => {
      const sent = await confirmations(wa.context, customer)
      return sent.length === 2 ? sent : null
    })
    assert.match(all[1].body, /Welcome back/)
    // START brings back service messages only: marketing needs a fresh consent.
    assert.equal((await contactOf(wa.context, customer)).marketing_consent, 'opted_out')
  }).timeout(60_000)

  test("a contact who writes first gets a time zone and language guessed from the number's country", async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('optloc')
    cleanup(wa.cleanup)
    const emirati = `97150${String(Date.now()).slice(-7)}`
    await postWebhook(
      webhook(wa, { messages: [messages.text({ from: emirati }, 'Hello')] }),
      wa.appSecret
    )
    const contact = await waitFor(async () => {
      const row = await contactOf(wa.context, emirati)
      return row?.time_zone ? row : null
    })
    assert.equal(contact.time_zone, 'Asia/Dubai')
    assert.equal(contact.language, 'ar')
  }).timeout(30_000)

  test('an Arabic opt-out is confirmed in Arabic; ordinary messages change nothing', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('optout-ar')
    cleanup(wa.cleanup)
    const arabic = waId()
    const ordinary = waId()

    await postWebhook(
      webhook(wa, {
        messages: [
          messages.text({ from: arabic }, 'توقف'),
          messages.text({ from: ordinary }, 'Cancel my car policy please'),
        ],
      }),
      wa.appSecret
    )
    const [confirmation] = await waitFor(async () => {
      const sent = await confirmations(wa.context, arabic)
      return sent.length ? sent : null
    })
    assert.include(confirmation.body, 'تم إلغاء اشتراكك')
    assert.equal((await contactOf(wa.context, arabic)).opt_in, 'opted_out')

    await waitFor(async () => (await contactOf(wa.context, ordinary)) ?? null)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    assert.equal((await contactOf(wa.context, ordinary)).opt_in, 'unknown')
    assert.lengthOf(await confirmations(wa.context, ordinary), 0)
  }).timeout(60_000)

  test('only a message short enough to be a keyword is read for one', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('optout-len')
    cleanup(wa.cleanup)
    const shouting = waId()
    const chatty = waId()

    // Punctuation does not count: this is "stop" once normalized.
    await postWebhook(
      webhook(wa, {
        messages: [
          messages.text({ from: shouting }, `STOP${'!'.repeat(300)}`),
          messages.text(
            { from: chatty },
            `Please stop ${'calling me about the renewal '.repeat(3)}`
          ),
        ],
      }),
      wa.appSecret
    )
    await waitFor(async () => (await contactOf(wa.context, shouting))?.opt_in === 'opted_out')

    // The long message was delivered downstream but queued no keyword job.
    const [message] = await waitFor(async () => {
      const found = await rows(
        wa.context,
        `select m.id from messages m join contacts c on c.id = m.contact_id
          where c.wa_id = ? and m.processed_at is not null`,
        [chatty]
      )
      return found.length ? found : null
    })
    const jobs = queue.getOrSet('default')
    assert.isUndefined(await jobs.getJob(`keywords-${wa.tenant.slug}-${message.id}`))
    const [shouted] = await rows(
      wa.context,
      `select m.id from messages m join contacts c on c.id = m.contact_id
        where c.wa_id = ? and m.direction = 'inbound'`,
      [shouting]
    )
    assert.exists(await jobs.getJob(`keywords-${wa.tenant.slug}-${shouted.id}`))
    assert.equal((await contactOf(wa.context, chatty)).opt_in, 'unknown')
  }).timeout(60_000)
})
