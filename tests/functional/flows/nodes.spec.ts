import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { fixClock } from '#app/clock'
import {
  createConnector,
  createDataset,
  writeRows,
  type ConnectorInput,
} from '#modules/data_engine/index'
import {
  FlowError,
  bookSlot,
  createBookingService,
  createFlow,
  endSession,
  findFlow,
  importGraph,
  publishFlow,
  startSession,
  type FlowGraph,
  type FlowNode,
} from '#modules/flows/index'
import { runFlowStep } from '#modules/flows/services/runtime'
import { replyToInboundMessage } from '#modules/brain/index'
import { findTask, resolveTask } from '#modules/hitl/index'
import { assignConversation } from '#modules/inbox/index'
import { claimDue, createSequence } from '#modules/pulse/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { makeMember } from '#tests/helpers/users'
import { useOrderApi } from '#tests/helpers/order_api'
import { customer, waId } from '#tests/helpers/whatsapp'
import { signIn } from '#tests/functional/workspace/member_browser'
import { activeSequence } from '#tests/functional/pulse/sequence_fixtures'
import { coachGiving } from './booking_fixtures.js'
import {
  conversationOf,
  flowMessages,
  flowTenant,
  picked,
  publishedFlow,
  runAt,
  say,
  sessionsOf,
  start,
  startByApi,
  typed,
} from './flow_fixtures.js'

/*
| The nodes that reach outside the flow, end to end on a fixed clock:
| lookup (a dataset search offered as a WhatsApp list, an API connector),
| task (a person's approval, or its timeout), enroll (a journey sequence)
| and booking (the session booker's slots, held, booked once); and the
| publish check that every id they name is the workspace's own.
*/

const at = (x: number, y = 0) => ({ x, y })

function node(id: string, type: FlowNode['type'], data: Record<string, any>): FlowNode {
  return { id, type, position: at(0), data }
}

async function stepsOf(context: TenantContext, sessionId: string) {
  const result = await db.rawQuery(
    `select node_id, event, detail from ${context.table('flow_steps')} where session_id = ? order by id`,
    [sessionId]
  )
  return result.rows as Array<{ node_id: string; event: string; detail: any }>
}

async function sessionOn(context: TenantContext, flowId: string, conversationId: string) {
  return (await sessionsOf(context, flowId)).find((s) => s.conversation_id === conversationId)!
}

function listingsGraph(datasetId: string): FlowGraph {
  return {
    nodes: [
      node('beds', 'question', { text: 'How many bedrooms?', kind: 'number', variable: 'beds' }),
      node('look', 'lookup', {
        source: 'dataset',
        source_id: datasetId,
        query: '{{beds}} bedrooms',
        variable: 'listing',
        limit: 10,
        list: {
          text: '{{listing.count}} homes with {{beds}} bedrooms:',
          button: 'See the homes',
          title: '{{name}}',
          description: '{{area}} · {{monthly_rent}} a month',
        },
      }),
      node('chosen', 'message', {
        text: 'Good choice: {{listing.name}} in {{listing.area}}, {{listing.monthly_rent}}.',
      }),
      node('done', 'end', {}),
      node('none', 'end', { text: 'Nothing with {{beds}} bedrooms right now.' }),
    ],
    edges: [
      { from: 'beds', port: 'next', to: 'look' },
      { from: 'look', port: 'next', to: 'chosen' },
      { from: 'look', port: 'fallback', to: 'none' },
      { from: 'chosen', port: 'next', to: 'done' },
    ],
  }
}

