import { test } from '@japa/runner'
import { setTimeout as sleep } from 'node:timers/promises'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { fixClock } from '#app/clock'
import { findFlow, startSession, type FlowGraph } from '#modules/flows/index'
import { contentOf, findSession, load, runFlowStep, send } from '#modules/flows/services/runtime'
import { claimDue, dueRowsFor, DUE_LEASE_MS } from '#modules/pulse/index'
import type { TenantContext } from '#modules/tenancy/index'
import { customer, waId } from '#tests/helpers/whatsapp'
import { FakeGraphServer } from '#tests/helpers/fake_graph_server'
import { freePort, startServerProcess, type ServerProcess } from '#tests/helpers/server_process'
import {
  conversationOf,
  flowMessages,
  flowTenant,
  publishedFlow,
  runAt,
  say,
  sessionsOf,
  start,
  startByApi,
  tapped,
  typed,
} from './flow_fixtures.js'

/*
| Exactly once across a dead worker, on a fixed clock. A worker killed by
| SIGKILL leaves nothing but row state behind: a due row claimed under its
| name (its lease running out), perhaps the message it sent (recorded on
| the row in the send's own statement), perhaps the session's move. Each
| test builds that state with the scheduler's own halves (claimDue, then
| none or part of the handler), then lets a live worker run after the
| lease: every message reaches the customer once and the session moves
| once.
*/

const DEAD = 'dead-worker'
const afterLease = (at: DateTime) => at.plus({ milliseconds: DUE_LEASE_MS + 1000 })

/** message → question → end: the steps a crash can fall between. */
function twoStepGraph(): FlowGraph {
  return {
    nodes: [
      {
        id: 'hello',
        type: 'message',
        position: { x: 0, y: 0 },
        data: { text: 'Hello, a few questions first.' },
      },
      {
        id: 'city',
        type: 'question',
        position: { x: 0, y: 120 },
        data: { text: 'Which city are you in?', kind: 'text', variable: 'city' },
      },
      {
        id: 'bye',
        type: 'end',
        position: { x: 0, y: 240 },
        data: { text: 'Thanks, noted {{city}}.' },
      },
    ],
    edges: [
      { from: 'hello', port: 'next', to: 'city' },
      { from: 'city', port: 'next', to: 'bye' },
    ],
  }
}

/** The dead worker's claim at `at` (what a SIGKILL right after the claim leaves). */
async function deadClaim(context: TenantContext, at: DateTime) {
  const rows = await claimDue(context, { now: at, workerId: DEAD })
  return rows.filter((row) => row.kind === 'flow.step')
}

/** Runs `fn` with the app clock at `at`, as the dead worker saw it. */
async function asOf<T>(when: DateTime, fn: () => Promise<T>) {
  const release = fixClock(when.toISO()!)
  try {
    return await fn()
  } finally {
    release()
  }
}

async function stepRows(context: TenantContext, sessionId: string) {
  return (await dueRowsFor(context, { dedupePrefix: `flow:${sessionId}:` })).sort(
    (a, b) => Number(a.payload.stepNo) - Number(b.payload.stepNo)
  )
}

const bodies = (sent: Array<Record<string, any>>) =>
  sent.map((m) => m.body ?? m.payload?.content?.body)

