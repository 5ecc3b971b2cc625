import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { setTimeout as sleep } from 'node:timers/promises'
import { fixClock } from '#app/clock'
import { replyToInboundMessage, assistantStateOf } from '#modules/brain/index'
import { endSession, findFlow, importGraph, publishFlow, startSession } from '#modules/flows/index'
import { runFlowStep } from '#modules/flows/services/runtime'
import { claimDue } from '#modules/pulse/index'
import { createSubscription } from '#modules/integrations/services/webhook_subscription_service'
import WebhookDelivery from '#modules/integrations/models/webhook_delivery'
import type { TenantContext } from '#modules/tenancy/index'
import { customer, unix, waId, wamid } from '#tests/helpers/whatsapp'
import {
  conversationOf,
  flowMessages,
  flowTenant,
  intakeGraph,
  publishedFlow,
  runAt,
  say,
  sessionsOf,
  start,
  startByKeyword,
  tapped,
  typed,
} from './flow_fixtures.js'

/*
| The runtime end to end: customers write through real WhatsApp webhooks,
| the inbound pipeline hands their messages on, the flow reads them, and
| its steps run through pulse's scheduler on a fixed clock.
*/

async function contactRow(context: TenantContext, id: string) {
  const result = await db.rawQuery(`select * from ${context.table('contacts')} where id = ?`, [id])
  return result.rows[0]
}