test.group('Flow nodes: lookup in a dataset', () => {
  test('the rows found are offered as a list (titles cut to 24), a typed number picks one; nothing found, or a pick not understood twice, falls back', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup, 'fln')
    const { context } = made
    const dataset = await createDataset(context, {
      name: 'Listings',
      keyColumn: 'ref',
      columns: [
        { name: 'ref', type: 'text' },
        { name: 'name', type: 'text' },
        { name: 'area', type: 'text' },
        { name: 'bedrooms', type: 'integer' },
        { name: 'Monthly rent', type: 'money', currency: 'AED' },
      ],
    })
    await writeRows(context, dataset, [
      {
        'ref': 'L1',
        'name': 'Marina Heights Tower, apartment 12B',
        'area': 'Marina',
        'bedrooms': 2,
        'Monthly rent': 9000,
      },
      {
        'ref': 'L2',
        'name': 'Palm Garden Flat',
        'area': 'Palm',
        'bedrooms': 2,
        'Monthly rent': 12000,
      },
      { 'ref': 'L3', 'name': 'JLT Loft', 'area': 'JLT', 'bedrooms': 2, 'Monthly rent': 7000 },
      { 'ref': 'L4', 'name': 'Hills Villa', 'area': 'Hills', 'bedrooms': 4, 'Monthly rent': 25000 },
    ])
    const flow = await publishedFlow(context, listingsGraph(dataset.id), {
      name: 'Listings',
      triggers: { keywords: ['homes'] },
    })
    const t0 = start()

    const anna = waId()
    await say(made, typed(anna, 'homes'), t0)
    await runAt(context, t0)
    const { id: annaConversation } = await conversationOf(context, anna)
    await say(made, typed(anna, '2'), t0.plus({ minutes: 1 }))
    await runAt(context, t0.plus({ minutes: 1 }))
    let sent = await flowMessages(context, annaConversation)
    const list = sent.at(-1)!.payload.content
    assert.equal(list.type, 'list')
    assert.equal(list.body, '3 homes with 2 bedrooms:')
    assert.equal(list.button, 'See the homes')
    const rows = list.sections[0].rows
    assert.lengthOf(rows, 3)
    assert.isTrue(rows.every((r: any) => [...r.title].length <= 24))
    const long = rows.find((r: any) => r.title.startsWith('Marina Heights'))
    assert.equal(long.title, 'Marina Heights Tower, a…')
    assert.match(long.description, /^Marina · AED 9,000(\.00)? a month$/)
    let session = await sessionOn(context, flow.id, annaConversation)
    assert.equal(session.variables['listing.count'], 3)
    assert.lengthOf(session.variables['listing.rows'], 3)
    assert.isTrue(session.awaiting)

    // "2" picks the second row offered.
    await say(made, typed(anna, '2'), t0.plus({ minutes: 2 }))
    await runAt(context, t0.plus({ minutes: 2 }))
    session = await sessionOn(context, flow.id, annaConversation)
    assert.equal(session.status, 'completed')
    const row = session.variables['listing.rows'][1]
    assert.equal(rows[1].title, [...row.name].length > 24 ? `${row.name.slice(0, 23)}…` : row.name)
    sent = await flowMessages(context, annaConversation)
    assert.equal(sent.at(-1)!.body, `Good choice: ${row.name} in ${row.area}, ${row.monthly_rent}.`)
    assert.equal(session.variables.listing, row.summary)
    assert.include(
      (await stepsOf(context, session.id)).map((s) => `${s.node_id}:${s.event}`),
      'look:picked'
    )

    // Seven bedrooms: nothing found, the fallback branch.
    const omar = waId()
    await say(made, typed(omar, 'homes'), t0)
    await runAt(context, t0)
    await say(made, typed(omar, '7'), t0.plus({ minutes: 1 }))
    await runAt(context, t0.plus({ minutes: 1 }))
    const { id: omarConversation } = await conversationOf(context, omar)
    sent = await flowMessages(context, omarConversation)
    assert.equal(sent.at(-1)!.body, 'Nothing with 7 bedrooms right now.')
    const omarSession = await sessionOn(context, flow.id, omarConversation)
    const looked = (await stepsOf(context, omarSession.id)).find((s) => s.event === 'looked_up')!
    assert.equal(looked.detail.found, 0)

    // A pick not understood: the list again once, then the fallback.
    const sara = waId()
    await say(made, typed(sara, 'homes'), t0)
    await runAt(context, t0)
    await say(made, typed(sara, '2'), t0.plus({ minutes: 1 }))
    await runAt(context, t0.plus({ minutes: 1 }))
    await say(made, typed(sara, 'the blue one'), t0.plus({ minutes: 2 }))
    await runAt(context, t0.plus({ minutes: 2 }))
    const { id: saraConversation } = await conversationOf(context, sara)
    sent = await flowMessages(context, saraConversation)
    assert.deepEqual(
      sent.slice(-2).map((m) => m.payload.content.sections[0].rows.map((r: any) => r.id)),
      [
        sent.at(-1)!.payload.content.sections[0].rows.map((r: any) => r.id),
        sent.at(-1)!.payload.content.sections[0].rows.map((r: any) => r.id),
      ],
      'the same list, sent again'
    )
    await say(made, typed(sara, 'a boat'), t0.plus({ minutes: 3 }))
    await runAt(context, t0.plus({ minutes: 3 }))
    sent = await flowMessages(context, saraConversation)
    assert.equal(sent.at(-1)!.body, 'Nothing with 2 bedrooms right now.')
  })
})

