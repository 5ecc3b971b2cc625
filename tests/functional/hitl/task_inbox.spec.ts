import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { createTask, type NewTask } from '#modules/hitl/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { signIn } from '#tests/functional/workspace/member_browser'
import { customer } from '#tests/helpers/whatsapp'
import { addWhatsAppChannel } from '#modules/channels/index'
import { approvedTemplate } from '../integrations/api_fixtures.js'
import { DRAFT, replyTask } from './hitl_fixtures.js'

type Cleanup = (fn: () => void | Promise<void>) => void

async function open(context: TenantContext, extra: Record<string, unknown> = {}) {
  const { task } = await createTask(context, replyTask(extra) as NewTask, systemActor)
  return task
}

async function taskRow(context: TenantContext, id: string) {
  return db.from('hitl_tasks').withSchema(context.schema).where('id', id).first()
}

async function setup(cleanup: Cleanup) {
  const ws = await makeWorkspace(cleanup, 'tinbox')
  const owner = await ws.member('owner')
  const agent = await ws.member('agent')
  const other = await ws.member('agent')
  const viewer = await ws.member('viewer')
  return { ...ws, owner, agent, other, viewer }
}

test.group('Task inbox', () => {
  test('the inbox lists pending tasks with every component rendered, and counts them in the navigation', async ({
    assert,
    cleanup,
  }) => {
    const { context, base, owner } = await setup(cleanup)
    const task = await open(context, {
      title: 'Approve <b>this</b>',
      due_at: new Date(Date.now() - 3600_000).toISOString(),
      components: [
        { type: 'text', text: 'Hello **there** <script>x()</script>' },
        { type: 'editable_text', name: 'reply', label: 'Reply', value: DRAFT },
        {
          type: 'table',
          columns: [{ key: 'i', label: 'Insurer' }],
          rows: [{ i: 'AXA' }, { i: 'Oman' }],
          highlight_row: 1,
        },
        { type: 'key_values', items: [{ label: 'Premium', value: '1,200 AED' }] },
        {
          type: 'citations',
          items: [{ source: 'Policy.pdf', heading: 'Claims', quote: 'Call within 30 days.' }],
        },
        { type: 'message_preview', text_from: 'reply' },
        {
          type: 'document',
          url: 'https://cdn.example/q.pdf',
          filename: 'quote.pdf',
          page_images: ['https://cdn.example/q1.png'],
        },
      ],
    })
    await open(context, { title: 'Second task' })
    const web = await signIn(owner)
    const list = await web.get(`${base}/tasks`)
    assert.equal(list.status, 200)
    assert.include(list.body, 'Approve &lt;b&gt;this&lt;/b&gt;')
    assert.include(list.body, 'Second task')
    assert.match(list.body, /class="task-row overdue"/)
    assert.include(list.body, `${base}/tasks/count`)
    assert.equal((await web.get(`${base}/tasks/count`)).body, '2')

    const page = await web.get(`${base}/tasks/${task.id}`)
    assert.equal(page.status, 200)
    assert.include(page.body, 'Hello <strong>there</strong> &lt;script&gt;')
    assert.include(page.body, `name="values[reply]"`)
    assert.include(page.body, DRAFT.replace(',', ','))
    assert.match(page.body, /<tr class="highlighted"/)
    assert.include(page.body, 'Call within 30 days.')
    assert.include(page.body, 'data-preview-of="reply"')
    assert.include(page.body, 'https://cdn.example/q1.png')
    assert.include(page.body, 'id="reject-form"')
  })

  test('approve with an edit (no JavaScript): the decision, the diff in the history, the audit log', async ({
    assert,
    cleanup,
  }) => {
    const { context, base, agent } = await setup(cleanup)
    const task = await open(context)
    const web = await signIn(agent)
    const edited = 'Edited by a person.'
    const done = await web.submit(`${base}/tasks/${task.id}`, `${base}/tasks/${task.id}/approve`, {
      'values[reply]': edited,
      'values[tone]': 'friendly',
      'comment': 'Softer tone',
    })
    assert.equal(done.status, 302)
    assert.equal(done.location, `${base}/tasks`)
    const row = await taskRow(context, task.id)
    assert.equal(row.status, 'approved')
    assert.deepEqual(row.response.values, { reply: edited, tone: 'friendly' })
    assert.deepEqual(row.response.original_values.reply, DRAFT)
    assert.equal(row.response.by.id, agent.id)

    const page = await web.get(`${base}/tasks/${task.id}`)
    assert.include(page.body, `<del dir="auto" aria-label="AI draft">${DRAFT}</del>`)
    assert.include(page.body, `<ins dir="auto" aria-label="Approved">${edited}</ins>`)
    assert.notInclude(page.body, 'id="approve-form"')
    const audit = await db
      .from('audit_logs')
      .where('subject_id', task.id)
      .where('action', 'hitl.task.approved')
    assert.lengthOf(audit, 1)
    assert.equal(audit[0].actor_user_id, agent.id)

    // Approving again (another tab) says it was already resolved.
    const again = await web.post(`${base}/tasks/${task.id}/approve`, { 'values[reply]': 'x' })
    assert.equal(again.status, 302)
    const after = await web.get(`${base}/tasks/${task.id}`)
    assert.include(after.body, 'Someone already resolved this task.')
  })

  test('reject with a reason; a too-long edit is shown back on the form', async ({
    assert,
    cleanup,
  }) => {
    const { context, base, owner } = await setup(cleanup)
    const task = await open(context, {
      allowed: { reject_reasons: ['Wrong price', 'Wrong customer'] },
    })
    const web = await signIn(owner)
    const long = await web.submit(`${base}/tasks/${task.id}`, `${base}/tasks/${task.id}/approve`, {
      'values[reply]': 'x'.repeat(600),
    })
    assert.equal(long.status, 302)
    const shown = await web.get(`${base}/tasks/${task.id}`)
    assert.include(shown.body, 'At most 500 characters')
    assert.equal((await taskRow(context, task.id)).status, 'pending')

    const rejected = await web.post(`${base}/tasks/${task.id}/reject`, {
      reason: 'Wrong price',
      comment: 'Check AXA',
    })
    assert.equal(rejected.status, 302)
    const row = await taskRow(context, task.id)
    assert.equal(row.status, 'rejected')
    assert.equal(row.response.reason, 'Wrong price')
    assert.equal(row.response.comment, 'Check AXA')
  })

  test('roles: agents see their own and unassigned tasks, viewers read only', async ({
    assert,
    cleanup,
  }) => {
    const { context, base, agent, other, viewer } = await setup(cleanup)
    const mine = await open(context, { title: 'For agent one', assignee: { user_id: agent.id } })
    const theirs = await open(context, { title: 'For agent two', assignee: { user_id: other.id } })
    const admins = await open(context, { title: 'For admins', assignee: { role: 'admin' } })
    const free = await open(context, { title: 'Nobody yet' })

    const web = await signIn(agent)
    const list = await web.get(`${base}/tasks`)
    assert.include(list.body, 'For agent one')
    assert.include(list.body, 'Nobody yet')
    assert.notInclude(list.body, 'For agent two')
    assert.notInclude(list.body, 'For admins')
    assert.equal((await web.get(`${base}/tasks/count`)).body, '2')
    const mineOnly = await web.get(`${base}/tasks?view=mine`)
    assert.include(mineOnly.body, 'For agent one')
    assert.notInclude(mineOnly.body, 'Nobody yet')
    const unassigned = await web.get(`${base}/tasks?view=unassigned`)
    assert.notInclude(unassigned.body, 'For agent one')
    assert.include(unassigned.body, 'Nobody yet')
    assert.equal((await web.get(`${base}/tasks/${theirs.id}`)).status, 404)
    assert.equal((await web.get(`${base}/tasks/${admins.id}`)).status, 404)
    const blocked = await web.post(`${base}/tasks/${theirs.id}/approve`, {})
    assert.equal(blocked.status, 404)
    assert.equal((await taskRow(context, theirs.id)).status, 'pending')

    const reader = await signIn(viewer)
    const page = await reader.get(`${base}/tasks/${free.id}`)
    assert.equal(page.status, 200)
    assert.notInclude(page.body, 'id="approve-form"')
    assert.include(page.body, 'readonly')
    const refused = await reader.post(`${base}/tasks/${free.id}/approve`, {})
    assert.equal(refused.status, 403)
    assert.equal((await taskRow(context, free.id)).status, 'pending')
    assert.equal((await taskRow(context, mine.id)).status, 'pending')
  })

  test('reassign and comment appear in the history', async ({ assert, cleanup }) => {
    const { context, base, owner, agent } = await setup(cleanup)
    const task = await open(context)
    const web = await signIn(owner)
    const moved = await web.submit(
      `${base}/tasks/${task.id}`,
      `${base}/tasks/${task.id}/reassign`,
      {
        assignee: `user:${agent.id}`,
      }
    )
    assert.equal(moved.status, 302)
    assert.equal((await taskRow(context, task.id)).assignee_user_id, agent.id)
    await web.post(`${base}/tasks/${task.id}/comment`, { body: 'Please check the price' })
    const page = await web.get(`${base}/tasks/${task.id}`)
    assert.include(page.body, 'Reassigned')
    assert.include(page.body, 'Please check the price')
    const audit = await db
      .from('audit_logs')
      .where('subject_id', task.id)
      .where('action', 'hitl.task.reassigned')
    assert.lengthOf(audit, 1)
  })

  test("another workspace's task is not found from this one", async ({ assert, cleanup }) => {
    const a = await setup(cleanup)
    const b = await makeWorkspace(cleanup, 'tinboxb')
    const task = await open(b.context, { title: 'Other workspace task' })
    const web = await signIn(a.owner)
    assert.equal((await web.get(`${a.base}/tasks/${task.id}`)).status, 404)
    assert.notInclude((await web.get(`${a.base}/tasks`)).body, 'Other workspace task')
    assert.equal((await web.post(`${a.base}/tasks/${task.id}/approve`, {})).status, 404)
    assert.equal((await taskRow(b.context, task.id)).status, 'pending')
    // And the other workspace's own pages are closed to a non-member.
    assert.notEqual((await web.get(`${b.base}/tasks/${task.id}`)).status, 200)
  })

  test('a send_message task outside the 24-hour window says so on its page and offers templates', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, base, owner } = await setup(cleanup)
    const channel = await addWhatsAppChannel(
      tenant,
      {
        phoneNumberId: `9${Date.now()}`,
        wabaId: '5678',
        displayNumber: '+15550001234',
        accessToken: 'T',
        appSecret: 'S',
        verifyToken: 'V',
      },
      systemActor
    )
    const { conversationId } = await customer(context, channel, { hoursAgo: 30 })
    await approvedTemplate(context, channel.id, { variables: 1 })
    const task = await open(context, {
      conversation_id: conversationId,
      action: { type: 'send_message' },
    })
    const web = await signIn(owner)
    const page = await web.get(`${base}/tasks/${task.id}`)
    assert.include(page.body, 'id="window-closed"')
    assert.include(page.body, 'name="template"')
    const refused = await web.post(`${base}/tasks/${task.id}/approve`, {})
    assert.equal(refused.status, 302)
    const again = await web.get(`${base}/tasks/${task.id}`)
    assert.include(again.body, 'WhatsApp only accepts an approved template')
    assert.equal((await taskRow(context, task.id)).status, 'pending')
    const sent = await web.post(`${base}/tasks/${task.id}/approve`, {
      template: 'renewal_reminder|en_US',
      template_variables: 'Omar',
    })
    assert.equal(sent.location, `${base}/tasks`)
    assert.equal((await taskRow(context, task.id)).status, 'approved')
  })
})