test.group('Flow runtime: a worker killed between steps', () => {
  test('killed after the claim, nothing sent: after the lease a live worker runs the step once, each message reaches the customer once', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup, 'fcr')
    const { context } = made
    const flow = await publishedFlow(context)
    const t0 = start()
    const from = waId()
    await say(made, typed(from, 'insurance'), t0)
    const { id: conversationId } = await conversationOf(context, from)
    const [session] = await sessionsOf(context, flow.id)

    const [held] = await deadClaim(context, t0)
    assert.equal(held.payload.stepNo, 1)
    // The lease still runs: nobody takes the row, nothing is sent.
    const early = await runAt(context, t0.plus({ seconds: 5 }))
    assert.equal(early.claimed, 0)
    assert.lengthOf(await flowMessages(context, conversationId), 0)

    const later = await runAt(context, afterLease(t0))
    assert.equal(later.done, 1)
    let sent = await flowMessages(context, conversationId)
    assert.deepEqual(bodies(sent), ['Hi Layla! What cover do you need?'])
    const [row] = await stepRows(context, session.id)
    assert.equal(row.status, 'done')
    assert.equal(row.attempts, 2)
    assert.equal(row.messageId, sent[0].id)

    // More rounds change nothing; the session advanced once and waits.
    await runAt(context, afterLease(t0).plus({ minutes: 5 }))
    let [now] = await sessionsOf(context, flow.id)
    assert.equal(now.step_no, 1)
    assert.isTrue(now.awaiting)

    // The flow goes on normally from there.
    const t1 = afterLease(t0).plus({ minutes: 6 })
    await say(made, tapped(from, 'car', 'Car'), t1)
    await runAt(context, t1)
    await runAt(context, afterLease(t1))
    sent = await flowMessages(context, conversationId)
    assert.deepEqual(bodies(sent), ['Hi Layla! What cover do you need?', 'How old are you, Layla?'])
    ;[now] = await sessionsOf(context, flow.id)
    assert.equal(now.step_no, 2)
    assert.equal(now.current_node, 'age')
  })

  test('killed after the send, before "done" and before the session moved: the re-run sends nothing again and goes on to the next step', async ({
    assert,
    cleanup,
  }) => {
    const { context, flow, t0, person, first } = await diedAfterSend(cleanup)
    assert.isTrue(first.sent)
    let [session] = await sessionsOf(context, flow.id)
    assert.equal(session.step_no, 1, 'it died before the move')

    await runAt(context, afterLease(t0))
    const sent = await flowMessages(context, person.conversationId)
    assert.deepEqual(bodies(sent), ['Hello, a few questions first.', 'Which city are you in?'])
    assert.equal(sent[0].id, first.messageId)
    ;[session] = await sessionsOf(context, flow.id)
    assert.equal(session.step_no, 2)
    assert.equal(session.current_node, 'city')
    assert.isTrue(session.awaiting)
    const rows = await stepRows(context, person.sessionId)
    assert.deepEqual(
      rows.map((r) => [r.payload.stepNo, r.status]),
      [
        [1, 'done'],
        [2, 'done'],
      ]
    )
  })

  test('killed after the send with the row’s record of it lost: the idempotency key still meets the first message', async ({
    assert,
    cleanup,
  }) => {
    const { context, t0, person, held, first } = await diedAfterSend(cleanup)
    // A re-run that does not see message_id on the row (the worst case).
    await db.rawQuery(`update ${context.table('due_work')} set message_id = null where id = ?`, [
      held.id,
    ])
    await runAt(context, afterLease(t0))
    const sent = await flowMessages(context, person.conversationId)
    assert.lengthOf(sent, 2)
    assert.equal(sent[0].id, first.messageId)
    assert.equal(sent[1].body, 'Which city are you in?')
  })

  test('killed between two steps (the first ran and moved, the second claimed, nothing sent): the second step runs once, the first not again', async ({
    assert,
    cleanup,
  }) => {
    const { made, context, flow, t0, person } = await twoStepStarted(cleanup)

    // The dead worker ran step 1 whole (sent, moved) but never marked it
    // done, then claimed step 2 and died before its send.
    const [one] = await deadClaim(context, t0)
    await asOf(t0, () => runFlowStep(context, one, t0))
    const [two] = await deadClaim(context, t0)
    assert.equal(two.payload.stepNo, 2)
    assert.equal(two.payload.nodeId, 'city')
    let sent = await flowMessages(context, person.conversationId)
    assert.lengthOf(sent, 1)

    const later = await runAt(context, afterLease(t0))
    assert.equal(later.claimed, 2)
    sent = await flowMessages(context, person.conversationId)
    assert.deepEqual(bodies(sent), ['Hello, a few questions first.', 'Which city are you in?'])
    const rows = await stepRows(context, person.sessionId)
    assert.deepEqual(
      rows.map((r) => [r.payload.stepNo, r.status, r.result]),
      [
        [1, 'done', { stale: true }],
        [2, 'done', { waiting: 'city' }],
      ]
    )

    // The customer answers; the end runs once, however often rounds run.
    const t1 = afterLease(t0).plus({ minutes: 1 })
    await say(made, typed(person.from, 'Dubai'), t1)
    await runAt(context, t1)
    await runAt(context, afterLease(t1))
    sent = await flowMessages(context, person.conversationId)
    assert.deepEqual(bodies(sent), [
      'Hello, a few questions first.',
      'Which city are you in?',
      'Thanks, noted Dubai.',
    ])
    const [session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'completed')
    assert.deepEqual(session.answers, { city: 'Dubai' })
  })

  test('an answer that comes while the question’s step is held by a dead worker (sent, not yet waiting) is read when the step runs again', async ({
    assert,
    cleanup,
  }) => {
    const { made, context, flow, t0, person } = await twoStepStarted(cleanup)
    // Step 1 runs whole (the dead worker, its row left claimed); the dead
    // worker claims step 2 (the question), sends it and dies before it waits.
    const [one] = await deadClaim(context, t0)
    await asOf(t0, () => runFlowStep(context, one, t0))
    const [two] = await deadClaim(context, t0)
    await asOf(t0, async () => {
      const found = (await findSession(context, person.sessionId))!
      const loaded = (await load(context, found))!
      const node = loaded.graph.nodes.find((n) => n.id === 'city')!
      return send(context, two, loaded, contentOf(node, found, loaded.contact, false)!)
    })
    let session: Record<string, any>
    ;[session] = await sessionsOf(context, flow.id)
    assert.equal(session.current_node, 'city')
    assert.isFalse(session.awaiting)
    // The customer saw the question and answers within the lease.
    await say(made, typed(person.from, 'Cairo'), t0.plus({ seconds: 3 }))
    await runAt(context, afterLease(t0))
    await runAt(context, afterLease(afterLease(t0)))
    const sent = await flowMessages(context, person.conversationId)
    assert.deepEqual(bodies(sent), [
      'Hello, a few questions first.',
      'Which city are you in?',
      'Thanks, noted Cairo.',
    ])
    ;[session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'completed')
    assert.deepEqual(session.answers, { city: 'Cairo' })
  })
})