test.group('Flow nodes: lookup through an API connector', (group) => {
  const api = useOrderApi(group)

  function orderConnector(): ConnectorInput {
    return {
      name: 'Order status',
      description: 'Where an order is',
      method: 'GET',
      url_template: `${api.base}/orders/{{order}}`,
      auth_mode: 'none',
      parameters: [{ name: 'order', type: 'integer', pattern: '', required: true, example: '1' }],
      mapping: [
        { name: 'status', path: '$.order.status' },
        { name: 'item', path: '$.items[*].name' },
      ],
      reply_template: 'Order {{order}}: {{item}} ({{status}})',
      triggers: 'order',
      timeout_ms: 2000,
      cache_seconds: 0,
      answers_customers: false,
    }
  }

  test('the call fills the variables (a list in the answer gives a row per item); an error status follows the fallback', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup, 'flc')
    const { context } = made
    const connector = await createConnector(context, orderConnector())
    const flow = await publishedFlow(context, {
      nodes: [
        node('look', 'lookup', {
          source: 'connector',
          source_id: connector.id,
          params: { order: '{{order_no}}' },
          variable: 'order',
        }),
        node('found', 'end', {
          text: '{{order.status}}: {{order.count}} items, first {{order.item}}. {{order}}',
        }),
        node('failed', 'end', { text: 'We cannot see order {{order_no}} now.' }),
      ],
      edges: [
        { from: 'look', port: 'next', to: 'found' },
        { from: 'look', port: 'fallback', to: 'failed' },
      ],
    })
    const t0 = start()
    const first = await startByApi(made, flow.id, t0, { variables: { order_no: '4471' } })
    await runAt(context, t0)
    assert.equal(api.seen[0].url, '/orders/4471')
    let sent = await flowMessages(context, first.conversationId)
    assert.equal(
      sent.at(-1)!.body,
      'Out for delivery: 2 items, first Desk lamp. Order 4471: Desk lamp (Out for delivery)'
    )

    api.status = 500
    const second = await startByApi(made, flow.id, t0, { variables: { order_no: '12' } })
    await runAt(context, t0)
    sent = await flowMessages(context, second.conversationId)
    assert.equal(sent.at(-1)!.body, 'We cannot see order 12 now.')
    const steps = await stepsOf(context, second.sessionId)
    assert.equal(steps.find((s) => s.event === 'looked_up')!.detail.error, 'http_error')
  })
})

function taskGraph(): FlowGraph {
  return {
    nodes: [
      node('ask', 'task', {
        title: 'Approve a discount for {{contact.name}}',
        details: 'Layla asks for 10% off the annual plan.',
        timeout_minutes: 60,
        variable: 'decision',
        text: 'A colleague is checking, one moment.',
      }),
      node('yes', 'end', { text: 'Approved: {{decision}}' }),
      node('no', 'end', { text: 'Sorry, not this time.' }),
    ],
    edges: [
      { from: 'ask', port: 'next', to: 'yes' },
      { from: 'ask', port: 'fallback', to: 'no' },
    ],
  }
}

async function taskOf(context: TenantContext, sessionId: string) {
  const result = await db.rawQuery(
    `select id from ${context.table('hitl_tasks')} where source_type = 'flow' and source_ref = ?`,
    [sessionId]
  )
  if (result.rows.length !== 1) throw new Error(`${result.rows.length} tasks for the session`)
  return (await findTask(context, result.rows[0].id))!
}

