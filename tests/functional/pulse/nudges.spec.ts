import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { saveNudgeRule, NUDGE_KIND, type NudgeRuleInput } from '#modules/pulse/index'
import {
  customer,
  messages,
  postWebhook,
  startInboundWorkers,
  waitFor,
  webhook,
} from '#tests/helpers/whatsapp'
import { campaignTenant } from './campaign_fixtures.js'
import {
  agentSays,
  clockAt,
  conversationOf,
  dueOf,
  rowsOf,
  runAt,
  systemMessages,
} from './outreach_fixtures.js'

function rule(overrides: Partial<NudgeRuleInput> = {}): NudgeRuleInput {
  return {
    name: 'Proposal follow-up',
    enabled: true,
    label: null,
    afterHours: 4,
    maxNudges: 2,
    message: 'Any thoughts on the proposal, {{contact.name|there}}?',
    templateName: 'policy_notice',
    templateLanguage: 'en',
    templateVariables: ['{{contact.name|there}}'],
    finalAction: 'label',
    finalLabel: 'cold',
    // None, so the steps below run at whatever hour the suite does.
    quietStart: null,
    quietEnd: null,
    ...overrides,
  }
}

test.group('Follow-up nudges', () => {
  test('silence after our message earns a free-form nudge every N hours, at most K, then a label', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'ndg')
    const t0 = DateTime.now().startOf('minute')
    clockAt(cleanup, t0)
    await saveNudgeRule(context, null, rule())
    const { conversationId } = await customer(context, channel, { hoursAgo: 1 })
    await agentSays(context, conversationId, 'Here is the proposal we discussed.')

    const pending = await dueOf(context, { kind: NUDGE_KIND, refId: conversationId })
    assert.lengthOf(pending, 1)
    assert.equal(pending[0].dueAt.toMillis(), t0.plus({ hours: 4 }).toMillis())

    await runAt(context, t0.plus({ hours: 3, minutes: 59 }))
    assert.lengthOf(await systemMessages(context, conversationId), 0, 'not before N hours')

    await runAt(context, t0.plus({ hours: 4 }))
    let sent = await systemMessages(context, conversationId)
    assert.lengthOf(sent, 1)
    assert.equal(sent[0].type, 'text', 'inside the window: free-form')
    assert.equal(sent[0].body, 'Any thoughts on the proposal, there?')

    // The nudge does not restart the wait; the second comes N hours after the first.
    await runAt(context, t0.plus({ hours: 8 }))
    sent = await systemMessages(context, conversationId)
    assert.lengthOf(sent, 2)

    // K reached: N hours later the conversation is labelled, nothing more is sent.
    await runAt(context, t0.plus({ hours: 12 }))
    await runAt(context, t0.plus({ hours: 30 }))
    assert.lengthOf(await systemMessages(context, conversationId), 2)
    assert.include((await conversationOf(context, conversationId)).labels, 'cold')
    const [thread] = await rowsOf(context, 'nudge_threads')
    assert.equal(thread.status, 'finished')
    assert.equal(thread.nudges_sent, 2)
  })

  test('a nudge falling due in the quiet hours (the contact’s own clock) waits until they end', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'ndg')
    const t0 = DateTime.now().startOf('minute')
    clockAt(cleanup, t0)
    const { conversationId, contactId } = await customer(context, channel, { hoursAgo: 1 })
    await context.transaction((trx) =>
      trx.rawQuery(`update contacts set time_zone = 'Asia/Dubai' where id = ?`, [contactId])
    )
    // Quiet from an hour before the nudge falls due (Dubai time) until two hours after it,
    // whatever the hour the suite runs at.
    const due = t0.plus({ hours: 4 })
    const local = due.setZone('Asia/Dubai')
    const minute = local.hour * 60 + local.minute
    await saveNudgeRule(
      context,
      null,
      rule({ quietStart: (minute + 1380) % 1440, quietEnd: (minute + 120) % 1440 })
    )
    await agentSays(context, conversationId, 'Here is the proposal we discussed.')

    const held = await runAt(context, due)
    assert.equal(held.deferred, 1)
    assert.lengthOf(await systemMessages(context, conversationId), 0, 'nothing in the quiet hours')
    const [waiting] = await dueOf(context, {
      kind: NUDGE_KIND,
      refId: conversationId,
      statuses: ['pending'],
    })
    assert.equal(waiting.dueAt.toMillis(), due.plus({ hours: 2 }).toMillis())
    const [thread] = await rowsOf(context, 'nudge_threads')
    assert.equal(thread.last_outcome, 'quiet_hours')

    await runAt(context, due.plus({ hours: 1, minutes: 59 }))
    assert.lengthOf(await systemMessages(context, conversationId), 0)
    await runAt(context, due.plus({ hours: 2 }))
    const sent = await systemMessages(context, conversationId)
    assert.lengthOf(sent, 1, 'sent when the quiet hours end')
    assert.equal(sent[0].body, 'Any thoughts on the proposal, there?')
    // The next nudge counts from when this one went.
    const [next] = await dueOf(context, {
      kind: NUDGE_KIND,
      refId: conversationId,
      statuses: ['pending'],
    })
    assert.equal(next.dueAt.toMillis(), due.plus({ hours: 6 }).toMillis())
  })

  test('outside the 24-hour window the nudge is the rule’s template; without one it is skipped, saying why', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'ndg')
    const t0 = DateTime.now().startOf('minute')
    clockAt(cleanup, t0)
    const first = await saveNudgeRule(context, null, rule({ maxNudges: 1, finalAction: 'resolve' }))
    const closed = await customer(context, channel, { hoursAgo: 30 })
    // A closed window refuses free-form text: the business wrote a template.
    const { queueOutboundMessage } = await import('#modules/channels/index')
    await queueOutboundMessage(context, {
      conversationId: closed.conversationId,
      content: { type: 'template', name: 'policy_notice', language: 'en', variables: ['Omar'] },
      authorType: 'agent',
    })
    await runAt(context, t0.plus({ hours: 4 }))
    const [nudge] = await systemMessages(context, closed.conversationId)
    assert.equal(nudge.type, 'template')
    assert.deepEqual((nudge.payload as any).content.variables, ['there'])
    // One nudge, then resolved.
    await runAt(context, t0.plus({ hours: 8 }))
    assert.equal((await conversationOf(context, closed.conversationId)).status, 'resolved')

    await saveNudgeRule(context, first.id, rule({ enabled: false }))
    await saveNudgeRule(context, null, rule({ name: 'No template', templateName: null }))
    const other = await customer(context, channel, { hoursAgo: 30 })
    await queueOutboundMessage(context, {
      conversationId: other.conversationId,
      content: { type: 'template', name: 'policy_notice', language: 'en', variables: ['Sam'] },
      authorType: 'agent',
    })
    await runAt(context, t0.plus({ hours: 4 }))
    assert.lengthOf(await systemMessages(context, other.conversationId), 0)
    const threads = await rowsOf(context, 'nudge_threads', 'conversation_id = ?', [
      other.conversationId,
    ])
    const skipped = threads.find((t) => t.last_outcome === 'skipped:window_closed')
    assert.exists(skipped, JSON.stringify(threads))
  })

  test('a rule with a label waits only in conversations carrying it', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'ndg')
    clockAt(cleanup, DateTime.now())
    await saveNudgeRule(context, null, rule({ label: 'Proposal' }))
    const plain = await customer(context, channel)
    const labelled = await customer(context, channel, { labels: ['proposal'] })
    await agentSays(context, plain.conversationId, 'Hello')
    await agentSays(context, labelled.conversationId, 'The proposal')
    assert.lengthOf(await dueOf(context, { kind: NUDGE_KIND, refId: plain.conversationId }), 0)
    assert.lengthOf(await dueOf(context, { kind: NUDGE_KIND, refId: labelled.conversationId }), 1)
  })

  test('the customer’s reply cancels the pending nudges at once', async ({ assert, cleanup }) => {
    const made = await campaignTenant(cleanup, {}, 'ndg')
    const { context, channel } = made
    const workers = await startInboundWorkers()
    cleanup(() => workers.stop())
    const t0 = DateTime.now().startOf('minute')
    clockAt(cleanup, t0)
    await saveNudgeRule(context, null, rule())
    const { conversationId, phone } = await customer(context, channel)
    await agentSays(context, conversationId, 'Here is the proposal.')
    assert.lengthOf(
      await dueOf(context, { kind: NUDGE_KIND, refId: conversationId, statuses: ['pending'] }),
      1
    )

    const posted = await postWebhook(
      webhook(made, { messages: [messages.text({ from: phone.slice(1) }, 'Looks good')] }),
      made.appSecret
    )
    assert.equal(posted.status, 200)
    await waitFor(async () => {
      const rows = await dueOf(context, { kind: NUDGE_KIND, refId: conversationId })
      return rows.length === 1 && rows[0].status === 'cancelled'
    })
    await runAt(context, t0.plus({ hours: 5 }))
    assert.lengthOf(await systemMessages(context, conversationId), 0)
    const [thread] = await rowsOf(context, 'nudge_threads')
    assert.equal(thread.status, 'replied')
  })
})