/** Four messages in a row and an end: every step a send, none waiting for the customer. */
function fourStepGraph(): FlowGraph {
  const steps = ['one', 'two', 'three']
  return {
    nodes: [
      ...steps.map((id, i) => ({
        id,
        type: 'message' as const,
        position: { x: 0, y: i * 100 },
        data: { text: `Step ${i + 1} of 4` },
      })),
      { id: 'four', type: 'end', position: { x: 0, y: 300 }, data: { text: 'Step 4 of 4' } },
    ],
    edges: [
      { from: 'one', port: 'next', to: 'two' },
      { from: 'two', port: 'next', to: 'three' },
      { from: 'three', port: 'next', to: 'four' },
    ],
  }
}

const SESSIONS = 50

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, everyMs = 100) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await probe()) return true
    await sleep(everyMs)
  }
  return false
}

test.group('Flow runtime: a real worker process SIGKILLed mid-flow', () => {
  test('50 sessions mid-flow when their worker is SIGKILLed: a second worker finishes them: each message stored once, none sent twice', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup, 'fkl')
    const { context } = made
    const graph = new FakeGraphServer()
    await graph.start()
    cleanup(() => graph.stop())
    const flow = await publishedFlow(context, fourStepGraph(), { triggers: {} })
    const found = (await findFlow(context, flow.id))!
    const conversations: string[] = []
    const now = DateTime.now()
    for (let i = 0; i < SESSIONS; i++) {
      const person = await customer(context, made.channel)
      await startSession(context, found, {
        conversationId: person.conversationId,
        contactId: person.contactId,
        source: 'api',
        now,
      })
      conversations.push(person.conversationId)
    }
    const sentCount = async () => {
      const result = await db.rawQuery(
        `select count(*)::int as n from ${context.table('messages')}
          where direction = 'outbound' and author_type = 'system'`
      )
      return Number(result.rows[0].n)
    }
    const workers: ServerProcess[] = []
    const startWorker = async () => {
      const worker = startServerProcess({
        APP_ROLE: 'worker',
        // Not 'test': a test process runs no scheduler loop (pulse's listeners).
        NODE_ENV: 'production',
        PORT: String(await freePort()),
        WHATSAPP_GRAPH_URL: graph.url,
        LOG_LEVEL: 'warn',
      })
      workers.push(worker)
      cleanup(async () => {
        await worker.stop()
      })
      return worker
    }

    // Two workers start together (their boots overlap); once a quarter of
    // the messages are out, the one holding claimed steps is SIGKILLed.
    const pair = [await startWorker(), await startWorker()]
    const holder = async () => {
      const result = await db.rawQuery(
        `select distinct claimed_by from ${context.table('due_work')}
          where kind = 'flow.step' and status = 'claimed'`
      )
      const pids = result.rows.map((r: { claimed_by: string }) => r.claimed_by.split(':')[1])
      return pair.find((w) => pids.includes(String(w.child.pid))) ?? null
    }
    let victim: ServerProcess | null = null
    const started = await waitUntil(
      async () => (await sentCount()) >= SESSIONS && (victim = await holder()) !== null,
      60_000,
      20
    )
    assert.isTrue(started, pair.map((w) => w.output()).join('\n'))
    const dead = victim!
    dead.child.kill('SIGKILL')
    await dead.exited
    const survivor = pair.find((w) => w !== dead)!
    const atKill = await sentCount()
    const left = await db.rawQuery(
      `select count(*)::int as n from ${context.table('due_work')}
        where kind = 'flow.step' and status = 'claimed' and claimed_by like ?`,
      [`%:${dead.child.pid}:%`]
    )
    assert.isBelow(atKill, SESSIONS * 4, 'killed mid-flow')

    // The survivor takes the dead worker's steps once their lease lapses.
    const finished = await waitUntil(
      async () => {
        const result = await db.rawQuery(
          `select count(*)::int as n from ${context.table('flow_sessions')}
          where flow_id = ? and status = 'completed'`,
          [flow.id]
        )
        return Number(result.rows[0].n) === SESSIONS
      },
      45_000,
      250
    )
    assert.isTrue(finished, survivor.output())

    // Stored: each conversation has the four steps, once each, in order.
    const stored = await db.rawQuery(
      `select conversation_id, body from ${context.table('messages')}
        where direction = 'outbound' and author_type = 'system' order by seq`
    )
    const byConversation = new Map<string, string[]>()
    for (const row of stored.rows) {
      byConversation.set(row.conversation_id, [
        ...(byConversation.get(row.conversation_id) ?? []),
        row.body,
      ])
    }
    const expected = ['Step 1 of 4', 'Step 2 of 4', 'Step 3 of 4', 'Step 4 of 4']
    for (const id of conversations) assert.deepEqual(byConversation.get(id), expected)
    assert.lengthOf(stored.rows, SESSIONS * 4)

    // Sent: the Graph API never got a message twice. (A delivery job the
    // dead worker held is BullMQ's to take back after its stall check, 30 s
    // in production: not waited for here.)
    const sends = graph.calls
      .filter((c) => c.method === 'POST' && c.path.endsWith('/messages'))
      .map((c) => `${c.body?.to}|${c.body?.text?.body}`)
    assert.equal(new Set(sends).size, sends.length, 'none sent twice')
    const storedTexts = new Set(stored.rows.map((r: { body: string }) => r.body))
    assert.isTrue(sends.every((line) => storedTexts.has(line.split('|')[1])))
    console.log(
      `  killed with ${atKill}/${SESSIONS * 4} messages stored, ${left.rows[0].n} steps held by the dead worker, ${sends.length} at the Graph API`
    )
  })
    .timeout(120_000)
    // On the embedded database an earlier form of this test (the second
    // worker started only after the kill) hung the whole run once; this form
    // passed there once (46 s). Until that is understood it runs on
    // PostgreSQL, or on the embedded database with FLOWS_CRASH_EMBEDDED=1.
    .skip(
      !process.env.DATABASE_URL && !process.env.FLOWS_CRASH_EMBEDDED,
      'needs PostgreSQL (DATABASE_URL), or FLOWS_CRASH_EMBEDDED=1'
    )
})

/** A two-step flow, published, and a person started on it by the API at t0 (not yet run). */
async function twoStepStarted(cleanup: (fn: () => void | Promise<void>) => void) {
  const made = await flowTenant(cleanup, 'fcr')
  const { context } = made
  const flow = await publishedFlow(context, twoStepGraph(), { triggers: {} })
  const t0 = start()
  const person = await startByApi(made, flow.id, t0, { run: false })
  return { made, context, flow, t0, person }
}

/**
 * A two-step flow started at t0 whose first step a worker claimed, sent
 * (the first half of the handler) and died with: nothing moved, nothing done.
 */
async function diedAfterSend(cleanup: (fn: () => void | Promise<void>) => void) {
  const { context, flow, t0, person } = await twoStepStarted(cleanup)
  const [held] = await deadClaim(context, t0)
  const first = await asOf(t0, async () => {
    const session = (await findSession(context, person.sessionId))!
    const loaded = (await load(context, session))!
    const node = loaded.graph.nodes[0]
    return send(context, held, loaded, contentOf(node, session, loaded.contact, false)!)
  })
  return { context, flow, t0, person, held, first }
}
