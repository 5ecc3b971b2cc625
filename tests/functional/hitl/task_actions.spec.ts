import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { expireDueTasks } from '#modules/hitl/index'
import { requeueStrandedCallbacks } from '#modules/hitl/services/callbacks'
import { useWorkers } from '#tests/helpers/queue'
import { customer, makeWhatsAppTenant } from '#tests/helpers/whatsapp'
import { api, makeKey } from '../integrations/api_client.js'
import { approvedTemplate } from '../integrations/api_fixtures.js'
import { startReceiver } from '../integrations/webhook_receiver.js'
import {
  DRAFT,
  type Cleanup,
  createTaskViaApi,
  fastRetries,
  replyTask,
  tenantWithKey,
} from './hitl_fixtures.js'

async function whatsappWithKey(cleanup: Cleanup) {
  const made = await makeWhatsAppTenant('hitlwa')
  cleanup(made.cleanup)
  const { token } = await makeKey(made.tenant)
  return { ...made, token }
}

async function outboundOf(context: { schema: string }, conversationId: string) {
  return db
    .from('messages')
    .withSchema(context.schema)
    .where('conversation_id', conversationId)
    .where('direction', 'outbound')
}

test.group('Task actions: send_message', () => {
  test('approval sends the edited text into the conversation, once', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, token } = await whatsappWithKey(cleanup)
    const { contactId, conversationId } = await customer(context, channel, { hoursAgo: 2 })
    const task = await createTaskViaApi(
      token,
      replyTask({ contact_id: contactId, action: { type: 'send_message' } })
    )
    assert.equal(task.status, 201, task.text)
    assert.equal(task.json.conversation_id, null)
    const edited = 'Edited: the premium stays at 1,200 AED.'
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        api('POST', `/api/v1/tasks/${task.json.id}/resolve`, {
          token,
          body: { decision: 'approve', values: { reply: edited } },
        })
      )
    )
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409, 409])
    const approved = answers.find((a) => a.status === 200)!.json
    const sent = await outboundOf(context, conversationId)
    assert.lengthOf(sent, 1)
    assert.equal(sent[0].body, edited)
    assert.equal(approved.response.message_id, sent[0].id)
    assert.deepEqual(approved.response.original_values.reply, DRAFT)
  })

  test('outside the 24-hour window approval asks for a template, and sends the one chosen', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, token } = await whatsappWithKey(cleanup)
    const { conversationId } = await customer(context, channel, { hoursAgo: 30 })
    const template = await approvedTemplate(context, channel.id, { variables: 1 })
    const task = await createTaskViaApi(
      token,
      replyTask({ conversation_id: conversationId, action: { type: 'send_message' } })
    )
    const path = `/api/v1/tasks/${task.json.id}/resolve`
    const refused = await api('POST', path, { token, body: { decision: 'approve' } })
    assert.equal(refused.status, 422)
    assert.equal(refused.json.error.code, 'window_closed')
    assert.match(refused.json.error.message, /approved template/)
    assert.equal(
      (await api('GET', `/api/v1/tasks/${task.json.id}`, { token })).json.status,
      'pending'
    )
    assert.lengthOf(await outboundOf(context, conversationId), 0)

    const approved = await api('POST', path, {
      token,
      body: { decision: 'approve', template: { ...template, variables: ['Omar'] } },
    })
    assert.equal(approved.status, 200, approved.text)
    const sent = await outboundOf(context, conversationId)
    assert.lengthOf(sent, 1)
    assert.equal(sent[0].type, 'template')
  })

  test('an opted-out contact is refused at approval time, not at creation', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, token } = await whatsappWithKey(cleanup)
    const { contactId } = await customer(context, channel, { optedOut: true })
    const task = await createTaskViaApi(
      token,
      replyTask({ contact_id: contactId, action: { type: 'send_message' } })
    )
    assert.equal(task.status, 201)
    const refused = await api('POST', `/api/v1/tasks/${task.json.id}/resolve`, {
      token,
      body: { decision: 'approve' },
    })
    assert.equal(refused.status, 422)
    assert.equal(refused.json.error.code, 'contact_opted_out')
    // Rejecting needs no send.
    const rejected = await api('POST', `/api/v1/tasks/${task.json.id}/resolve`, {
      token,
      body: { decision: 'reject', reason: 'Opted out' },
    })
    assert.equal(rejected.status, 200)
  })

  test("send_message needs a contact, and another tenant's contact is not found", async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const other = await whatsappWithKey(cleanup)
    const { contactId } = await customer(other.context, other.channel)
    const none = await createTaskViaApi(token, replyTask({ action: { type: 'send_message' } }))
    assert.equal(none.status, 422)
    assert.include(Object.keys(none.json.error.fields), 'contact_id')
    const foreign = await createTaskViaApi(
      token,
      replyTask({ contact_id: contactId, action: { type: 'send_message' } })
    )
    assert.equal(foreign.status, 404)
    assert.equal(foreign.json.error.code, 'contact_not_found')
  })
})