test.group('Flow nodes: task', () => {
  test('the flow waits for the task (the conversation’s assignee’s) and goes on with the outcome once it is approved', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup, 'flt')
    const { context } = made
    const flow = await publishedFlow(context, taskGraph())
    const t0 = start()
    const agent = await makeMember(made.tenant.id, 'agent')
    cleanup(() => agent.delete())
    const person = await customer(context, made.channel)
    await assignConversation(context, person.conversationId, agent.id, null)
    const session = await startSession(context, (await findFlow(context, flow.id))!, {
      conversationId: person.conversationId,
      contactId: person.contactId,
      source: 'api',
      now: t0,
    })
    await runAt(context, t0)
    // A run of the step again (a crash before "done") opens no second task.
    await runFlowStep(
      context,
      {
        id: '0',
        kind: 'flow.step',
        payload: { sessionId: session!.id, nodeId: 'ask', stepNo: 1 },
        dueAt: t0,
        messageId: null,
      } as any,
      t0
    )
    const task = await taskOf(context, session!.id)
    assert.equal(task.status, 'pending')
    assert.equal(task.kind, 'flow_task')
    assert.equal(task.assigneeUserId, agent.id)
    assert.equal(task.conversationId, person.conversationId)
    assert.equal(task.contactId, person.contactId)
    let sent = await flowMessages(context, person.conversationId)
    assert.deepEqual(
      sent.map((m) => m.body),
      ['A colleague is checking, one moment.']
    )
    await runAt(context, t0.plus({ minutes: 30 }))
    let [row] = await sessionsOf(context, flow.id)
    assert.equal(row.current_node, 'ask')

    await resolveTask(
      context,
      task.id,
      { decision: 'approve', values: { outcome: '10% off until March' } },
      { by: { type: 'user', id: agent.id, name: 'Agent' }, audit: systemActor }
    )
    await runAt(context, t0.plus({ minutes: 31 }))
    ;[row] = await sessionsOf(context, flow.id)
    assert.equal(row.status, 'completed')
    assert.equal(row.answers.decision, '10% off until March')
    sent = await flowMessages(context, person.conversationId)
    assert.equal(sent.at(-1)!.body, 'Approved: 10% off until March')
    // The timeout does nothing after: its row was cancelled.
    await runAt(context, t0.plus({ hours: 2 }))
    assert.lengthOf(await flowMessages(context, person.conversationId), 2)
    const steps = await stepsOf(context, row.id)
    assert.deepEqual(
      steps.filter((s) => s.event.startsWith('task')).map((s) => [s.event, s.detail.status]),
      [
        ['task_opened', undefined],
        ['task_resolved', 'approved'],
      ]
    )
  })

  test('while it waits for the task, the customer’s messages show in the inbox beside the task and get one acknowledgement per wait, in their language; the assistant stays silent', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup, 'fla')
    const { context } = made
    const flow = await publishedFlow(context, taskGraph())
    const t0 = start()
    const ack = 'Thanks — a person is checking this and will reply here shortly.'
    const english = await startByApi(made, flow.id, t0)
    const from = english.from
    const first = await say(made, typed(from, 'Any news?'), t0.plus({ minutes: 1 }))
    const second = await say(made, typed(from, 'Hello??'), t0.plus({ minutes: 2 }))
    await runAt(context, t0.plus({ minutes: 2 }))
    const sent = await flowMessages(context, english.conversationId)
    assert.deepEqual(
      sent.map((m) => m.body),
      ['A colleague is checking, one moment.', ack],
      'one acknowledgement for two messages'
    )
    for (const messageId of [first, second]) {
      assert.deepEqual(await replyToInboundMessage(context, messageId), {
        kind: 'skipped',
        why: 'held',
      } as any)
    }
    const steps = await stepsOf(context, english.sessionId)
    assert.deepEqual(
      steps.filter((s) => s.event === 'held').map((s) => s.detail.reason),
      ['task_wait', 'task_wait']
    )
    let [row] = await sessionsOf(context, flow.id)
    assert.equal(row.current_node, 'ask')
    assert.equal(row.status, 'active')

    // The team sees the messages and, beside them, the task the flow waits on.
    const member = await makeMember(made.tenant.id, 'agent')
    cleanup(() => member.delete())
    const agent = await signIn(member)
    const inbox = await agent.get(`/t/${made.tenant.slug}/inbox/${english.conversationId}`)
    assert.equal(inbox.status, 200)
    assert.include(inbox.body, 'Any news?')
    assert.include(inbox.body, 'Hello??')
    assert.include(inbox.body, 'data-flow-waits')
    assert.include(inbox.body, 'The customer’s flow waits for this task')
    assert.include(inbox.body, `/tasks/${(await taskOf(context, english.sessionId)).id}`)

    // Resolved, the flow answers; a later wait would acknowledge again (one per wait).
    const task = await taskOf(context, english.sessionId)
    await resolveTask(
      context,
      task.id,
      { decision: 'approve', values: { outcome: 'yes' } },
      { by: { type: 'user', id: null, name: 'Agent' }, audit: systemActor }
    )
    await runAt(context, t0.plus({ minutes: 3 }))
    ;[row] = await sessionsOf(context, flow.id)
    assert.equal(row.status, 'completed')

    // Someone writing Arabic is acknowledged in Arabic.
    const arabic = await startByApi(made, flow.id, t0)
    await say(made, typed(arabic.from, 'هل من جديد؟'), t0.plus({ minutes: 1 }))
    const arabicSent = await flowMessages(context, arabic.conversationId)
    assert.equal(
      arabicSent.at(-1)!.body,
      'شكرًا لك — يراجع أحد فريقنا طلبك الآن وسيرد عليك هنا قريبًا.'
    )
    assert.lengthOf(arabicSent, 2)
  })

  test('not resolved in time: the task is cancelled and the flow follows the fallback, once; a rejection falls back too', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup, 'flt')
    const { context } = made
    const flow = await publishedFlow(context, taskGraph())
    const t0 = start()
    const late = await startByApi(made, flow.id, t0)
    await runAt(context, t0.plus({ minutes: 59 }))
    let session = await sessionOn(context, flow.id, late.conversationId)
    assert.equal(session.current_node, 'ask')
    // The session's expiry waits for the task: no expiry while it is pending.
    assert.isTrue(new Date(session.expires_at) > t0.plus({ hours: 24 }).toJSDate())
    await runAt(context, t0.plus({ minutes: 60 }))
    await runAt(context, t0.plus({ minutes: 61 }))
    session = await sessionOn(context, flow.id, late.conversationId)
    assert.equal(session.status, 'completed')
    assert.equal(session.current_node, 'no')
    const task = await taskOf(context, late.sessionId)
    assert.equal(task.status, 'cancelled')
    assert.equal(task.response!.by.name, 'flow timeout')
    const sent = await flowMessages(context, late.conversationId)
    assert.deepEqual(
      sent.map((m) => m.body),
      ['A colleague is checking, one moment.', 'Sorry, not this time.']
    )
    const resolved = (await stepsOf(context, late.sessionId)).filter(
      (s) => s.event === 'task_resolved'
    )
    assert.lengthOf(resolved, 1)
    assert.isTrue(resolved[0].detail.timed_out)
    // A person's decision after the timeout is refused: the flow has moved on.
    await assert.rejects(() =>
      resolveTask(
        context,
        task.id,
        { decision: 'approve' },
        { by: { type: 'api', id: null, name: 'api' }, audit: systemActor }
      )
    )

    const refused = await startByApi(made, flow.id, t0)
    const other = await taskOf(context, refused.sessionId)
    await resolveTask(
      context,
      other.id,
      { decision: 'reject', comment: 'Not for this plan' },
      { by: { type: 'api', id: null, name: 'api' }, audit: systemActor }
    )
    await runAt(context, t0.plus({ minutes: 1 }))
    session = await sessionOn(context, flow.id, refused.conversationId)
    assert.equal(session.current_node, 'no')
    assert.equal(session.status, 'completed')

    // A session ended while it waits (a stop word): its task is withdrawn at the timeout.
    const stopped = await startByApi(made, flow.id, t0)
    await endSession(context, stopped.sessionId, 'stopped', 'stop_word', t0.plus({ minutes: 5 }))
    await runAt(context, t0.plus({ minutes: 60 }))
    const orphan = await taskOf(context, stopped.sessionId)
    assert.equal(orphan.status, 'cancelled')
    assert.equal(orphan.response!.comment, 'The flow this task was for has ended')
    assert.equal((await sessionOn(context, flow.id, stopped.conversationId)).status, 'stopped')
  })
})

