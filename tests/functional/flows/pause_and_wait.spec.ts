import { test } from '@japa/runner'
import { assistantStateOf, handBackToAssistant, replyToInboundMessage } from '#modules/brain/index'
import { queueOutboundMessage } from '#modules/channels/index'
import { findSession, flowStats, type FlowGraph } from '#modules/flows/index'
import { presentSession } from '#modules/flows/presenters/flow_presenter'
import { flowHolds } from '#modules/flows/services/runtime'
import { assignConversation } from '#modules/inbox/index'
import { makeMember } from '#tests/helpers/users'
import { waId } from '#tests/helpers/whatsapp'
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
| A person taking a conversation pauses its flow (it sends nothing, reads
| nothing, holds nothing) and handing it back resumes it where it stood;
| expiry still ends a paused session, once and silently. A wait node does
| not hold the conversation: what the customer writes meanwhile is the
| assistant's (or the team's), and the flow goes on when the wait ends.
*/

const held = { kind: 'skipped', why: 'held' } as any

test.group('Flow runtime: a person takes over, a wait', () => {
  test('assigned to a person, the flow pauses (silent, reads nothing, the assistant silent too); unassigned, it asks its question again and goes on', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup)
    const { context } = made
    const flow = await publishedFlow(context)
    const t0 = start()
    const { from, conversationId } = await startByKeyword(made, t0)
    const owner = await makeMember(made.tenant.id, 'agent')
    cleanup(() => owner.delete())

    await assignConversation(context, conversationId, owner.id, null)
    let [session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'paused')
    assert.isNull(session.end_reason)
    assert.equal(session.current_node, 'welcome')
    assert.isNotNull(session.paused_at)
    const paused = presentSession((await findSession(context, session.id))!)
    assert.equal(paused.status, 'paused')
    assert.isString(paused.paused_at)
    assert.equal((await flowStats(context, [flow.id])).get(flow.id)!.paused, 1)

    // The customer answers the person: the flow reads nothing, sends nothing.
    const tap = await say(made, tapped(from, 'car', 'Car'), t0.plus({ minutes: 1 }))
    await runAt(context, t0.plus({ minutes: 1 }))
    assert.lengthOf(await flowMessages(context, conversationId), 1)
    ;[session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'paused')
    assert.deepEqual(session.answers, {})
    assert.deepEqual(await replyToInboundMessage(context, tap), {
      kind: 'skipped',
      why: 'person_owns',
    } as any)

    // Handed back: the pending question is asked again, once.
    await assignConversation(context, conversationId, null, owner.id)
    ;[session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'active')
    assert.isNull(session.paused_at)
    await runAt(context, t0.plus({ minutes: 2 }))
    await runAt(context, t0.plus({ minutes: 3 }))
    let sent = await flowMessages(context, conversationId)
    assert.lengthOf(sent, 2)
    assert.equal(sent[1].type, 'interactive')
    assert.equal(sent[1].payload.content.body, 'Hi Layla! What cover do you need?')

    const answer = await say(made, tapped(from, 'home', 'Home'), t0.plus({ minutes: 4 }))
    await runAt(context, t0.plus({ minutes: 4 }))
    ;[session] = await sessionsOf(context, flow.id)
    assert.equal(session.current_node, 'age')
    assert.deepEqual(session.answers, { cover: 'Home' })
    sent = await flowMessages(context, conversationId)
    assert.equal(sent.at(-1)!.body, 'How old are you, Layla?')
    assert.deepEqual(await replyToInboundMessage(context, answer), held)
  })

  test('an agent’s reply pauses the flow; “hand back to the assistant” resumes it at its question', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup)
    const { context } = made
    const flow = await publishedFlow(context)
    const t0 = start()
    const { from, conversationId } = await startByKeyword(made, t0)
    await say(made, tapped(from, 'car', 'Car'), t0.plus({ minutes: 1 }))
    await runAt(context, t0.plus({ minutes: 1 }))
    const agent = await makeMember(made.tenant.id, 'agent')
    cleanup(() => agent.delete())

    await queueOutboundMessage(context, {
      conversationId,
      content: { type: 'text', text: 'Hi, Sam here: which car is it?' },
      authorType: 'agent',
      authorId: agent.id,
    })
    let [session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'paused')
    assert.equal(session.current_node, 'age')
    assert.equal((await assistantStateOf(context, conversationId)).state, 'human')

    // A number the customer gives the agent is not the flow's answer.
    await say(made, typed(from, '34'), t0.plus({ minutes: 2 }))
    await runAt(context, t0.plus({ minutes: 2 }))
    ;[session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'paused')
    assert.deepEqual(session.answers, { cover: 'Car' })
    const before = (await flowMessages(context, conversationId)).length

    await handBackToAssistant(context, conversationId, agent.id)
    ;[session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'active')
    await runAt(context, t0.plus({ minutes: 3 }))
    const sent = await flowMessages(context, conversationId)
    assert.lengthOf(sent, before + 1)
    assert.equal(sent.at(-1)!.body, 'How old are you, Layla?')
    await say(made, typed(from, '41'), t0.plus({ minutes: 4 }))
    await runAt(context, t0.plus({ minutes: 4 }))
    ;[session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'completed')
    assert.deepEqual(session.answers, { cover: 'Car', age: 41 })
  })

  test('a paused session expires once, silently (the person spoke last), and is not resumed after', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup)
    const { context } = made
    const flow = await publishedFlow(context, intakeGraph(), {
      expiryHours: 2,
      expiryMessage: 'We closed this for now.',
    })
    const t0 = start()
    const { conversationId } = await startByKeyword(made, t0)
    const owner = await makeMember(made.tenant.id, 'agent')
    cleanup(() => owner.delete())
    await assignConversation(context, conversationId, owner.id, null)

    await runAt(context, t0.plus({ hours: 1 }))
    let [session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'paused')
    await runAt(context, t0.plus({ hours: 2, minutes: 1 }))
    ;[session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'expired')
    assert.equal(session.end_reason, 'expired_paused')
    assert.lengthOf(await flowMessages(context, conversationId), 1, 'no goodbye from the flow')

    // Handed back later: nothing to resume, nothing sent, no loop.
    await assignConversation(context, conversationId, null, owner.id)
    await runAt(context, t0.plus({ hours: 3 }))
    await runAt(context, t0.plus({ days: 2 }))
    ;[session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'expired')
    assert.lengthOf(await flowMessages(context, conversationId), 1)
    assert.lengthOf(await sessionsOf(context, flow.id), 1)
  })

  test('during a wait the flow holds nothing: the assistant answers the customer, and the flow goes on when the wait ends', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup)
    const { context } = made
    const graph: FlowGraph = {
      nodes: [
        { id: 'hello', type: 'message', position: { x: 0, y: 0 }, data: { text: 'Welcome!' } },
        { id: 'pause', type: 'wait', position: { x: 0, y: 1 }, data: { minutes: 30 } },
        {
          id: 'age',
          type: 'question',
          position: { x: 0, y: 2 },
          data: { text: 'How old are you?', kind: 'number', variable: 'age' },
        },
        { id: 'bye', type: 'end', position: { x: 0, y: 3 }, data: { text: 'Thanks' } },
      ],
      edges: [
        { from: 'hello', port: 'next', to: 'pause' },
        { from: 'pause', port: 'next', to: 'age' },
        { from: 'age', port: 'next', to: 'bye' },
      ],
    }
    const flow = await publishedFlow(context, graph)
    const t0 = start()

    // Nobody answers meanwhile: the flow goes on at the end of the wait.
    const quiet = waId()
    await say(made, typed(quiet, 'insurance'), t0)
    await runAt(context, t0)
    const { id: quietConversation } = await conversationOf(context, quiet)
    const during = await say(made, typed(quiet, 'Are you open on Friday?'), t0.plus({ minutes: 5 }))
    // Not the flow's: the assistant may answer it (the flow waits, it does not listen).
    assert.isFalse(await flowHolds(context, quietConversation, during))
    let session = (await sessionsOf(context, flow.id))[0]
    assert.equal(session.status, 'active')
    assert.equal(session.current_node, 'age')
    await runAt(context, t0.plus({ minutes: 29 }))
    assert.deepEqual(
      (await flowMessages(context, quietConversation)).map((m) => m.body),
      ['Welcome!']
    )
    await runAt(context, t0.plus({ minutes: 30 }))
    assert.deepEqual(
      (await flowMessages(context, quietConversation)).map((m) => m.body),
      ['Welcome!', 'How old are you?']
    )
    // The message of the wait stayed the assistant's; the answer after it is the flow's.
    const answer = await say(made, typed(quiet, '52'), t0.plus({ minutes: 31 }))
    await runAt(context, t0.plus({ minutes: 31 }))
    session = (await sessionsOf(context, flow.id))[0]
    assert.equal(session.status, 'completed')
    assert.deepEqual(session.answers, { age: 52 })
    assert.deepEqual(await replyToInboundMessage(context, answer), held)
    assert.isFalse(await flowHolds(context, quietConversation, during))

    // The assistant, answering during the wait, hands the customer to a
    // person: at the end of the wait the flow pauses instead of barging in.
    const asked = waId()
    await say(made, typed(asked, 'insurance'), t0)
    await runAt(context, t0)
    const { id: askedConversation } = await conversationOf(context, asked)
    const question = await say(
      made,
      typed(asked, 'I want a person please'),
      t0.plus({ minutes: 5 })
    )
    const outcome = await replyToInboundMessage(context, question)
    assert.notDeepEqual(outcome, held)
    assert.equal((await assistantStateOf(context, askedConversation)).state, 'human')
    await runAt(context, t0.plus({ minutes: 30 }))
    const pausedSession = (await sessionsOf(context, flow.id)).find(
      (s) => s.conversation_id === askedConversation
    )!
    assert.equal(pausedSession.status, 'paused')
    assert.deepEqual(
      (await flowMessages(context, askedConversation)).map((m) => m.body),
      ['Welcome!']
    )
  })
})
