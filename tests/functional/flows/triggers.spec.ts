import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { setTimeout as sleep } from 'node:timers/promises'
import { endSession, type FlowGraph } from '#modules/flows/index'
import { createCampaign, launchCampaign, type CampaignInput } from '#modules/pulse/index'
import type { TenantContext } from '#modules/tenancy/index'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { unix, waId, wamid } from '#tests/helpers/whatsapp'
import { contact, waitForStats } from '#tests/functional/pulse/campaign_fixtures'
import {
  conversationOf,
  flowMessages,
  flowTenant,
  intakeGraph,
  publishedFlow,
  runAt,
  say,
  sessionsOf,
  typed,
} from './flow_fixtures.js'

/*
| Triggers from where the customer came: a click-to-WhatsApp ad (the
| referral WhatsApp puts on their first message, kept by the webhook
| parser) and a reply to a campaign; and the message node's URL button,
| sent as WhatsApp's cta_url message.
*/

type Made = Awaited<ReturnType<typeof flowTenant>>

function fromAd(from: string, body: string, sourceId: string, sourceType = 'ad') {
  return {
    from,
    id: wamid(),
    timestamp: unix(),
    type: 'text',
    text: { body },
    referral: {
      source_url: `https://fb.me/${sourceId}`,
      source_id: sourceId,
      source_type: sourceType,
      headline: 'Cover for your new car',
      body: 'Quotes in five minutes',
      ctwa_clid: `clid-${sourceId}`,
    },
  }
}

async function sessionOn(context: TenantContext, flowId: string, from: string) {
  const conversation = await conversationOf(context, from)
  if (!conversation) return null
  return (await sessionsOf(context, flowId)).find((s) => s.conversation_id === conversation.id)
}

async function sessionOf(context: TenantContext, flowId: string, contactId: string) {
  return (await sessionsOf(context, flowId)).find((s) => s.contact_id === contactId)
}

/** A campaign of the "policy_notice" template to the contacts labelled `label`, sent. */
async function sentCampaign(made: Made, label: string, name: string, contacts: number) {
  const input: CampaignInput = {
    name,
    channelId: made.channel.id,
    template: { name: 'policy_notice', language: 'en', variables: { '1': 'friend' } },
    audience: { labels: [label] },
    quiet: { start: null, end: null },
  }
  const campaign = await createCampaign(made.context, input)
  await launchCampaign(made.context, campaign.id)
  await waitForStats(made.context, campaign.id, (s) => s.sent === contacts)
  return campaign
}

const digits = (phone: string | null) => String(phone).replace(/\D/g, '')

