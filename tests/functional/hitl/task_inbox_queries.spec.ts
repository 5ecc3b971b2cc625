import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { createTask, type NewTask } from '#modules/hitl/index'
import { systemActor } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { signIn } from '#tests/functional/workspace/member_browser'
import type { WebSession } from '#tests/helpers/web_session'
import { replyTask } from './hitl_fixtures.js'

/*
| The task inbox's cost does not grow with its rows: the statements one
| page load sends to PostgreSQL (counted on the connection's own query
| events) are as many for 60 tasks as for 2, and the list's live refresh
| sends fewer (no filter kinds).
*/

async function statementsOf(web: WebSession, path: string, headers: Record<string, string> = {}) {
  const statements: string[] = []
  const listen = (query: { sql: string }) => statements.push(query.sql)
  const client = db.connection().getWriteClient()
  client.on('query', listen)
  try {
    const page = await web.get(path, headers)
    if (page.status !== 200) throw new Error(`${path} answered ${page.status}`)
  } finally {
    client.off('query', listen)
  }
  return statements
}

test.group('Task inbox: statements per page', () => {
  test('a page of 50 tasks sends as many statements as a page of 2', async ({
    assert,
    cleanup,
  }) => {
    const few = await makeWorkspace(cleanup, 'tqfew')
    const many = await makeWorkspace(cleanup, 'tqmany')
    for (let i = 0; i < 2; i++) await createTask(few.context, replyTask() as NewTask, systemActor)
    for (let i = 0; i < 60; i++) {
      await createTask(
        many.context,
        replyTask({ kind: i % 2 ? 'reply_approval' : 'quote_review' }) as NewTask,
        systemActor
      )
    }
    const ownerFew = await signIn(await few.member('owner'))
    const ownerMany = await signIn(await many.member('owner'))
    // Warm (the session's first read of the workspace), then count.
    await ownerFew.get(`${few.base}/tasks`)
    await ownerMany.get(`${many.base}/tasks`)
    const small = await statementsOf(ownerFew, `${few.base}/tasks`)
    const large = await statementsOf(ownerMany, `${many.base}/tasks`)
    assert.equal(large.length, small.length, large.join('\n'))
    // Six are the session's and the workspace's (every page's); the inbox adds its list, the
    // filter's kinds and the members' names.
    assert.isAtMost(large.length, 10, large.join('\n'))
    // No transaction around the list's reads.
    assert.notInclude(large.join('\n').toLowerCase(), 'set local')

    const refresh = await statementsOf(ownerMany, `${many.base}/tasks?status=pending`, {
      'HX-Request': 'true',
      'HX-Target': 'task-list',
    })
    assert.lengthOf(refresh, large.length - 1)
    assert.notInclude(refresh.join('\n'), 'with recursive kinds')
  })
})
