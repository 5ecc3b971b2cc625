import { test } from '@japa/runner'
import redis from '@adonisjs/redis/services/main'
import { setTimeout as sleep } from 'node:timers/promises'
import { DateTime } from 'luxon'
import { Message, sendTemplateBatch } from '#modules/channels/index'
import { applyStatus } from '#modules/channels/services/inbound_statuses'
import { Contact, conversationsForSendMany } from '#modules/inbox/index'
import {
  cancelCampaign,
  createCampaign,
  launchCampaign,
  pauseCampaign,
  resumeCampaign,
  retryFailed,
  saveCampaignSettings,
  type CampaignInput,
} from '#modules/pulse/index'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { campaignTenant, contact, recipientsOf, waitForStats } from './campaign_fixtures.js'

function input(channelId: string, overrides: Partial<CampaignInput> = {}): CampaignInput {
  return {
    name: 'JLT launch',
    channelId,
    template: {
      name: 'spring_offer',
      language: 'en',
      variables: { '1': '{{contact.name}}', '2': '{{contact.area|Dubai}}' },
    },
    audience: { labels: ['jlt'] },
    quiet: { start: null, end: null },
    ...overrides,
  }
}

const digits = (phone: string | null) => phone!.replace(/\D/g, '')

test.group('Campaigns: sending', (group) => {
  const graph = useFakeGraph(group)
  withDefaultQueueWorker(group)

  test('fills variables per contact, skips by reason, sends once each and completes', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup)
    const c = (details: Partial<Contact>) =>
      contact(context, { label: 'jlt', channelId: channel.id, ...details })
    const layla = await c({ name: 'Layla', attributes: {} })
    const omar = await c({ name: 'Omar', profileName: null })
    await context.transaction((trx) =>
      trx.rawQuery(`update contacts set attributes = '{"area": "JLT"}' where id = ?`, [omar.id])
    )
    const stopped = await c({ name: 'Sam', optIn: 'opted_out' })
    const unknown = await c({ name: 'Una', marketingConsent: 'unknown' })
    const nameless = await c({ name: null, profileName: null })
    await contact(context, { name: 'Elsewhere' }) // not labelled: not in the audience

    const campaign = await createCampaign(context, input(channel.id))
    const before = graph.sends().length
    await launchCampaign(context, campaign.id)
    const { stats, campaign: done } = await waitForStats(
      context,
      campaign.id,
      (s, row) => row.status === 'completed' && s.sent === 2
    )
    assert.deepInclude(stats, { targeted: 5, skipped: 3, sent: 2, failed: 0 })
    const sends = graph.sends().slice(before)
    assert.lengthOf(sends, 2)
    const byTo = Object.fromEntries(sends.map((call) => [call.body.to, call.body]))
    const params = (to: string) =>
      byTo[to].template.components[0].parameters.map((p: { text: string }) => p.text)
    assert.deepEqual(params(digits(layla.phone)), ['Layla', 'Dubai'])
    assert.deepEqual(params(digits(omar.phone)), ['Omar', 'JLT'])
    assert.equal(byTo[digits(layla.phone)].template.name, 'spring_offer')

    const reasons = Object.fromEntries(
      (await recipientsOf(context, campaign.id)).map((row) => [row.contact_id, row.skip_reason])
    )
    assert.equal(reasons[stopped.id], 'opted_out')
    assert.equal(reasons[unknown.id], 'no_marketing_consent')
    assert.equal(reasons[nameless.id], 'missing_variable:name')
    assert.isNull(reasons[layla.id])
    assert.isNotNull(done.completedAt)

    // Launching again is refused: the recipients were written once.
    await assert.rejects(() => launchCampaign(context, campaign.id))
  })

  test('a workspace that allows "not asked" sends to unknown consent, never to opted out', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup)
    await contact(context, { label: 'jlt', channelId: channel.id, marketingConsent: 'unknown' })
    await contact(context, { label: 'jlt', channelId: channel.id, marketingConsent: 'opted_out' })
    await saveCampaignSettings(context, { allowUnknownConsent: true, requireApproval: false })
    const campaign = await createCampaign(context, input(channel.id, { allowUnknownConsent: true }))
    await launchCampaign(context, campaign.id)
    const { stats } = await waitForStats(
      context,
      campaign.id,
      (_s, row) => row.status === 'completed'
    )
    const rows = await recipientsOf(context, campaign.id)
    assert.deepInclude(stats, { targeted: 2, sent: 1, skipped: 1 }, JSON.stringify(rows))
    assert.sameMembers(
      rows.map((row) => row.skip_reason),
      [null, 'marketing_opted_out']
    )
  })

  test('a claim taken again after a crash meets the message already queued: no second send', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup)
    const people = await Promise.all(
      [1, 2, 3].map(() => contact(context, { label: 'jlt', channelId: channel.id }))
    )
    const campaign = await createCampaign(context, input(channel.id))
    const before = graph.sends().length
    await launchCampaign(context, campaign.id)
    await waitForStats(context, campaign.id, (s, row) => row.status === 'completed' && s.sent === 3)

    // As if a worker died after queueing the first message but before recording it.
    await context.transaction((trx) =>
      trx.rawQuery(
        `update campaign_recipients set status = 'sending', message_id = null,
                claimed_at = now() - interval '1 hour' where campaign_id = ? and contact_id = ?`,
        [campaign.id, people[0].id]
      )
    )
    await context.transaction((trx) =>
      trx.rawQuery(
        `update campaigns set status = 'running', generation = generation where id = ?`,
        [campaign.id]
      )
    )
    await resumeCampaign(context, campaign.id).catch(() => null)
    await pauseCampaign(context, campaign.id).catch(() => null)
    await resumeCampaign(context, campaign.id)
    await waitForStats(context, campaign.id, (_s, row) => row.status === 'completed')
    const rows = await recipientsOf(context, campaign.id)
    assert.isTrue(rows.every((row) => row.message_id))
    await sleep(300)
    assert.lengthOf(graph.sends().slice(before), 3)
    const messages = await context.transaction((trx) =>
      Message.query({ client: trx }).where('direction', 'outbound')
    )
    assert.lengthOf(messages, 3)
  })

  test('sends in flight when the worker died: reported ones are settled, never-started ones go at once, unreported ones go anew', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup)
    const [reported, silent, unsent] = await Promise.all(
      [1, 2, 3].map(() => contact(context, { label: 'jlt', channelId: channel.id }))
    )
    const campaign = await createCampaign(context, input(channel.id))
    await launchCampaign(context, campaign.id)
    await waitForStats(context, campaign.id, (s, row) => row.status === 'completed' && s.sent === 3)
    const sendsTo = (phone: string | null) =>
      graph.sends().filter((call) => call.body.to === digits(phone)).length
    for (const person of [reported, silent, unsent]) assert.equal(sendsTo(person.phone), 1)
    // The request carried our message id for WhatsApp to echo back.
    const first = Object.fromEntries(
      (await recipientsOf(context, campaign.id)).map((row) => [row.contact_id, row])
    )
    const sent = graph.sends().find((call) => call.body.to === digits(reported.phone))!
    assert.equal(sent.body.biz_opaque_callback_data, first[reported.id].message_id)

    // As if the worker died with the three in flight: the messages are
    // marked as being sent and have no WhatsApp id, the recipients claimed;
    // the third's request had not left yet (no started mark in Redis).
    await context.transaction(async (trx) => {
      await trx.rawQuery(
        `update messages set external_id = null, status = 'pending',
            payload = jsonb_set(payload, '{send}', jsonb_build_object('startedAt', (now() - interval '1 hour')::text))
          where direction = 'outbound'`
      )
      await trx.rawQuery(
        `update campaign_recipients set status = 'sending', sent_at = null,
            claimed_at = now() - interval '1 hour' where campaign_id = ?`,
        [campaign.id]
      )
      await trx.rawQuery(`update campaigns set status = 'paused' where id = ?`, [campaign.id])
    })
    await redis.del(`wa-started:${first[unsent.id].message_id}`)
    // WhatsApp's status webhook for the one it took names it by that id.
    const event = await context.transaction((trx) =>
      applyStatus(trx, context, {
        id: 'wamid.reported-after-crash',
        status: 'sent',
        recipient_id: digits(reported.phone),
        biz_opaque_callback_data: first[reported.id].message_id,
      })
    )
    assert.equal(event?.status, 'sent')
    const before = process.env.CAMPAIGN_DOUBT_MS
    process.env.CAMPAIGN_DOUBT_MS = '1500'
    try {
      await resumeCampaign(context, campaign.id)
      await waitForStats(
        context,
        campaign.id,
        (s, row) => row.status === 'completed' && s.sent === 3,
        20_000
      )
    } finally {
      if (before === undefined) delete process.env.CAMPAIGN_DOUBT_MS
      else process.env.CAMPAIGN_DOUBT_MS = before
    }
    await sleep(300)
    assert.equal(sendsTo(reported.phone), 1, 'the reported send is not made again')
    assert.equal(sendsTo(silent.phone), 2, 'the never-reported send is made anew')
    assert.equal(sendsTo(unsent.phone), 2, 'the send that never left goes')
    const messages = await context.transaction((trx) =>
      Message.query({ client: trx }).where('direction', 'outbound').orderBy('created_at')
    )
    const adopted = messages.find((m) => m.id === first[reported.id].message_id)!
    assert.equal(adopted.externalId, 'wamid.reported-after-crash')
    const abandoned = messages.find((m) => m.id === first[silent.id].message_id)!
    assert.equal(abandoned.status, 'failed')
    assert.equal(abandoned.errorTitle, 'Not sent: WhatsApp never reported it')
    // The unsent one's message was removed and written again under its key.
    assert.isUndefined(messages.find((m) => m.id === first[unsent.id].message_id))
    assert.lengthOf(
      messages.filter((m) => m.contactId === unsent.id),
      1
    )
    assert.lengthOf(messages, 4)
  })

  test('a send another sender left in doubt goes anew once WhatsApp reports later sends, before the doubt window', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup)
    const [silent, other] = await Promise.all(
      [1, 2].map(() => contact(context, { label: 'jlt', channelId: channel.id }))
    )
    const campaign = await createCampaign(context, input(channel.id))
    await launchCampaign(context, campaign.id)
    await waitForStats(context, campaign.id, (s, row) => row.status === 'completed' && s.sent === 2)
    const sendsTo = (phone: string | null) =>
      graph.sends().filter((call) => call.body.to === digits(phone)).length
    const rows = Object.fromEntries(
      (await recipientsOf(context, campaign.id)).map((row) => [row.contact_id, row])
    )
    const silentMessage = rows[silent.id].message_id

    // As if a sender died (or lost its lease) a moment ago with its request
    // under way: just started, so the 60-second doubt window is far off.
    await context.transaction(async (trx) => {
      await trx.rawQuery(
        `update messages set external_id = null, status = 'pending', sent_at = null,
            payload = jsonb_set(payload, '{send}', jsonb_build_object('startedAt', now()::text))
          where id = ?`,
        [silentMessage]
      )
      await trx.rawQuery(
        `update campaign_recipients set status = 'sending', sent_at = null,
            claimed_at = now() - interval '1 hour' where id = ?`,
        [rows[silent.id].id]
      )
      await trx.rawQuery(`update campaigns set status = 'paused' where id = ?`, [campaign.id])
      await trx.rawQuery(`update messages set sent_at = null where direction = 'outbound'`)
    })
    await redis.set(`wa-started:${silentMessage}`, 'sent:a-sender-that-died', 'EX', 600)
    await resumeCampaign(context, campaign.id)

    // Nothing reported since the takeover: it waits.
    await sleep(2000)
    assert.equal(sendsTo(silent.phone), 1)
    assert.equal(
      (await recipientsOf(context, campaign.id)).find((r) => r.contact_id === silent.id)?.status,
      'sending'
    )

    // WhatsApp reports a message sent well after the takeover: had it taken
    // the silent one, it would have reported it before.
    await context.transaction((trx) =>
      trx.rawQuery(`update messages set sent_at = now() + interval '1 minute' where id = ?`, [
        rows[other.id].message_id,
      ])
    )
    await waitForStats(
      context,
      campaign.id,
      (s, row) => row.status === 'completed' && s.sent === 2,
      30_000
    )
    await sleep(300)
    assert.equal(sendsTo(silent.phone), 2, 'sent anew')
    assert.equal(sendsTo(other.phone), 1)
    const abandoned = await context.transaction((trx) =>
      Message.query({ client: trx }).where('id', silentMessage).firstOrFail()
    )
    assert.equal(abandoned.status, 'failed')
    assert.equal(abandoned.errorTitle, 'Not sent: WhatsApp never reported it')
  }).timeout(60_000)

  test('a sender that may have lost its lease writes nothing: the send is withdrawn, marked never sent', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup)
    const person = await contact(context, { channelId: channel.id })
    const conversations = await conversationsForSendMany(context, [person.id], channel.id, {
      marketing: true,
    })
    const before = graph.sends().length
    const [outcome] = await sendTemplateBatch(
      context,
      channel,
      { name: 'spring_offer', language: 'en' },
      [
        {
          ref: 'r1',
          idempotencyKey: `fence-${person.id}`,
          conversationId: conversations.get(person.id)!.conversationId!,
          contactId: person.id,
          to: person.phone!,
          variables: ['Layla', 'JLT'],
        },
      ],
      { mayWrite: () => false, sender: 'a-stalled-sender' }
    )
    assert.equal(outcome.kind, 'withdrawn')
    await sleep(200)
    assert.equal(graph.sends().length, before)
    const left = await context.transaction((trx) =>
      Message.query({ client: trx }).where('idempotency_key', `fence-${person.id}`)
    )
    assert.lengthOf(left, 0)
  })

  test('WhatsApp errors: 130429 slows and retries, 131049 waits 24 h, 131050 withdraws consent, 131026 is final', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup)
    const mk = () => contact(context, { label: 'jlt', channelId: channel.id })
    const [busy, capped, stopped, absent] = await Promise.all([mk(), mk(), mk(), mk()])
    graph.failTo(busy.phone!, 400, 130429, 'Rate limit hit')
    graph.failTo(
      capped.phone!,
      400,
      131049,
      'This message was not delivered to maintain healthy ecosystem engagement.'
    )
    graph.failTo(
      stopped.phone!,
      400,
      131050,
      'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.'
    )
    graph.failTo(absent.phone!, 400, 131026, 'Message undeliverable')

    const campaign = await createCampaign(context, input(channel.id))
    await launchCampaign(context, campaign.id)
    const { stats } = await waitForStats(
      context,
      campaign.id,
      (s) => s.sent === 1 && s.failed === 3,
      40_000
    )
    assert.deepInclude(stats, { targeted: 4, sent: 1, failed: 3 })
    const rows = Object.fromEntries(
      (await recipientsOf(context, campaign.id)).map((row) => [row.contact_id, row])
    )
    assert.equal(rows[busy.id].status, 'sent')
    assert.lengthOf(
      graph.sends().filter((call) => call.body.to === digits(busy.phone)),
      2
    )
    assert.equal(rows[capped.id].error_code, 131049)
    assert.isTrue(rows[capped.id].retryable)
    assert.isAbove(new Date(rows[capped.id].retry_after).getTime(), Date.now() + 23 * 3600_000)
    assert.equal(rows[stopped.id].error_code, 131050)
    assert.isFalse(rows[stopped.id].retryable)
    assert.equal(rows[absent.id].error_code, 131026)
    assert.isFalse(rows[absent.id].retryable)
    const withdrawn = await context.transaction((trx) => Contact.find(stopped.id, { client: trx }))
    assert.equal(withdrawn!.marketingConsent, 'opted_out')
    assert.equal(withdrawn!.marketingConsentSource, 'whatsapp')

    // Nothing may be retried now: 131049 waits its 24 hours, the rest are final.
    assert.equal(await retryFailed(context, campaign.id), 0)
    await context.transaction((trx) =>
      trx.rawQuery(
        `update campaign_recipients set retry_after = now() - interval '1 minute' where id = ?`,
        [rows[capped.id].id]
      )
    )
    assert.equal(await retryFailed(context, campaign.id), 1)
    await waitForStats(context, campaign.id, (s) => s.sent === 2 && s.failed === 2)
  })

  test('pause stops sending, resume finishes, cancel skips the rest', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, { messagesPerSecond: 5 })
    await Promise.all(
      Array.from({ length: 12 }, () => contact(context, { label: 'jlt', channelId: channel.id }))
    )
    const campaign = await createCampaign(context, input(channel.id))
    await launchCampaign(context, campaign.id)
    await waitForStats(context, campaign.id, (s) => s.sent >= 2)
    await pauseCampaign(context, campaign.id)
    // What was already handed to the channel still goes; nothing after it.
    await sleep(1500)
    const paused = (await waitForStats(context, campaign.id, () => true)).stats
    assert.isBelow(paused.sent, 12)
    await sleep(1200)
    const still = (await waitForStats(context, campaign.id, () => true)).stats
    assert.equal(still.sent, paused.sent)

    await resumeCampaign(context, campaign.id)
    await waitForStats(context, campaign.id, (s) => s.sent > still.sent)
    await cancelCampaign(context, campaign.id)
    // A request already under way still goes; everything else is skipped.
    const { stats, campaign: row } = await waitForStats(
      context,
      campaign.id,
      (s) => s.sent + s.skipped === 12
    )
    assert.equal(row.status, 'cancelled')
    assert.isAbove(stats.skipped, 0)
  })

  test('the messaging tier caps new people in 24 hours, counting the channel’s other templates', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, { messagingTier: 3 })
    await Promise.all(
      Array.from({ length: 5 }, () => contact(context, { label: 'jlt', channelId: channel.id }))
    )
    // Someone else got a template from this number an hour ago.
    const other = await contact(context, { label: 'other', channelId: channel.id })
    await context.transaction(async (trx) => {
      const talk = await trx.rawQuery(`select id from conversations where contact_id = ?`, [
        other.id,
      ])
      await Message.create(
        {
          conversationId: talk.rows[0].id,
          contactId: other.id,
          channelId: channel.id,
          direction: 'outbound',
          type: 'template',
          status: 'delivered',
          authorType: 'system',
          createdAt: DateTime.now().minus({ hours: 1 }),
        } as any,
        { client: trx }
      )
    })
    const campaign = await createCampaign(context, input(channel.id))
    await launchCampaign(context, campaign.id)
    await waitForStats(context, campaign.id, (s) => s.sent === 2)
    await sleep(1500)
    const { stats, campaign: row } = await waitForStats(context, campaign.id, () => true)
    assert.equal(stats.sent, 2)
    assert.equal(stats.queued, 3)
    assert.equal(row.status, 'running')
    await pauseCampaign(context, campaign.id)
  })

  test('the rate: never more than the channel’s messages per second in any second', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, { messagesPerSecond: 10 })
    await Promise.all(
      Array.from({ length: 30 }, () => contact(context, { label: 'jlt', channelId: channel.id }))
    )
    const campaign = await createCampaign(context, input(channel.id))
    const before = graph.sends().length
    await launchCampaign(context, campaign.id)
    await waitForStats(context, campaign.id, (s) => s.sent === 30, 30_000)
    const times = graph
      .sends()
      .slice(before)
      .map((call) => call.at)
      .sort((a, b) => a - b)
    let most = 0
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= 1000) j++
      most = Math.max(most, i - j + 1)
    }
    assert.isAtMost(most, 10)
    assert.isAtLeast(times[times.length - 1] - times[0], 1900)
  })
})
