import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { createSubscription } from '#modules/integrations/services/webhook_subscription_service'
import { enrollContact, saveCheckinPlan, saveDateRule } from '#modules/pulse/index'
import { defineContactFields } from '#tests/helpers/contact_fields'
import {
  customer,
  postWebhook,
  startInboundWorkers,
  unix,
  waitFor,
  wamid,
  webhook,
} from '#tests/helpers/whatsapp'
import { campaignTenant, contact } from './campaign_fixtures.js'
import { clockAt, rowsOf, runAt } from './outreach_fixtures.js'
import { fixClock } from '#app/clock'

/** The events published to the workspace's webhooks (their bodies as delivered). */
async function published(context: any, type: string) {
  const rows = await rowsOf(context, 'webhook_deliveries', 'event_type = ?', [type])
  return rows.map((row) => JSON.parse(row.body))
}

test.group('Outreach events (webhooks)', () => {
  test('renewal.due carries the reminder to the workspace’s subscribers, and only its own', async ({
    assert,
    cleanup,
  }) => {
    const home = await campaignTenant(cleanup, {}, 'evta')
    const away = await campaignTenant(cleanup, {}, 'evtb')
    for (const made of [home, away]) {
      await defineContactFields(made.context, [{ key: 'policy_end_date', type: 'date' }])
      await createSubscription(made.context, {
        url: 'https://hooks.example.test/flomastr',
        events: ['renewal.due', 'checkin.answered'],
      })
    }
    clockAt(cleanup, '2026-03-01T00:00:00Z')
    const layla = await contact(home.context, {
      name: 'Layla',
      timeZone: 'UTC',
      attributes: { policy_end_date: '2026-04-15' },
    })
    const rule = await saveDateRule(home.context, null, {
      name: 'Policy renewals',
      enabled: true,
      fieldKey: 'policy_end_date',
      offsets: [-30],
      localTime: '10:00',
      channelId: null,
      message: null,
      templateName: null,
      templateLanguage: null,
      templateVariables: [],
      createTask: true,
      taskTitle: null,
    })
    await runAt(home.context, DateTime.fromISO('2026-03-16T10:00:00Z'))
    const [event] = await published(home.context, 'renewal.due')
    assert.equal(event.type, 'renewal.due')
    assert.deepInclude(event.data, {
      field: 'policy_end_date',
      date: '2026-04-15',
      offset_days: -30,
      status: 'sent',
      renewal_status: 'reminded',
    })
    assert.deepEqual(event.data.rule, { id: rule.id, name: 'Policy renewals' })
    assert.equal(event.data.contact.id, layla.id)
    assert.isString(event.data.task_id)
    assert.lengthOf(await published(away.context, 'renewal.due'), 0)
  })

  test('checkin.answered carries the answer', async ({ assert, cleanup }) => {
    const made = await campaignTenant(cleanup, {}, 'evtc')
    const workers = await startInboundWorkers()
    cleanup(() => workers.stop())
    await createSubscription(made.context, {
      url: 'https://hooks.example.test/flomastr',
      events: ['checkin.answered'],
    })
    clockAt(cleanup, '2026-12-06T10:00:00Z')
    const plan = await saveCheckinPlan(made.context, null, {
      name: 'Morning',
      enabled: true,
      days: [1],
      localTime: '08:00',
      question: 'Done?',
      answers: ['Done', 'Not yet'],
      followUp: null,
      nudgeAfterHours: null,
      nudgeText: null,
      tag: null,
      channelId: null,
      templateName: null,
      templateLanguage: null,
      templateVariables: [],
    })
    const client = await customer(made.context, made.channel)
    await enrollContact(made.context, plan.id, client.contactId)
    await runAt(made.context, DateTime.fromISO('2026-12-07T08:00:00Z'))
    const [checkin] = await rowsOf(made.context, 'checkins')
    const release = fixClock('2026-12-07T08:05:00Z')
    try {
      await postWebhook(
        webhook(made, {
          messages: [
            {
              from: client.phone.slice(1),
              id: wamid(),
              timestamp: unix(),
              type: 'interactive',
              interactive: {
                type: 'button_reply',
                button_reply: { id: `checkin:${checkin.id}:0`, title: 'Done' },
              },
            } as any,
          ],
        }),
        made.appSecret
      )
      await waitFor(async () => (await published(made.context, 'checkin.answered')).length === 1)
    } finally {
      release()
    }
    const [event] = await published(made.context, 'checkin.answered')
    assert.deepInclude(event.data, {
      id: String(checkin.id),
      day: '2026-12-07',
      status: 'answered',
      answer: 'Done',
      answer_index: 0,
    })
    assert.deepEqual(event.data.plan, { id: plan.id, name: 'Morning' })
    assert.equal(event.data.contact.id, client.contactId)
  })
})