test.group('Flow runtime', () => {
  test('a 6-node intake runs from a keyword through buttons, a validated question with a retry, a condition and a contact field to its end; the assistant stays silent', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup)
    const { context } = made
    const flow = await publishedFlow(context)
    const subscription = await createSubscription(context, {
      url: 'https://hooks.example.com/flows',
      events: ['flow.completed'],
    })
    const from = waId()
    const t0 = start()

    const first = await say(made, typed(from, 'Insurance!'), t0)
    const { id: conversationId, contact_id: contactId } = await conversationOf(context, from)
    let [session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'active')
    assert.equal(session.source, 'keyword')
    await runAt(context, t0)
    let sent = await flowMessages(context, conversationId)
    assert.lengthOf(sent, 1)
    assert.equal(sent[0].type, 'interactive')
    assert.equal(sent[0].payload.content.body, 'Hi Layla! What cover do you need?')
    assert.deepEqual(
      sent[0].payload.content.buttons.map((b: any) => [b.id, b.title]),
      [
        ['car', 'Car'],
        ['home', 'Home'],
        ['health', 'Health'],
      ]
    )

    const tap = await say(made, tapped(from, 'car', 'Car'), t0.plus({ minutes: 1 }))
    await runAt(context, t0.plus({ minutes: 1 }))
    sent = await flowMessages(context, conversationId)
    assert.equal(sent.at(-1)!.body, 'How old are you, Layla?')

    // Not a number: asked again once, with the retry prompt.
    const wrong = await say(made, typed(from, 'thirty-four'), t0.plus({ minutes: 2 }))
    await runAt(context, t0.plus({ minutes: 2 }))
    sent = await flowMessages(context, conversationId)
    assert.equal(sent.at(-1)!.body, 'Please send your age as a number, e.g. 34.')
    ;[session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'active')
    assert.equal(session.current_node, 'age')

    const age = await say(made, typed(from, '34'), t0.plus({ minutes: 3 }))
    await runAt(context, t0.plus({ minutes: 3 }))
    ;[session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'completed')
    assert.equal(session.current_node, 'done')
    assert.deepEqual(session.answers, { cover: 'Car', age: 34 })
    sent = await flowMessages(context, conversationId)
    assert.deepEqual(
      sent.map((m) => m.body),
      [
        'Hi Layla! What cover do you need?',
        'How old are you, Layla?',
        'Please send your age as a number, e.g. 34.',
        'Thanks! Your Car quote is on its way.',
      ]
    )
    // Every flow message went through the outbound door keyed by its step.
    assert.isTrue(sent.every((m) => String(m.idempotency_key).startsWith('due:')))
    const contact = await contactRow(context, contactId)
    assert.equal(contact.attributes.area, 'Car')

    // The assistant is on, yet silent on every message the flow read.
    for (const messageId of [first, tap, wrong, age]) {
      const outcome = await replyToInboundMessage(context, messageId)
      assert.deepEqual(outcome, { kind: 'skipped', why: 'held' } as any)
    }

    let deliveries: WebhookDelivery[] = []
    for (let i = 0; i < 100 && !deliveries.length; i++) {
      deliveries = await context.transaction((trx) =>
        WebhookDelivery.query({ client: trx }).where('subscription_id', subscription.id)
      )
      if (!deliveries.length) await sleep(50)
    }
    assert.lengthOf(deliveries, 1)
    assert.equal(deliveries[0].eventType, 'flow.completed')
    const body = JSON.parse(deliveries[0].body)
    assert.equal(body.data.id, session.id)
    assert.equal(body.data.flow_name, 'Intake')
    assert.deepEqual(body.data.answers, { cover: 'Car', age: 34 })

    // Once it is over, the assistant answers the customer again.
    const later = await say(
      made,
      typed(from, 'What does my policy cover?'),
      t0.plus({ minutes: 5 })
    )
    const outcome = await replyToInboundMessage(context, later)
    assert.notDeepEqual(outcome, { kind: 'skipped', why: 'held' } as any)
  })

  test('a typed answer to buttons matches by number or close spelling; not understood twice follows the fallback to a person', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup)
    const { context } = made
    const flow = await publishedFlow(context)
    const t0 = start()

    const anna = waId()
    await say(made, typed(anna, 'insurance'), t0)
    await runAt(context, t0)
    await say(made, typed(anna, 'helth'), t0.plus({ minutes: 1 }))
    await runAt(context, t0.plus({ minutes: 1 }))
    const sessionOn = async (from: string) => {
      const { id } = await conversationOf(context, from)
      return (await sessionsOf(context, flow.id)).find((s) => s.conversation_id === id)!
    }
    let session = await sessionOn(anna)
    assert.equal(session.current_node, 'age')
    assert.equal(session.answers.cover, 'Health')

    const omar = waId()
    await say(made, typed(omar, 'INSURANCE'), t0)
    await runAt(context, t0)
    await say(made, typed(omar, '2'), t0.plus({ minutes: 1 }))
    await runAt(context, t0.plus({ minutes: 1 }))
    session = await sessionOn(omar)
    assert.equal(session.answers.cover, 'Home')

    const sara = waId()
    await say(made, typed(sara, 'insurance'), t0)
    await runAt(context, t0)
    const { id: conversationId } = await conversationOf(context, sara)
    await say(made, typed(sara, 'a bicycle'), t0.plus({ minutes: 1 }))
    await runAt(context, t0.plus({ minutes: 1 }))
    let sent = await flowMessages(context, conversationId)
    assert.lengthOf(sent, 2, 'the buttons are asked again once')
    assert.equal(sent[1].type, 'interactive')
    const second = await say(made, typed(sara, 'a boat'), t0.plus({ minutes: 2 }))
    await runAt(context, t0.plus({ minutes: 2 }))
    session = await sessionOn(sara)
    assert.equal(session.status, 'handed_off')
    assert.equal(session.end_reason, 'fallback_handoff')
    sent = await flowMessages(context, conversationId)
    assert.lengthOf(sent, 2, 'no third prompt: the session ended')
    const state = await assistantStateOf(context, conversationId)
    assert.equal(state.state, 'human')
    assert.deepEqual(await replyToInboundMessage(context, second), {
      kind: 'skipped',
      why: 'person_owns',
    } as any)
  })

  test('with the assistant as the fallback, the message not understood is the assistant’s to answer', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup)
    const { context } = made
    const flow = await publishedFlow(context, intakeGraph(), { fallback: 'assistant' })
    const t0 = start()
    const { from } = await startByKeyword(made, t0)
    const first = await say(made, typed(from, 'what is this?'), t0.plus({ minutes: 1 }))
    await runAt(context, t0.plus({ minutes: 1 }))
    const second = await say(made, typed(from, 'do you cover boats?'), t0.plus({ minutes: 2 }))
    const [session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'stopped')
    assert.equal(session.end_reason, 'fallback_assistant')
    assert.deepEqual(await replyToInboundMessage(context, first), {
      kind: 'skipped',
      why: 'held',
    } as any)
    assert.notDeepEqual(await replyToInboundMessage(context, second), {
      kind: 'skipped',
      why: 'held',
    } as any)
  })

  test('"stop" and the opt-out words end the session at once, whatever step it waits at', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup)
    const { context } = made
    const flow = await publishedFlow(context)
    const t0 = start()
    const { from, conversationId } = await startByKeyword(made, t0)
    await say(made, tapped(from, 'home', 'Home'), t0.plus({ minutes: 1 }))
    await runAt(context, t0.plus({ minutes: 1 }))
    const fromFlow = async () =>
      (await flowMessages(context, conversationId)).filter((m) =>
        String(m.idempotency_key).startsWith('due:')
      )
    const before = (await fromFlow()).length
    await say(made, typed(from, 'STOP'), t0.plus({ minutes: 2 }))
    await runAt(context, t0.plus({ minutes: 2 }))
    const [session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'stopped')
    assert.equal(session.end_reason, 'stop_word')
    assert.equal(session.current_node, 'age')
    // Nothing more from the flow: its pending rows were cancelled (the expiry's too).
    await runAt(context, t0.plus({ days: 2 }))
    const after = await fromFlow()
    assert.lengthOf(
      after.filter((m) => m.body?.startsWith('How old') || m.body?.startsWith('Thanks')),
      1
    )
    assert.lengthOf(after, before)

    // Arabic opt-out word, another customer.
    const other = waId()
    await say(made, typed(other, 'insurance'), t0)
    await say(made, typed(other, 'توقف'), t0.plus({ minutes: 1 }))
    const { id: otherConversation } = await conversationOf(context, other)
    const sessions = await sessionsOf(context, flow.id)
    assert.lengthOf(sessions, 2)
    assert.equal(sessions.find((s) => s.conversation_id === otherConversation)!.status, 'stopped')
  })

  test('an unanswered session expires once, with the flow’s message, and never restarts by itself', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup)
    const { context } = made
    const flow = await publishedFlow(context, intakeGraph(), {
      expiryHours: 2,
      expiryMessage: 'We closed this for now, {{contact.name}}. Write "insurance" to start again.',
    })
    const t0 = start()
    const { from, conversationId } = await startByKeyword(made, t0)
    // An answer pushes expiry back: 2 hours from the last answer.
    await say(made, tapped(from, 'car', 'Car'), t0.plus({ hours: 1 }))
    await runAt(context, t0.plus({ hours: 1 }))
    await runAt(context, t0.plus({ hours: 2, minutes: 30 }))
    let [session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'active', 'not yet: the answer moved expiry')
    await runAt(context, t0.plus({ hours: 3, minutes: 1 }))
    ;[session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'expired')
    let sent = await flowMessages(context, conversationId)
    assert.equal(
      sent.at(-1)!.body,
      'We closed this for now, Layla. Write "insurance" to start again.'
    )
    const count = sent.length

    // Later rounds change nothing; a message that is no trigger starts nothing.
    await runAt(context, t0.plus({ days: 3 }))
    await say(made, typed(from, '34'), t0.plus({ hours: 4 }))
    await runAt(context, t0.plus({ hours: 4 }))
    sent = await flowMessages(context, conversationId)
    assert.lengthOf(sent, count)
    assert.lengthOf(await sessionsOf(context, flow.id), 1)
  })

  test('publishing a new version leaves a running session on its own version', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup)
    const { context } = made
    const flow = await publishedFlow(context)
    const t0 = start()
    const { from, conversationId } = await startByKeyword(made, t0)

    const changed = intakeGraph('Welcome back! Which cover?')
    changed.nodes[1].data.text = 'Your age, please?'
    await importGraph(context, flow.id, changed)
    const republished = await publishFlow(context, flow.id, null)
    assert.equal(republished.version, 2)

    await say(made, tapped(from, 'car', 'Car'), t0.plus({ minutes: 1 }))
    await runAt(context, t0.plus({ minutes: 1 }))
    let sent = await flowMessages(context, conversationId)
    assert.equal(sent.at(-1)!.body, 'How old are you, Layla?', 'version 1 still')

    // A new customer starts on version 2.
    const other = waId()
    await say(made, typed(other, 'insurance'), t0.plus({ minutes: 2 }))
    await runAt(context, t0.plus({ minutes: 2 }))
    const { id: otherConversation } = await conversationOf(context, other)
    sent = await flowMessages(context, otherConversation)
    assert.equal(sent[0].payload.content.body, 'Welcome back! Which cover?')
  })

  test('a step runs once: a row run again after a crash meets its first message and moves nothing twice', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup)
    const { context } = made
    const flow = await publishedFlow(context)
    const t0 = start()
    const from = waId()
    await say(made, typed(from, 'insurance'), t0)
    const { id: conversationId } = await conversationOf(context, from)
    // A worker claims the first step, sends, and dies before marking it done.
    const release = fixClock(t0.toISO()!)
    try {
      const claimed = await claimDue(context, { now: t0, workerId: 'dead-worker' })
      const row = claimed.find((r) => r.kind === 'flow.step')!
      assert.exists(row)
      await runFlowStep(context, row, t0)
    } finally {
      release()
    }
    assert.lengthOf(await flowMessages(context, conversationId), 1)
    // Its lease lapses; another worker runs the row again.
    await runAt(context, t0.plus({ minutes: 1 }))
    await runAt(context, t0.plus({ minutes: 2 }))
    const sent = await flowMessages(context, conversationId)
    assert.lengthOf(sent, 1)
    const [session] = await sessionsOf(context, flow.id)
    assert.equal(session.step_no, 1)
    assert.isTrue(session.awaiting)
  })

  test('wait and jump nodes: the next step is due after the wait, in the scheduler', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup)
    const { context, channel } = made
    const flow = await publishedFlow(context, {
      nodes: [
        {
          id: 'hello',
          type: 'message',
          position: { x: 0, y: 0 },
          data: { text: 'Hello {{plan}}' },
        },
        { id: 'pause', type: 'wait', position: { x: 0, y: 1 }, data: { minutes: 30 } },
        { id: 'again', type: 'jump', position: { x: 0, y: 2 }, data: { to: 'bye' } },
        { id: 'bye', type: 'end', position: { x: 0, y: 3 }, data: { text: 'Bye' } },
      ],
      edges: [
        { from: 'hello', port: 'next', to: 'pause' },
        { from: 'pause', port: 'next', to: 'again' },
      ],
    })
    const person = await customer(context, channel)
    const t0 = start()
    await startSession(context, (await findFlow(context, flow.id))!, {
      conversationId: person.conversationId,
      contactId: person.contactId,
      source: 'api',
      variables: { plan: 'Gold' },
      now: t0,
    })
    await runAt(context, t0)
    assert.deepEqual(
      (await flowMessages(context, person.conversationId)).map((m) => m.body),
      ['Hello Gold']
    )
    await runAt(context, t0.plus({ minutes: 29 }))
    assert.lengthOf(await flowMessages(context, person.conversationId), 1)
    await runAt(context, t0.plus({ minutes: 30 }))
    assert.deepEqual(
      (await flowMessages(context, person.conversationId)).map((m) => m.body),
      ['Hello Gold', 'Bye']
    )
    const [session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'completed')
  })

  test('triggers: a template button’s payload, and a customer’s first message', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup)
    const { context } = made
    const byPayload = await publishedFlow(context, intakeGraph(), {
      name: 'By payload',
      triggers: { payloads: ['START_INTAKE'] },
    })
    const t0 = start()
    const from = waId()
    await say(
      made,
      {
        from,
        id: wamid(),
        timestamp: unix(),
        type: 'button',
        button: { text: 'Get a quote', payload: 'START_INTAKE' },
      },
      t0
    )
    const [started] = await sessionsOf(context, byPayload.id)
    assert.equal(started.source, 'payload')

    const welcome = await publishedFlow(context, intakeGraph('Welcome, new friend!'), {
      name: 'First contact',
      triggers: { first_message: true },
    })
    const newcomer = waId()
    await say(made, typed(newcomer, 'hello there'), t0)
    const [first] = await sessionsOf(context, welcome.id)
    assert.equal(first.source, 'first_message')
    // Someone who wrote before does not start it.
    await endSession(context, first.id, 'stopped', 'test', t0)
    await say(made, typed(newcomer, 'hello again'), t0.plus({ minutes: 1 }))
    assert.lengthOf(await sessionsOf(context, welcome.id), 1)
  })
})
