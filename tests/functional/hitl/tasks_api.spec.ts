import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { verifySignature } from '#modules/integrations/index'
import { createSubscription } from '#modules/integrations/services/webhook_subscription_service'
import { useWorkers } from '#tests/helpers/queue'
import { api, makeKey } from '../integrations/api_client.js'
import { startReceiver } from '../integrations/webhook_receiver.js'
import {
  DRAFT,
  createTaskViaApi,
  fastRetries,
  replyTask,
  taskCount,
  tenantWithKey,
  waitForCallback,
} from './hitl_fixtures.js'

test.group('Tasks API: the task object', () => {
  test('POST opens a pending task (201) that GET reads back, without secrets', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const created = await createTaskViaApi(
      token,
      replyTask({ priority: 'high', source: { type: 'flow', ref: 'wf-1' } })
    )
    assert.equal(created.status, 201)
    assert.include(created.json, { status: 'pending', kind: 'reply_approval', priority: 'high' })
    assert.match(created.json.id, /^[0-9a-f-]{36}$/)
    assert.isNull(created.json.callback_secret)
    assert.match(created.json.resume_url, new RegExp(`/webhooks/tasks/.+/.+`))
    assert.equal(created.headers.get('location'), `/api/v1/tasks/${created.json.id}`)
    assert.deepEqual(created.json.action, { type: 'none' })
    assert.deepEqual(created.json.source, { type: 'flow', ref: 'wf-1' })

    const read = await api('GET', `/api/v1/tasks/${created.json.id}`, { token })
    assert.equal(read.status, 200)
    assert.equal(read.json.components[1].value, DRAFT)
    assert.isNull(read.json.response)
    assert.notProperty(read.json, 'callback_secret')
    assert.notProperty(read.json, 'callback_secret_encrypted')
    assert.notProperty(read.json, 'resume_url')
  })

  test('an unknown component type is 422 naming the component and field, and nothing is stored', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await tenantWithKey(cleanup)
    const body = replyTask()
    body.components.push({ type: 'carousel', name: 'x' } as any)
    const refused = await createTaskViaApi(token, body)
    assert.equal(refused.status, 422)
    assert.equal(refused.json.error.code, 'invalid_component')
    assert.include(Object.keys(refused.json.error.fields), 'components.3.type')
    assert.match(refused.json.error.message, /Component 4 \(x\): unknown type "carousel"/)
    assert.equal(await taskCount(context), 0)
  })

  test('a missing required property and an oversized value are 422s naming each', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await tenantWithKey(cleanup)
    const missing = await createTaskViaApi(token, {
      kind: 'k',
      title: 'T',
      components: [{ type: 'editable_text', label: 'Reply', value: 'x' }],
    })
    assert.equal(missing.status, 422)
    assert.include(Object.keys(missing.json.error.fields), 'components.0.name')

    const oversized = await createTaskViaApi(token, {
      kind: 'k',
      title: 'T',
      components: [
        { type: 'text', text: 'ok' },
        {
          type: 'editable_text',
          name: 'reply',
          label: 'Reply',
          value: 'x'.repeat(11),
          max_length: 10,
        },
      ],
    })
    assert.equal(oversized.status, 422)
    assert.deepEqual(Object.keys(oversized.json.error.fields), ['components.1.value'])
    assert.match(
      oversized.json.error.fields['components.1.value'][0],
      /Component 2 \(reply\): longer than max_length/
    )

    const table = await createTaskViaApi(token, {
      kind: 'k',
      title: 'T',
      components: [
        { type: 'table', columns: [{ key: 'a', label: 'A' }], rows: [{ a: 1 }], highlight_row: 3 },
      ],
    })
    assert.equal(table.status, 422)
    assert.include(Object.keys(table.json.error.fields), 'components.0.highlight_row')

    const extra = await createTaskViaApi(token, {
      kind: 'k',
      title: 'T',
      components: [{ type: 'text', text: 'hi', colour: 'red' }],
    })
    assert.equal(extra.status, 422)
    assert.include(Object.keys(extra.json.error.fields), 'components.0.colour')
    assert.equal(await taskCount(context), 0)
  })

  test('every component type of the schema is accepted', async ({ assert, cleanup }) => {
    const { token } = await tenantWithKey(cleanup)
    const created = await createTaskViaApi(token, {
      kind: 'everything',
      title: 'All components',
      components: [
        { type: 'text', text: '# Hi' },
        { type: 'editable_text', name: 'reply', label: 'Reply', value: 'Hello' },
        {
          type: 'choice',
          name: 'plan',
          label: 'Plan',
          options: [
            { value: 'a', label: 'A' },
            { value: 'b', label: 'B' },
          ],
          multiple: true,
          value: ['a'],
        },
        { type: 'number', name: 'premium', label: 'Premium', value: 1200, min: 0 },
        { type: 'date', name: 'start', label: 'Start', value: '2027-01-01' },
        { type: 'image', url: 'https://cdn.example/a.png', caption: 'A' },
        { type: 'video', url: 'https://cdn.example/a.mp4' },
        { type: 'audio', url: 'https://cdn.example/a.ogg' },
        {
          type: 'document',
          url: 'https://cdn.example/q.pdf',
          filename: 'q.pdf',
          page_images: ['https://cdn.example/q1.png'],
        },
        {
          type: 'table',
          columns: [
            { key: 'insurer', label: 'Insurer' },
            { key: 'premium', label: 'Premium' },
          ],
          rows: [
            { insurer: 'AXA', premium: 1200 },
            { insurer: 'Oman', premium: 1100 },
          ],
          highlight_row: 1,
        },
        { type: 'key_values', items: [{ label: 'Deductible', value: '500 AED' }] },
        {
          type: 'citations',
          items: [{ source: 'Policy.pdf', heading: 'Claims', quote: 'Call within 30 days.' }],
        },
        { type: 'message_preview', text_from: 'reply' },
      ],
    })
    assert.equal(created.status, 201, created.text)
    assert.lengthOf(created.json.components, 13)
  })

  test('a retried POST with the same Idempotency-Key opens one task and replays its secret', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await tenantWithKey(cleanup)
    const headers = { 'Idempotency-Key': randomUUID() }
    const body = replyTask({ callback_url: 'http://127.0.0.1:9/hook' })
    const first = await createTaskViaApi(token, body, headers)
    const again = await createTaskViaApi(token, body, headers)
    assert.equal(first.status, 201)
    assert.equal(again.status, 201)
    assert.equal(again.headers.get('idempotent-replayed'), 'true')
    assert.equal(again.json.id, first.json.id)
    assert.match(first.json.callback_secret, /^whsec_/)
    assert.equal(again.json.callback_secret, first.json.callback_secret)
    assert.deepEqual(first.json.action, { type: 'callback' })
    assert.equal(await taskCount(context), 1)
  })

  test('lists filter by status, kind, contact and assignee, a cursor page at a time', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      ids.push(
        (
          await createTaskViaApi(
            token,
            replyTask({
              kind: i === 2 ? 'quote_review' : 'reply_approval',
              assignee: { role: 'agent' },
            })
          )
        ).json.id
      )
    }
    await api('POST', `/api/v1/tasks/${ids[0]}/cancel`, { token })
    const first = await api('GET', '/api/v1/tasks?limit=2', { token })
    assert.deepEqual(
      first.json.data.map((t: any) => t.id),
      [ids[2], ids[1]]
    )
    const rest = await api('GET', `/api/v1/tasks?limit=2&cursor=${first.json.next_cursor}`, {
      token,
    })
    assert.deepEqual(
      rest.json.data.map((t: any) => t.id),
      [ids[0]]
    )
    assert.isNull(rest.json.next_cursor)
    const pending = await api('GET', '/api/v1/tasks?status=pending&kind=reply_approval', { token })
    assert.deepEqual(
      pending.json.data.map((t: any) => t.id),
      [ids[1]]
    )
    const byRole = await api('GET', '/api/v1/tasks?assignee=agent', { token })
    assert.lengthOf(byRole.json.data, 3)
    const none = await api('GET', '/api/v1/tasks?assignee=none', { token })
    assert.lengthOf(none.json.data, 0)
    assert.equal((await api('GET', '/api/v1/tasks?status=done', { token })).status, 422)
    const byContact = await api('GET', `/api/v1/tasks?contact_id=${randomUUID()}`, { token })
    assert.lengthOf(byContact.json.data, 0)
  })

  test('scopes: tasks:read lists but cannot open or resolve', async ({ assert, cleanup }) => {
    const { token, tenant } = await tenantWithKey(cleanup)
    const reader = await makeKey(tenant, ['tasks:read'])
    const created = await createTaskViaApi(token, replyTask())
    assert.equal((await api('GET', '/api/v1/tasks', { token: reader.token })).status, 200)
    assert.equal((await createTaskViaApi(reader.token, replyTask())).status, 403)
    const resolve = await api('POST', `/api/v1/tasks/${created.json.id}/resolve`, {
      token: reader.token,
      body: { decision: 'approve' },
    })
    assert.equal(resolve.status, 403)
  })

  test("another tenant's task is 404 to read, resolve and cancel, and absent from its list", async ({
    assert,
    cleanup,
  }) => {
    const a = await tenantWithKey(cleanup, 'hitla')
    const b = await tenantWithKey(cleanup, 'hitlb')
    const task = await createTaskViaApi(a.token, replyTask())
    assert.equal(
      (await api('GET', `/api/v1/tasks/${task.json.id}`, { token: b.token })).status,
      404
    )
    const resolve = await api('POST', `/api/v1/tasks/${task.json.id}/resolve`, {
      token: b.token,
      body: { decision: 'approve' },
    })
    assert.equal(resolve.status, 404)
    assert.equal(
      (await api('POST', `/api/v1/tasks/${task.json.id}/cancel`, { token: b.token })).status,
      404
    )
    assert.lengthOf((await api('GET', '/api/v1/tasks', { token: b.token })).json.data, 0)
    const still = await api('GET', `/api/v1/tasks/${task.json.id}`, { token: a.token })
    assert.equal(still.json.status, 'pending')
  })
})