test.group('Flow triggers: ads, campaign replies; URL buttons', (group) => {
  const graph = useFakeGraph(group)
  withDefaultQueueWorker(group)

  test('a click-to-WhatsApp ad starts the flow of that ad (before one on any ad, and before a keyword); the message keeps its referral; another tenant’s ad messages start nothing here', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup, 'fad')
    const { context } = made
    const keyword = await publishedFlow(context, intakeGraph('Keyword intake'))
    const anyAd = await publishedFlow(context, intakeGraph('From an ad'), {
      name: 'Any ad',
      triggers: { referrals: ['*'] },
    })
    const carAd = await publishedFlow(context, intakeGraph('Car cover, from the ad'), {
      name: 'Car ad',
      triggers: { referrals: ['120208'] },
    })
    const now = DateTime.now()

    // The ad's prefilled text is also the keyword: the ad wins.
    const layla = waId()
    const first = await say(made, fromAd(layla, 'insurance', '120208'), now)
    const session = await sessionOn(context, carAd.id, layla)
    assert.equal(session?.source, 'referral')
    const stored = await db.rawQuery(
      `select payload from ${context.table('messages')} where id = ?`,
      [first]
    )
    assert.deepInclude(stored.rows[0].payload.referral, {
      source_id: '120208',
      source_type: 'ad',
      ctwa_clid: 'clid-120208',
    })

    const omar = waId()
    await say(made, fromAd(omar, 'Hello', '777001'), now)
    assert.equal((await sessionOn(context, anyAd.id, omar))?.source, 'referral')
    assert.isUndefined(await sessionOn(context, carAd.id, omar))
    // A post is no ad: "any ad" does not take it.
    const rami = waId()
    await say(made, fromAd(rami, 'Hello', '555002', 'post'), now)
    assert.isUndefined(await sessionOn(context, anyAd.id, rami))

    // Without a referral: the keyword flow, and nothing for a plain hello.
    const sara = waId()
    await say(made, typed(sara, 'insurance'), now)
    assert.equal((await sessionOn(context, keyword.id, sara))?.source, 'keyword')
    const noor = waId()
    await say(made, typed(noor, 'hello'), now)
    assert.lengthOf(await sessionsOf(context, anyAd.id), 1)

    // Another tenant: the same ad id on its number starts nothing in this one.
    const other = await flowTenant(cleanup, 'fab')
    const stranger = waId()
    await say(other, fromAd(stranger, 'insurance', '120208'), now)
    assert.lengthOf(await sessionsOf(context, carAd.id), 1)
    assert.lengthOf(await sessionsOf(context, anyAd.id), 1)
    const theirs = await db.rawQuery(
      `select count(*)::int as n from ${other.context.table('flow_sessions')}`
    )
    assert.equal(theirs.rows[0].n, 0)
  })

  test('the first reply to a campaign starts the flow of that campaign (or of any campaign); later messages, other customers and another tenant’s campaign replies do not', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup, 'fcr')
    const { context, channel } = made
    const a = await contact(context, { label: 'renewal', channelId: channel.id })
    const b = await contact(context, { label: 'winback', channelId: channel.id })
    const c = await contact(context, { label: 'nobody', channelId: channel.id })
    const renewal = await sentCampaign(made, 'renewal', 'Renewals', 1)
    await sentCampaign(made, 'winback', 'Win back', 1)
    const onRenewal = await publishedFlow(context, intakeGraph('About your renewal'), {
      name: 'Renewal replies',
      triggers: { campaign_ids: [renewal.id] },
    })
    const onAny = await publishedFlow(context, intakeGraph('Thanks for replying'), {
      name: 'Any campaign',
      triggers: { campaign_ids: ['*'] },
    })
    const now = DateTime.now()

    await say(made, typed(digits(a.phone), 'Yes please, call me'), now)
    const started = await sessionOf(context, onRenewal.id, a.id)
    assert.equal(started?.source, 'campaign_reply')
    // Their next message (the flow ended meanwhile) is no first reply: nothing starts.
    await endSession(context, started!.id, 'stopped', 'test', now)
    await say(made, typed(digits(a.phone), 'And one more thing'), now.plus({ minutes: 1 }))
    assert.lengthOf(await sessionsOf(context, onRenewal.id), 1)
    assert.lengthOf(await sessionsOf(context, onAny.id), 0)

    await say(made, typed(digits(b.phone), 'Tell me more'), now)
    assert.equal((await sessionOf(context, onAny.id, b.id))?.source, 'campaign_reply')

    // Never sent a campaign: nothing.
    await say(made, typed(digits(c.phone), 'Hello'), now)
    assert.lengthOf(await sessionsOf(context, onAny.id), 1)

    // Another tenant's campaign reply starts nothing here (nor there: it has no flow).
    const other = await flowTenant(cleanup, 'fcs')
    const d = await contact(other.context, { label: 'renewal', channelId: other.channel.id })
    await sentCampaign(other, 'renewal', 'Their renewals', 1)
    await say(other, typed(digits(d.phone), 'Yes please'), now)
    assert.lengthOf(await sessionsOf(context, onAny.id), 1)
    assert.lengthOf(await sessionsOf(context, onRenewal.id), 1)
    const theirs = await db.rawQuery(
      `select count(*)::int as n from ${other.context.table('flow_sessions')}`
    )
    assert.equal(theirs.rows[0].n, 0)
  })

  test('a message node’s URL button goes to WhatsApp as an interactive cta_url message', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup, 'fct')
    const { context } = made
    const withLink: FlowGraph = {
      nodes: [
        {
          id: 'plans',
          type: 'message',
          position: { x: 0, y: 0 },
          data: {
            text: 'Our plans for you, {{contact.name}}:',
            url: { title: 'See the plans', url: 'https://example.com/plans?ref=flow' },
          },
        },
        { id: 'bye', type: 'end', position: { x: 0, y: 1 }, data: {} },
      ],
      edges: [{ from: 'plans', port: 'next', to: 'bye' }],
    }
    const flow = await publishedFlow(context, withLink, { triggers: { keywords: ['plans'] } })
    const from = waId()
    const now = DateTime.now()
    await say(made, typed(from, 'plans'), now)
    await runAt(context, now)
    const { id: conversationId } = await conversationOf(context, from)
    const [sent] = await flowMessages(context, conversationId)
    assert.equal(sent.type, 'interactive')
    assert.equal((await sessionsOf(context, flow.id))[0].status, 'completed')

    let call = null
    for (let i = 0; i < 100 && !call; i++) {
      call = graph
        .sends()
        .find((c) => c.body?.to === from && c.body?.interactive?.type === 'cta_url')
      if (!call) await sleep(100)
    }
    assert.exists(call, 'the fake Graph API received the cta_url message')
    assert.deepEqual(call!.body.interactive, {
      type: 'cta_url',
      body: { text: 'Our plans for you, Layla:' },
      action: {
        name: 'cta_url',
        parameters: { display_text: 'See the plans', url: 'https://example.com/plans?ref=flow' },
      },
    })
    // Accepted (the fake refuses a malformed one with 131009): it has its wamid.
    let externalId: string | null = null
    for (let i = 0; i < 100 && !externalId; i++) {
      const row = await db.rawQuery(
        `select external_id from ${context.table('messages')} where id = ?`,
        [sent.id]
      )
      externalId = row.rows[0].external_id
      if (!externalId) await sleep(100)
    }
    assert.match(String(externalId), /^wamid\./)
  })
})