test.group('Flow nodes: enroll', () => {
  test('enrolls the contact in the sequence and goes on; a contact the sequence refuses (opted out, already in) goes on too, the reason logged', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup, 'fle')
    const { context } = made
    const sequence = await activeSequence(context, made.channel.id, [
      { type: 'wait', amount: 2, unit: 'days' },
      { type: 'send', text: 'How is it going?', template: null },
    ])
    const flow = await publishedFlow(context, {
      nodes: [
        node('journey', 'enroll', { sequence_id: sequence.id }),
        node('bye', 'end', { text: 'You are in, {{contact.name}}.' }),
      ],
      edges: [{ from: 'journey', port: 'next', to: 'bye' }],
    })
    const t0 = start()
    const enrollments = async (contactId: string) =>
      (
        await db.rawQuery(
          `select * from ${context.table('sequence_enrollments')} where contact_id = ?`,
          [contactId]
        )
      ).rows

    const joined = await startByApi(made, flow.id, t0)
    await runAt(context, t0)
    const [enrollment] = await enrollments(joined.contactId)
    assert.equal(enrollment.status, 'active')
    assert.equal(enrollment.source, 'flow')
    let steps = await stepsOf(context, joined.sessionId)
    const ran = steps.find((s) => s.node_id === 'journey' && s.event === 'enrolled')!
    assert.deepEqual(ran.detail, {
      enrolled: true,
      enrollment_id: enrollment.id,
      sequence_id: sequence.id,
    })
    assert.equal(
      (await flowMessages(context, joined.conversationId)).at(-1)!.body,
      'You are in, Layla.'
    )

    // The same contact again, while in the sequence: not enrolled twice, the flow goes on.
    const again = await startSession(context, (await findFlow(context, flow.id))!, {
      conversationId: joined.conversationId,
      contactId: joined.contactId,
      source: 'api',
      now: t0.plus({ minutes: 5 }),
    })
    await runAt(context, t0.plus({ minutes: 5 }))
    await runAt(context, t0.plus({ minutes: 5 }))
    assert.lengthOf(await enrollments(joined.contactId), 1)
    steps = await stepsOf(context, again!.id)
    assert.deepInclude(steps.find((s) => s.event === 'not_enrolled')!.detail, {
      enrolled: false,
      reason: 'already_enrolled',
    })
    assert.equal((await sessionOn(context, flow.id, joined.conversationId)).status, 'completed')

    const optedOut = await startByApi(made, flow.id, t0, { optedOut: true })
    await runAt(context, t0)
    assert.lengthOf(await enrollments(optedOut.contactId), 0)
    steps = await stepsOf(context, optedOut.sessionId)
    assert.deepInclude(steps.find((s) => s.event === 'not_enrolled')!.detail, {
      reason: 'contact_opted_out',
    })
  })
})

