import { test } from '@japa/runner'
import { setTimeout as sleep } from 'node:timers/promises'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import type { TenantContext } from '#modules/tenancy/index'
import { expireDueTasks } from '#modules/hitl/index'
import { settle } from '#modules/hitl/services/task_service'
import { customer, makeWhatsAppTenant } from '#tests/helpers/whatsapp'
import { api, makeKey } from '../integrations/api_client.js'
import { type Cleanup, createTaskViaApi, replyTask } from './hitl_fixtures.js'

/*
| A send_message task's approval racing its cancel, or the expiry sweep:
| exactly one of them resolves the task, and a task that ends cancelled or
| expired never sends. The deterministic cases hold the task's row lock in
| a transaction of the test's own, let the approval reach its statement and
| wait on that lock, then commit the other resolution first.
*/

/**
 * The embedded database serves one session at a time, so a lock the test
 * holds cannot be waited on by the app: those two cases need a server (the
 * suite's PostgreSQL run covers them); the concurrent ones run on both.
 */
const ONE_SESSION = !env.get('DATABASE_URL')
const HELD_LOCK_NEEDS_TWO_SESSIONS =
  'holding a row lock while the app waits on it needs a second database session'

async function whatsappTask(cleanup: Cleanup, extra: Record<string, unknown> = {}) {
  const made = await makeWhatsAppTenant('hitlrace')
  cleanup(made.cleanup)
  const { token } = await makeKey(made.tenant)
  const { contactId, conversationId } = await customer(made.context, made.channel, {
    hoursAgo: 1,
  })
  const create = () =>
    createTaskViaApi(
      token,
      replyTask({ contact_id: contactId, action: { type: 'send_message' }, ...extra })
    )
  return { ...made, token, conversationId, create }
}

async function sentOf(context: TenantContext, taskId: string) {
  return db
    .from('messages')
    .withSchema(context.schema)
    .where('idempotency_key', `hitl-task:${taskId}`)
}

async function statusOf(context: TenantContext, taskId: string) {
  const row = await db.from('hitl_tasks').withSchema(context.schema).where('id', taskId).first()
  return row.status as string
}

/** Waits until some session is blocked on a lock while writing hitl_tasks. */
async function untilBlockedOnTask() {
  const deadline = Date.now() + 5_000
  for (;;) {
    const { rows } = await db.rawQuery(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'
          and query ilike '%hitl_tasks%'`
    )
    if (rows[0].n > 0) return
    if (Date.now() > deadline) throw new Error('the approval never waited on the task’s lock')
    await sleep(10)
  }
}

/**
 * Holds the task's row lock, starts the approval, and once it waits on that
 * lock commits `status` through the same conditional write the cancel and
 * the sweep use. Answers the approval's HTTP answer.
 */
async function approvalLosingTo(
  context: TenantContext,
  token: string,
  taskId: string,
  status: 'cancelled' | 'expired'
) {
  let approval: Promise<Awaited<ReturnType<typeof api>>> | null = null
  await context.transaction(async (trx) => {
    await trx.from('hitl_tasks').where('id', taskId).forUpdate().first()
    approval = api('POST', `/api/v1/tasks/${taskId}/resolve`, {
      token,
      body: { decision: 'approve', values: { reply: 'Approved while it ended' } },
    })
    await untilBlockedOnTask()
    const response = {
      decision: status,
      values: {},
      original_values: {},
      edited: [],
      reason: status === 'expired' ? 'expired' : null,
      comment: null,
      by: { type: 'system' as const, id: null, name: 'test' },
      at: new Date().toISOString(),
    }
    const settled = await settle(context, taskId, status, response, trx)
    if (!settled) throw new Error('the test could not settle the task')
  })
  return approval!
}

test.group('Task races: send_message approval against cancel and expiry', () => {
  test('a cancel committed while the approval waits wins, and nothing is sent', async ({
    assert,
    cleanup,
  }) => {
    const { context, token, create } = await whatsappTask(cleanup)
    const task = await create()
    assert.equal(task.status, 201, task.text)
    const answer = await approvalLosingTo(context, token, task.json.id, 'cancelled')
    assert.equal(answer.status, 409, answer.text)
    assert.equal(answer.json.error.code, 'task_already_resolved')
    assert.equal(await statusOf(context, task.json.id), 'cancelled')
    assert.lengthOf(await sentOf(context, task.json.id), 0)
  }).skip(ONE_SESSION, HELD_LOCK_NEEDS_TWO_SESSIONS)

  test('the expiry sweep committed while the approval waits wins, and nothing is sent', async ({
    assert,
    cleanup,
  }) => {
    const { context, token, create } = await whatsappTask(cleanup, {
      expires_at: DateTime.now().plus({ minutes: 5 }).toISO(),
    })
    const task = await create()
    const answer = await approvalLosingTo(context, token, task.json.id, 'expired')
    assert.equal(answer.status, 409, answer.text)
    assert.equal(await statusOf(context, task.json.id), 'expired')
    assert.lengthOf(await sentOf(context, task.json.id), 0)
  }).skip(ONE_SESSION, HELD_LOCK_NEEDS_TWO_SESSIONS)

  test('approvals fired at once with cancels: one resolution each, sends only when approved', async ({
    assert,
    cleanup,
  }) => {
    const { context, token, create } = await whatsappTask(cleanup)
    const tasks = await Promise.all(Array.from({ length: 8 }, () => create()))
    const outcomes = new Set<string>()
    await Promise.all(
      tasks.map(async (task) => {
        const id = task.json.id
        const [approve, cancel] = await Promise.all([
          api('POST', `/api/v1/tasks/${id}/resolve`, { token, body: { decision: 'approve' } }),
          api('POST', `/api/v1/tasks/${id}/cancel`, { token, body: {} }),
        ])
        assert.deepEqual(
          [approve.status, cancel.status].sort(),
          [200, 409],
          `${approve.text} / ${cancel.text}`
        )
        const status = await statusOf(context, id)
        outcomes.add(status)
        assert.equal(status, approve.status === 200 ? 'approved' : 'cancelled')
        assert.lengthOf(await sentOf(context, id), status === 'approved' ? 1 : 0)
        const resolutions = await db
          .from('hitl_task_events')
          .withSchema(context.schema)
          .where('task_id', id)
          .whereIn('type', ['approved', 'cancelled'])
        assert.lengthOf(resolutions, 1)
      })
    )
    assert.isAbove(outcomes.size, 0)
  })

  test('approvals fired at once with the expiry sweep: one resolution each, expired never sends', async ({
    assert,
    cleanup,
  }) => {
    const { context, token, create } = await whatsappTask(cleanup, {
      expires_at: DateTime.now().plus({ minutes: 5 }).toISO(),
    })
    const tasks = await Promise.all(Array.from({ length: 6 }, () => create()))
    await db
      .from('hitl_tasks')
      .withSchema(context.schema)
      .update({ expires_at: DateTime.now().minus({ seconds: 1 }).toJSDate() })
    const [swept, ...answers] = await Promise.all([
      expireDueTasks(context),
      ...tasks.map((task) =>
        api('POST', `/api/v1/tasks/${task.json.id}/resolve`, {
          token,
          body: { decision: 'approve' },
        })
      ),
    ])
    const approved = answers.filter((a) => a.status === 200).length
    assert.equal(swept + approved, tasks.length)
    for (const [i, task] of tasks.entries()) {
      const status = await statusOf(context, task.json.id)
      assert.equal(status, answers[i].status === 200 ? 'approved' : 'expired')
      assert.lengthOf(await sentOf(context, task.json.id), status === 'approved' ? 1 : 0)
    }
  })
})