test.group('Tasks API: resolution', (group) => {
  useWorkers(group, ['webhooks'])
  fastRetries(group)

  test('approve with an edit keeps the AI original beside it; resolving again is 409', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const task = await createTaskViaApi(token, replyTask())
    const edited = 'Your renewal premium stays at 1,200 AED; the quote is attached.'
    const resolved = await api('POST', `/api/v1/tasks/${task.json.id}/resolve`, {
      token,
      body: { decision: 'approve', values: { reply: edited }, comment: 'Tweaked' },
    })
    assert.equal(resolved.status, 200, resolved.text)
    assert.equal(resolved.json.status, 'approved')
    assert.deepEqual(resolved.json.response.values, { reply: edited, tone: 'formal' })
    assert.deepEqual(resolved.json.response.original_values, { reply: DRAFT, tone: 'formal' })
    assert.deepEqual(resolved.json.response.edited, ['reply'])
    assert.equal(resolved.json.response.comment, 'Tweaked')
    assert.equal(resolved.json.response.by.type, 'api')
    assert.isNotNull(resolved.json.resolved_at)

    const again = await api('POST', `/api/v1/tasks/${task.json.id}/resolve`, {
      token,
      body: { decision: 'reject' },
    })
    assert.equal(again.status, 409)
    assert.equal(again.json.error.code, 'task_already_resolved')
    const cancel = await api('POST', `/api/v1/tasks/${task.json.id}/cancel`, { token })
    assert.equal(cancel.status, 409)
  })

  test('values are checked: unknown names, a wrong choice and a too-long edit are 422', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const task = await createTaskViaApi(token, replyTask())
    const path = `/api/v1/tasks/${task.json.id}/resolve`
    const unknown = await api('POST', path, {
      token,
      body: { decision: 'approve', values: { nope: 1 } },
    })
    assert.equal(unknown.status, 422)
    assert.include(Object.keys(unknown.json.error.fields), 'values.nope')
    const choice = await api('POST', path, {
      token,
      body: { decision: 'approve', values: { tone: 'rude' } },
    })
    assert.include(Object.keys(choice.json.error.fields), 'values.tone')
    const long = await api('POST', path, {
      token,
      body: { decision: 'approve', values: { reply: 'x'.repeat(501) } },
    })
    assert.include(Object.keys(long.json.error.fields), 'values.reply')
    const empty = await api('POST', path, {
      token,
      body: { decision: 'approve', values: { reply: ' ' } },
    })
    assert.match(empty.json.error.fields['values.reply'][0], /required/)
    assert.equal(
      (await api('GET', `/api/v1/tasks/${task.json.id}`, { token })).json.status,
      'pending'
    )
  })

  test('ten approvals at once resolve the task once', async ({ assert, cleanup }) => {
    const { token, context } = await tenantWithKey(cleanup)
    const task = await createTaskViaApi(token, replyTask())
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api('POST', `/api/v1/tasks/${task.json.id}/resolve`, {
          token,
          body: { decision: i % 2 ? 'reject' : 'approve', values: { reply: `take ${i}` } },
        })
      )
    )
    assert.equal(answers.filter((a) => a.status === 200).length, 1)
    assert.equal(answers.filter((a) => a.status === 409).length, 9)
    const events = await db
      .from('hitl_task_events')
      .withSchema(context.schema)
      .where('task_id', task.json.id)
      .whereIn('type', ['approved', 'rejected'])
    assert.lengthOf(events, 1)
  })

  test('a rejection may be limited to listed reasons; editing may be forbidden', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const task = await createTaskViaApi(
      token,
      replyTask({ allowed: { edit: false, reject_reasons: ['Wrong price', 'Too late'] } })
    )
    const path = `/api/v1/tasks/${task.json.id}/resolve`
    const edit = await api('POST', path, {
      token,
      body: { decision: 'approve', values: { reply: 'changed' } },
    })
    assert.equal(edit.status, 422)
    assert.equal(edit.json.error.code, 'edit_not_allowed')
    const badReason = await api('POST', path, {
      token,
      body: { decision: 'reject', reason: 'Other' },
    })
    assert.equal(badReason.status, 422)
    const rejected = await api('POST', path, {
      token,
      body: { decision: 'reject', reason: 'Wrong price' },
    })
    assert.equal(rejected.status, 200)
    assert.equal(rejected.json.response.reason, 'Wrong price')
    assert.equal(rejected.json.response.decision, 'rejected')
  })

  test('the callback is a signed POST with the decision, edits and originals, retried until accepted', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await tenantWithKey(cleanup)
    const receiver = await startReceiver(cleanup, 500, 200)
    const task = await createTaskViaApi(token, replyTask({ callback_url: receiver.url }))
    const secret = task.json.callback_secret as string
    await api('POST', `/api/v1/tasks/${task.json.id}/resolve`, {
      token,
      body: { decision: 'approve', values: { reply: 'Edited reply', tone: 'friendly' } },
    })
    const [refused, accepted] = await receiver.waitFor(2)
    assert.equal(refused.status, 500)
    assert.equal(accepted.body, refused.body)
    const header = accepted.headers['x-flomastr-signature'] as string
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/)
    assert.isTrue(verifySignature(secret, header, accepted.body))
    assert.isFalse(verifySignature('whsec_wrong', header, accepted.body))
    assert.include(accepted.json, {
      event: 'task.resolved',
      task_id: task.json.id,
      decision: 'approved',
    })
    assert.deepEqual(accepted.json.values, { reply: 'Edited reply', tone: 'friendly' })
    assert.deepEqual(accepted.json.original_values, { reply: DRAFT, tone: 'formal' })
    assert.deepEqual(accepted.json.edited, ['reply', 'tone'])
    const row = await waitForCallback(context, task.json.id, 'delivered')
    assert.equal(row.attempts, 2)
  })

  test('cancelling sends a callback that says cancelled', async ({ assert, cleanup }) => {
    const { token } = await tenantWithKey(cleanup)
    const receiver = await startReceiver(cleanup)
    const task = await createTaskViaApi(token, replyTask({ callback_url: receiver.url }))
    const cancelled = await api('POST', `/api/v1/tasks/${task.json.id}/cancel`, {
      token,
      body: { comment: 'Not needed' },
    })
    assert.equal(cancelled.status, 200)
    assert.equal(cancelled.json.status, 'cancelled')
    const [request] = await receiver.waitFor(1)
    assert.equal(request.json.decision, 'cancelled')
  })

  test('the resume link resolves the task once without a key; a wrong token is 404', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const task = await createTaskViaApi(token, replyTask())
    const path = new URL(task.json.resume_url).pathname
    const first = await api('POST', path, { body: { decision: 'reject', comment: 'No' } })
    assert.equal(first.status, 200, first.text)
    assert.equal(first.json.status, 'rejected')
    assert.equal(first.json.response.by.type, 'link')
    const second = await api('POST', path, { body: { decision: 'approve' } })
    assert.equal(second.status, 409)
    assert.equal(second.json.error.code, 'task_already_resolved')
    const wrong = await api('POST', path.replace(/[^/]+$/, 'nottherighttoken'), {
      body: { decision: 'approve' },
    })
    assert.equal(wrong.status, 404)
  })

  test('webhook subscribers receive task.created and task.resolved', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await tenantWithKey(cleanup)
    const receiver = await startReceiver(cleanup)
    await createSubscription(context, {
      url: receiver.url,
      events: ['task.created', 'task.resolved'],
    })
    const task = await createTaskViaApi(token, replyTask())
    await api('POST', `/api/v1/tasks/${task.json.id}/resolve`, {
      token,
      body: { decision: 'approve' },
    })
    const requests = await receiver.waitFor(2)
    const types = requests.map((r) => r.json.type).sort()
    assert.deepEqual(types, ['task.created', 'task.resolved'])
    const resolved = requests.find((r) => r.json.type === 'task.resolved')!
    assert.equal(resolved.json.data.id, task.json.id)
    assert.equal(resolved.json.data.status, 'approved')
  })
})
