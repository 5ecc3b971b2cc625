import { test } from '@japa/runner'
import { setTimeout as sleep } from 'node:timers/promises'
import { Campaign, CampaignDispatchJob, createCampaign, launchCampaign } from '#modules/pulse/index'
import { leaseHolder } from '#modules/pulse/services/campaign_lease'
import type { TenantContext } from '#modules/tenancy/index'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { useFakeGraph, type FakeGraphServer } from '#tests/helpers/fake_graph_server'
import { campaignTenant, contact, waitForStats } from './campaign_fixtures.js'

/*
| The number's rate holds in every one-second window at WhatsApp (the local
| Graph server's clock), whatever sends on the number at once: the same
| dispatch job run twice (the queue re-runs a job whose worker looked dead
| while its first run still sends), or two campaigns on one number.
*/

// Campaigns space their requests at 4 a second on a number allowed 6 (two a
// second kept as room for requests that reach WhatsApp early or late).
const RATE = 6

function input(channelId: string, label: string) {
  return {
    name: `Rate ${label}`,
    channelId,
    template: {
      name: 'spring_offer',
      language: 'en',
      variables: { '1': '{{contact.name}}', '2': '{{contact.area|Dubai}}' },
    },
    audience: { labels: [label] },
    quiet: { start: null, end: null },
  }
}

/** The most sends to `phoneNumberId` in any one-second window since `from` (an index in sends()). */
function busiestSecond(graph: FakeGraphServer, from: number, phoneNumberId: string) {
  const times = graph
    .sends()
    .slice(from)
    .filter((call) => call.path.includes(`/${phoneNumberId}/`))
    .map((call) => call.at)
    .sort((a, b) => a - b)
  let most = 0
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 1000) j++
    most = Math.max(most, i - j + 1)
  }
  return { most, count: times.length }
}

async function audience(context: TenantContext, channelId: string, label: string, n: number) {
  await Promise.all(Array.from({ length: n }, () => contact(context, { label, channelId })))
}

test.group('Campaigns: the number’s rate under concurrent senders', (group) => {
  const graph = useFakeGraph(group)
  withDefaultQueueWorker(group)

  test('a dispatch job run a second time while its first run sends does not double the rate', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, phoneNumberId } = await campaignTenant(cleanup, {
      messagesPerSecond: RATE,
    })
    await audience(context, channel.id, 'jlt', 24)
    const created = await createCampaign(context, input(channel.id, 'jlt'))
    const before = graph.sends().length
    await launchCampaign(context, created.id)
    // The first run holds the lease once it sends; its chain is the lease's first part.
    let holder: string | null = null
    for (let i = 0; i < 100 && !holder; i++) {
      holder = await leaseHolder(context.slug, created.id)
      if (!holder) await sleep(50)
    }
    assert.isString(holder)
    const campaign = await context.transaction((trx) =>
      Campaign.findOrFail(created.id, { client: trx })
    )
    // The same job again (same payload: the queue's stalled-job re-run), in this process.
    const again = new CampaignDispatchJob().run(context, {
      tenant: context.slug,
      campaignId: created.id,
      generation: campaign.generation,
      chain: holder!.split(':')[0],
    })
    await waitForStats(context, created.id, (s) => s.sent === 24, 30_000)
    await again
    const { most, count } = busiestSecond(graph, before, phoneNumberId)
    assert.equal(count, 24)
    assert.isAtMost(most, RATE)
  }).timeout(60_000)

  test('two campaigns on one number share its rate', async ({ assert, cleanup }) => {
    const { context, channel, phoneNumberId } = await campaignTenant(cleanup, {
      messagesPerSecond: RATE,
    })
    await audience(context, channel.id, 'jlt', 12)
    await audience(context, channel.id, 'marina', 12)
    const first = await createCampaign(context, input(channel.id, 'jlt'))
    const second = await createCampaign(context, input(channel.id, 'marina'))
    const before = graph.sends().length
    await Promise.all([launchCampaign(context, first.id), launchCampaign(context, second.id)])
    await waitForStats(context, first.id, (s) => s.sent === 12, 30_000)
    await waitForStats(context, second.id, (s) => s.sent === 12, 30_000)
    const { most, count } = busiestSecond(graph, before, phoneNumberId)
    assert.equal(count, 24)
    assert.isAtMost(most, RATE)
    // Together they still use the number well (at least half its rate: the pace is two thirds).
    const times = graph
      .sends()
      .slice(before)
      .map((call) => call.at)
      .sort((a, b) => a - b)
    assert.isAtLeast(23 / ((times[23] - times[0]) / 1000), RATE * 0.5)
  }).timeout(60_000)
})