function bookingGraph(serviceId: string): FlowGraph {
  return {
    nodes: [
      node('book', 'booking', { service_id: serviceId, text: 'Pick a time, {{contact.name}}' }),
      node('booked', 'message', {
        text: 'See you {{booking.start}} for your {{booking.service}}.',
      }),
      node('done', 'end', {}),
      node('person', 'end', { text: 'A person will help you book.' }),
    ],
    edges: [
      { from: 'book', port: 'next', to: 'booked' },
      { from: 'booked', port: 'next', to: 'done' },
      { from: 'book', port: 'fallback', to: 'person' },
    ],
  }
}

async function bookingsOf(context: TenantContext, contactId: string) {
  const result = await db.rawQuery(
    `select * from ${context.table('bookings')} where contact_id = ? and status = 'confirmed'`,
    [contactId]
  )
  return result.rows
}

test.group('Flow nodes: booking', () => {
  test('offers up to 10 held slots in the customer’s zone as a list; the tapped slot is booked once (a crash between included) and confirmed with the .ics link', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup, 'flb')
    const { context } = made
    const { service } = await coachGiving(cleanup, made)
    const flow = await publishedFlow(context, bookingGraph(service.id), {
      triggers: { keywords: ['book'] },
    })
    const t0 = start()
    const from = waId()
    await say(made, typed(from, 'book'), t0)
    const { id: conversationId, contact_id: contactId } = await conversationOf(context, from)
    await db.rawQuery(`update ${context.table('contacts')} set time_zone = ? where id = ?`, [
      'Europe/London',
      contactId,
    ])
    await runAt(context, t0)
    let sent = await flowMessages(context, conversationId)
    const list = sent.at(-1)!.payload.content
    assert.equal(list.type, 'list')
    assert.equal(list.body, 'Pick a time, Layla')
    const rows = list.sections[0].rows
    assert.isAtLeast(rows.length, 1)
    assert.isAtMost(rows.length, 10)
    let session = await sessionOn(context, flow.id, conversationId)
    const slots = session.state.offer.slots as Array<{ start: string }>
    rows.forEach((row: any, i: number) => {
      const local = DateTime.fromISO(slots[i].start, { zone: 'Europe/London' })
      assert.equal(row.title, local.setLocale('en').toFormat('ccc d LLL, HH:mm'))
    })
    const holds = await db.rawQuery(
      `select * from ${context.table('booking_holds')} where contact_id = ?`,
      [contactId]
    )
    assert.lengthOf(holds.rows, rows.length, 'every offered slot is held for the customer')

    await say(made, picked(from, rows[1].id, rows[1].title), t0.plus({ minutes: 2 }))
    // The booking step is claimed and run by a worker that dies before "done"...
    const at2 = t0.plus({ minutes: 2 })
    const release = fixClock(at2.toISO()!)
    try {
      const claimed = await claimDue(context, { now: at2, workerId: 'dead-worker' })
      const row = claimed.find((r) => r.kind === 'flow.step')!
      await runFlowStep(context, row, at2)
      // ...and, its lease lapsed, another runs the row again.
      await runFlowStep(context, { ...row, messageId: null }, at2)
    } finally {
      release()
    }
    await runAt(context, t0.plus({ minutes: 3 }))
    const bookings = await bookingsOf(context, contactId)
    assert.lengthOf(bookings, 1)
    assert.equal(new Date(bookings[0].starts_at).toISOString(), slots[1].start)
    assert.equal(bookings[0].time_zone, 'Europe/London')
    session = await sessionOn(context, flow.id, conversationId)
    assert.equal(session.status, 'completed')
    sent = await flowMessages(context, conversationId)
    const local = DateTime.fromISO(slots[1].start, { zone: 'Europe/London' }).toFormat(
      'cccc d LLLL yyyy, HH:mm'
    )
    const confirmations = sent.filter((m) => m.body?.startsWith('Your Coaching session is booked'))
    assert.lengthOf(confirmations, 1, 'confirmed once')
    assert.include(confirmations[0].body, `${local} (Europe/London)`)
    assert.match(confirmations[0].body, /https?:\/\/\S+\.ics/)
    assert.equal(sent.at(-1)!.body, `See you ${local} (Europe/London) for your Coaching session.`)
    assert.equal(session.variables['booking.id'], bookings[0].id)
    assert.match(session.variables['booking.ics'], /\.ics/)
  })

  test('a slot taken meanwhile is offered again with the times free now; taken twice, or no free slot at all, follows the fallback', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup, 'flb')
    const { context } = made
    const { service, coach } = await coachGiving(cleanup, made)
    const flow = await publishedFlow(context, bookingGraph(service.id), {
      triggers: { keywords: ['book'] },
    })
    const t0 = start()
    const from = waId()
    await say(made, typed(from, 'book'), t0)
    const { id: conversationId } = await conversationOf(context, from)
    await runAt(context, t0)
    const rival = await customer(context, made.channel)

    // Each round: the hold lapses, someone else books the last time offered, the customer picks it.
    for (const [round, minutes] of [
      [1, 11],
      [2, 23],
    ]) {
      const session = await sessionOn(context, flow.id, conversationId)
      const offered = session.state.offer.slots as Array<{ start: string }>
      // The last one: the furthest ahead, still to come whatever the hour of the run.
      const last = offered.at(-1)!.start
      const t = t0.plus({ minutes })
      const release = fixClock(t.toISO()!)
      try {
        await bookSlot(context, {
          serviceId: service.id,
          contactId: rival.contactId,
          start: new Date(last),
        })
      } finally {
        release()
      }
      await say(made, typed(from, String(offered.length)), t)
      await runAt(context, t)
      await runAt(context, t)
      const sent = await flowMessages(context, conversationId)
      if (round === 1) {
        assert.equal(
          sent.at(-1)!.payload.content.body,
          'Sorry, that time was just taken. Here are the times free now for your Coaching session (UTC):'
        )
        const again = await sessionOn(context, flow.id, conversationId)
        assert.notInclude(
          again.state.offer.slots.map((slot: { start: string }) => slot.start),
          last
        )
      } else {
        assert.equal(sent.at(-1)!.body, 'A person will help you book.')
      }
    }
    const steps = await stepsOf(context, (await sessionOn(context, flow.id, conversationId)).id)
    assert.lengthOf(
      steps.filter((s) => s.event === 'slot_taken'),
      2
    )
    const { contact_id: contactId } = await conversationOf(context, from)
    const held = await db.rawQuery(
      `select 1 from ${context.table('booking_holds')} where contact_id = ?`,
      [contactId]
    )
    assert.lengthOf(held.rows, 0, 'nothing stays held once the node gave up')

    // A service nobody has hours for: no slot, the fallback at once.
    const empty = await createBookingService(
      context,
      {
        name: 'Night session',
        durationMinutes: 30,
        bufferMinutes: 0,
        priceText: '',
        active: true,
        memberIds: [coach.id],
      },
      [coach.id]
    )
    await db.rawQuery(`update ${context.table('booking_member_hours')} set weekly = '{}'::jsonb`)
    const none = await publishedFlow(context, bookingGraph(empty.id), { name: 'Night' })
    const lonely = await startByApi(made, none.id, t0)
    const sent = await flowMessages(context, lonely.conversationId)
    assert.deepEqual(
      sent.map((m) => m.body),
      ['A person will help you book.']
    )
  })
})

