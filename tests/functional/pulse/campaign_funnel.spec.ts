import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { Message } from '#modules/channels/index'
import { findTask, resolveTask } from '#modules/hitl/index'
import { createCampaign, launchCampaign, type CampaignInput } from '#modules/pulse/index'
import { systemActor } from '#modules/tenancy/index'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import {
  messages,
  postWebhook,
  startInboundWorkers,
  status,
  webhook,
} from '#tests/helpers/whatsapp'
import { campaignTenant, contact, recipientsOf, waitForStats } from './campaign_fixtures.js'

function input(channelId: string, overrides: Partial<CampaignInput> = {}): CampaignInput {
  return {
    name: 'Renewals',
    channelId,
    template: {
      name: 'policy_notice',
      language: 'en',
      variables: { '1': '{{contact.name|friend}}' },
    },
    audience: { labels: ['renewal'] },
    quiet: { start: null, end: null },
    ...overrides,
  }
}

test.group('Campaigns: funnel, schedule and approval', (group) => {
  useFakeGraph(group)
  withDefaultQueueWorker(group)
  let pool: Awaited<ReturnType<typeof startInboundWorkers>>
  group.setup(async () => {
    pool = await startInboundWorkers()
    return () => pool.stop()
  })

  test('delivered, read, cost category and replies within 72 h come from WhatsApp’s webhooks', async ({
    assert,
    cleanup,
  }) => {
    const made = await campaignTenant(cleanup)
    const { context, channel } = made
    const a = await contact(context, { label: 'renewal', channelId: channel.id })
    const b = await contact(context, { label: 'renewal', channelId: channel.id })
    const campaign = await createCampaign(context, input(channel.id))
    await launchCampaign(context, campaign.id)
    await waitForStats(context, campaign.id, (s) => s.sent === 2)
    const rows = await recipientsOf(context, campaign.id)
    const wamids = await context.transaction(async (trx) =>
      Object.fromEntries(
        (
          await Message.query({ client: trx }).whereIn(
            'id',
            rows.map((r) => r.message_id)
          )
        ).map((m) => [m.contactId, m.externalId!])
      )
    )
    const pricing = { billable: true, pricing_model: 'PMP', category: 'utility' }
    const response = await postWebhook(
      webhook(made, {
        statuses: [
          status(wamids[a.id], 'sent', { pricing }),
          status(wamids[a.id], 'delivered', { pricing }),
          status(wamids[a.id], 'read', { pricing }),
          status(wamids[b.id], 'failed', {
            error: { code: 131026, title: 'Message undeliverable' },
          }),
        ],
      }),
      made.appSecret
    )
    assert.equal(response.status, 200)
    const { stats } = await waitForStats(
      context,
      campaign.id,
      (s) => s.read === 1 && s.failed === 1
    )
    assert.deepInclude(stats, {
      targeted: 2,
      sent: 2,
      delivered: 1,
      read: 1,
      failed: 1,
      replied: 0,
    })
    const after = Object.fromEntries(
      (await recipientsOf(context, campaign.id)).map((r) => [r.contact_id, r])
    )
    assert.equal(after[a.id].cost_category, 'utility')
    assert.equal(after[b.id].error_code, 131026)
    assert.equal(after[b.id].error_title, 'Message undeliverable')

    // The customer answers: a reply to the campaign.
    await postWebhook(
      webhook(made, {
        messages: [messages.text({ from: a.phone!.replace(/\D/g, '') }, 'Yes please, call me')],
      }),
      made.appSecret
    )
    await waitForStats(context, campaign.id, (s) => s.replied === 1)
  })

  test('each contact’s own time zone and quiet hours decide when it is due', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup)
    const dubai = await contact(context, {
      label: 'renewal',
      channelId: channel.id,
      timeZone: 'Asia/Dubai',
    })
    const york = await contact(context, {
      label: 'renewal',
      channelId: channel.id,
      timeZone: 'America/New_York',
    })
    const late = await createCampaign(
      context,
      input(channel.id, {
        scheduleAt: DateTime.fromISO('2031-03-10T10:00:00'),
        localTime: true,
        quiet: { start: 21 * 60, end: 9 * 60 },
      })
    )
    await launchCampaign(context, late.id)
    const due = Object.fromEntries(
      (await recipientsOf(context, late.id)).map((r) => [
        r.contact_id,
        new Date(r.due_at).toISOString(),
      ])
    )
    assert.equal(due[dubai.id], '2031-03-10T06:00:00.000Z')
    assert.equal(due[york.id], '2031-03-10T14:00:00.000Z')

    // 22:30 in Dubai is quiet: the message waits for 09:00 there.
    const quiet = await createCampaign(
      context,
      input(channel.id, {
        name: 'Late night',
        scheduleAt: DateTime.fromISO('2031-03-10T18:30:00Z'),
        quiet: { start: 21 * 60, end: 9 * 60 },
      })
    )
    await launchCampaign(context, quiet.id)
    const quietDue = Object.fromEntries(
      (await recipientsOf(context, quiet.id)).map((r) => [
        r.contact_id,
        new Date(r.due_at).toISOString(),
      ])
    )
    assert.equal(quietDue[dubai.id], '2031-03-11T05:00:00.000Z')
    assert.equal(quietDue[york.id], '2031-03-10T18:30:00.000Z')
  })

  test('a campaign needing approval opens an owner’s task; approving launches it', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup)
    await contact(context, { label: 'renewal', channelId: channel.id })
    await contact(context, { label: 'renewal', channelId: channel.id })
    const campaign = await createCampaign(context, input(channel.id, { requiresApproval: true }))
    const waiting = await launchCampaign(context, campaign.id)
    assert.equal(waiting.status, 'awaiting_approval')
    const task = await findTask(context, waiting.approvalTaskId!)
    assert.equal(task!.kind, 'campaign_approval')
    assert.equal(task!.assigneeRole, 'owner')
    const preview = task!.components.find((c) => c.type === 'message_preview') as any
    assert.deepEqual(preview.template, {
      name: 'policy_notice',
      language: 'en',
      variables: ['{{contact.name|friend}}'],
    })
    const facts = task!.components.find((c) => c.type === 'key_values') as any
    assert.deepInclude(facts.items, { label: 'Audience', value: 2 })
    assert.equal((await recipientsOf(context, campaign.id)).length, 0)

    await resolveTask(
      context,
      task!.id,
      { decision: 'approve' },
      { by: { type: 'system', id: null, name: null }, audit: systemActor }
    )
    const { stats } = await waitForStats(
      context,
      campaign.id,
      (s, row) => row.status === 'completed' && s.sent === 2
    )
    assert.equal(stats.targeted, 2)
  })
})