test.group('Task expiry', (group) => {
  useWorkers(group, ['webhooks'])
  fastRetries(group)

  async function expire(context: { schema: string }, taskId: string) {
    await db
      .from('hitl_tasks')
      .withSchema(context.schema)
      .where('id', taskId)
      .update({ expires_at: DateTime.now().minus({ minutes: 1 }).toJSDate() })
  }

  test('an expired task is resolved by on_timeout once, and its callback says expired', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await tenantWithKey(cleanup)
    const receiver = await startReceiver(cleanup)
    const inAMinute = DateTime.now().plus({ minutes: 1 }).toISO()
    const cancel = await createTaskViaApi(
      token,
      replyTask({ expires_at: inAMinute, callback_url: receiver.url })
    )
    const approve = await createTaskViaApi(
      token,
      replyTask({ expires_at: inAMinute, on_timeout: 'approve' })
    )
    const reject = await createTaskViaApi(
      token,
      replyTask({ expires_at: inAMinute, on_timeout: 'reject' })
    )
    const later = await createTaskViaApi(token, replyTask({ expires_at: inAMinute }))
    for (const task of [cancel, approve, reject]) await expire(context, task.json.id)

    // Two sweeps at once (two workers): each task is claimed by one of them.
    const counts = await Promise.all([expireDueTasks(context), expireDueTasks(context)])
    assert.equal(counts[0] + counts[1], 3)
    assert.equal(await expireDueTasks(context), 0)

    const status = async (id: string) => (await api('GET', `/api/v1/tasks/${id}`, { token })).json
    assert.equal((await status(cancel.json.id)).status, 'expired')
    const approved = await status(approve.json.id)
    assert.equal(approved.status, 'approved')
    assert.equal(approved.response.by.type, 'system')
    assert.equal(approved.response.values.reply, DRAFT)
    assert.equal((await status(reject.json.id)).status, 'rejected')
    assert.equal((await status(later.json.id)).status, 'pending')

    const [callback] = await receiver.waitFor(1)
    assert.equal(callback.json.decision, 'expired')
    assert.equal(callback.json.task_id, cancel.json.id)
    const audit = await db
      .from('audit_logs')
      .where('subject_id', cancel.json.id)
      .where('action', 'hitl.task.expired')
    assert.lengthOf(audit, 1)
  })

  test('a callback left pending (its job lost) is queued again by the sweep, then settled', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await tenantWithKey(cleanup)
    const receiver = await startReceiver(cleanup)
    const task = await createTaskViaApi(token, replyTask({ callback_url: receiver.url }))
    // The resolution's row as if Redis had lost its job: pending, written long ago.
    const resolved = await api('POST', `/api/v1/tasks/${task.json.id}/resolve`, {
      token,
      body: { decision: 'approve' },
    })
    assert.equal(resolved.status, 200)
    await receiver.waitFor(1)
    // The job records the delivery after the receiver answered: wait for it before rewriting the row.
    await callbackSettled(context, task.json.id)
    await db
      .from('hitl_callbacks')
      .withSchema(context.schema)
      .where('task_id', task.json.id)
      .update({ status: 'pending', updated_at: DateTime.now().minus({ hours: 1 }).toJSDate() })
    assert.equal(await requeueStrandedCallbacks(context), 1)
    await receiver.waitFor(2)
    assert.equal(receiver.requests[1].body, receiver.requests[0].body)
    assert.equal(await callbackSettled(context, task.json.id), 'delivered')
    assert.equal(await requeueStrandedCallbacks(context), 0)
  })

  test('a person approving as the sweep expires resolves the task once', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await tenantWithKey(cleanup)
    const task = await createTaskViaApi(
      token,
      replyTask({ expires_at: DateTime.now().plus({ minutes: 1 }).toISO() })
    )
    await expire(context, task.json.id)
    const [swept, answer] = await Promise.all([
      expireDueTasks(context),
      api('POST', `/api/v1/tasks/${task.json.id}/resolve`, {
        token,
        body: { decision: 'approve' },
      }),
    ])
    assert.equal(swept + (answer.status === 200 ? 1 : 0), 1)
    const events = await db
      .from('hitl_task_events')
      .withSchema(context.schema)
      .where('task_id', task.json.id)
      .whereIn('type', ['approved', 'expired'])
    assert.lengthOf(events, 1)
  })
})

/** The task's callback status once its job has settled it (delivered or failed), or after 10 s. */
async function callbackSettled(context: { schema: string }, taskId: string) {
  let status = ''
  for (let i = 0; i < 200; i++) {
    const row = await db
      .from('hitl_callbacks')
      .withSchema(context.schema)
      .where('task_id', taskId)
      .first()
    status = row?.status ?? ''
    if (status === 'delivered' || status === 'failed') break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return status
}