test.group('Flow nodes: isolation', () => {
  test('a flow cannot name another workspace’s dataset, connector, sequence or service: publishing is refused, by service and by page (English and Arabic)', async ({
    assert,
    cleanup,
  }) => {
    const mine = await makeWorkspace(cleanup, 'fli')
    const theirs = await makeWorkspace(cleanup, 'flj')
    const dataset = await createDataset(theirs.context, {
      name: 'Their listings',
      columns: [{ name: 'name', type: 'text' }],
    })
    const { service } = await coachGiving(cleanup, theirs)
    const connector = await createConnector(theirs.context, {
      name: 'Their orders',
      method: 'GET',
      url_template: 'https://api.example.com/orders/{{order}}',
      auth_mode: 'none',
      parameters: [{ name: 'order', type: 'text', pattern: '', required: true, example: '1' }],
      mapping: [{ name: 'status', path: '$.status' }],
      reply_template: '{{status}}',
      timeout_ms: 2000,
      cache_seconds: 0,
    })
    const ownDataset = await createDataset(mine.context, {
      name: 'Our listings',
      columns: [{ name: 'name', type: 'text' }],
    })
    const graph = (datasetId: string, serviceId: string, connectorId?: string): FlowGraph => ({
      nodes: [
        node('look', 'lookup', { source: 'dataset', source_id: datasetId, variable: 'home' }),
        ...(connectorId
          ? [
              node('order', 'lookup', {
                source: 'connector',
                source_id: connectorId,
                params: { order: '{{order_no}}' },
                variable: 'order',
              }),
            ]
          : []),
        node('book', 'booking', { service_id: serviceId }),
        node('journey', 'enroll', { sequence_id: '7a1f0d2e-8c1b-4d6e-9f00-0123456789ab' }),
        node('done', 'end', {}),
      ],
      edges: [
        { from: 'look', port: 'next', to: connectorId ? 'order' : 'book' },
        ...(connectorId ? [{ from: 'order', port: 'next', to: 'book' }] : []),
        { from: 'book', port: 'next', to: 'journey' },
        { from: 'journey', port: 'next', to: 'done' },
      ],
    })
    const flow = await createFlow(mine.context, { name: 'Borrowed' }, null)
    const imported = await importGraph(
      mine.context,
      flow.id,
      graph(dataset.id, service.id, connector.id)
    )
    assert.sameMembers(
      imported.problems.map((p) => `${p.node}:${p.code}`),
      [
        'look:dataset_not_found',
        'order:connector_not_found',
        'book:service_not_found',
        'journey:sequence_not_found',
      ]
    )
    try {
      await publishFlow(mine.context, flow.id, null)
      assert.fail('published')
    } catch (error) {
      assert.instanceOf(error, FlowError)
      assert.include(
        (error as FlowError).problems.map((p) => p.code),
        'dataset_not_found'
      )
    }

    // By page: the problems are shown, in English and Arabic, and nothing is published.
    for (const locale of ['en', 'ar'] as const) {
      const user = await mine.member('admin')
      user.locale = locale
      await user.save()
      const admin = await signIn(user)
      const path = `${mine.base}/flows/${flow.id}`
      const refused = await admin.submit(path, `${path}/publish`, {})
      assert.equal(refused.status, 422)
      assert.include(refused.body, 'data-problem="dataset_not_found" data-problem-node="look"')
      assert.include(refused.body, 'data-problem="service_not_found" data-problem-node="book"')
      assert.include(
        refused.body,
        locale === 'ar'
          ? 'مجموعة البيانات التي يذكرها هذا البحث غير موجودة في مساحة العمل هذه.'
          : 'The dataset this lookup names is not in this workspace.'
      )
    }
    assert.isNull((await findFlow(mine.context, flow.id))!.publishedVersionId)

    // Its own dataset, and a service of its own, publish.
    const { service: ownService } = await coachGiving(cleanup, mine)
    const ownSequence = await createSequence(mine.context, { name: 'Ours' })
    const fixed = graph(ownDataset.id, ownService.id)
    fixed.nodes[2].data.sequence_id = ownSequence.id
    await importGraph(mine.context, flow.id, fixed)
    const published = await publishFlow(mine.context, flow.id, null)
    assert.equal(published.version, 1)

    // Its own connector, called without the parameter it needs (and one it does not have).
    const ownConnector = await createConnector(mine.context, {
      name: 'Our orders',
      method: 'GET',
      url_template: 'https://api.example.com/orders/{{order}}',
      auth_mode: 'none',
      parameters: [{ name: 'order', type: 'text', pattern: '', required: true, example: '1' }],
      mapping: [{ name: 'status', path: '$.status' }],
      reply_template: '{{status}}',
      timeout_ms: 2000,
      cache_seconds: 0,
    })
    const unfilled = graph(ownDataset.id, ownService.id, ownConnector.id)
    unfilled.nodes[1].data.params = { ticket: '{{order_no}}' }
    unfilled.nodes[3].data.sequence_id = ownSequence.id
    const { problems } = await importGraph(mine.context, flow.id, unfilled)
    assert.sameMembers(
      problems.map((p) => `${p.node}:${p.code}`),
      ['order:connector_param_missing', 'order:connector_param_unknown']
    )
  })
})
