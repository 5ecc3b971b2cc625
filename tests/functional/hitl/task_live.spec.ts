import { test } from '@japa/runner'
import { createTask, cancelTask, type NewTask } from '#modules/hitl/index'
import { systemActor } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { openStream } from '#tests/helpers/sse'
import { anonymous, signIn } from '#tests/functional/workspace/member_browser'
import { replyTask } from './hitl_fixtures.js'

/*
| The task inbox's live stream: real server-sent events over HTTP, fed
| through Redis pub/sub by the task service, so an open task inbox shows a
| new or resolved task without a reload.
*/

test.group('Live task inbox', () => {
  test('a created and a resolved task reach an open task stream as notices', async ({
    assert,
    cleanup,
  }) => {
    const { context, base, member } = await makeWorkspace(cleanup, 'tlive')
    const viewer = await signIn(await member('viewer'))
    const page = await viewer.get(`${base}/tasks`)
    assert.include(page.body, `data-live-events="${base}/tasks/events"`)
    assert.include(page.body, 'tasks-changed from:body')

    const stream = await openStream(viewer, `${base}/tasks/events`)
    cleanup(stream.close)
    assert.equal(stream.response.status, 200)
    await stream.until((all) => all.some((e) => e.event === 'ready'))

    const { task } = await createTask(context, replyTask() as NewTask, systemActor)
    await stream.until((all) => all.some((e) => e.event === 'tasks' && e.data.taskId === task.id))
    const created = stream.events.find((e) => e.data.taskId === task.id)!.data
    assert.equal(created.change, 'created')
    assert.equal(created.status, 'pending')
    // A notice names the task; the list is fetched through the authorised route.
    assert.notProperty(created, 'title')

    await cancelTask(context, task.id, {
      by: { type: 'system', id: null, name: 't' },
      audit: systemActor,
    })
    await stream.until((all) =>
      all.some((e) => e.data.taskId === task.id && e.data.change === 'resolved')
    )
    const resolved = stream.events.find((e) => e.data.change === 'resolved')!.data
    assert.equal(resolved.status, 'cancelled')
  })

  test("one workspace's task stream never carries another's; outsiders get 404", async ({
    assert,
    cleanup,
  }) => {
    const a = await makeWorkspace(cleanup, 'tlive-a')
    const b = await makeWorkspace(cleanup, 'tlive-b')
    const memberOfA = await signIn(await a.member('agent'))
    const memberOfB = await signIn(await b.member('agent'))

    assert.equal((await memberOfB.get(`${a.base}/tasks/events`)).status, 404)
    const nobody = await anonymous().get(`${a.base}/tasks/events`)
    assert.equal(nobody.status, 302)

    const streamA = await openStream(memberOfA, `${a.base}/tasks/events`)
    cleanup(streamA.close)
    await streamA.until((all) => all.some((e) => e.event === 'ready'))
    const inB = await createTask(b.context, replyTask() as NewTask, systemActor)
    // A's own task, created after B's: once its notice is here, B's would have been too.
    const inA = await createTask(a.context, replyTask() as NewTask, systemActor)
    await streamA.until((all) => all.some((e) => e.data.taskId === inA.task.id))
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const heard = streamA.events.filter((e) => e.event === 'tasks').map((e) => e.data.taskId)
    assert.deepEqual(heard, [inA.task.id])
    assert.notInclude(heard, inB.task.id)
  })
})
