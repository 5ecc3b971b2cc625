import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import emitter from '@adonisjs/core/services/emitter'
import { Conversation } from '#modules/inbox/index'
import { makeMember } from '#tests/helpers/users'
import { api } from './api_client.js'
import { apiTenant, customer } from './api_fixtures.js'

test.group('API conversations', () => {
  test('lists with filters (status, assignee, label, channel, contact, updated_since) and reads one', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel, token } = await apiTenant(cleanup, 'apiv')
    const agent = await makeMember(tenant.id, 'agent')
    cleanup(() => agent.delete())
    const a = await customer(context, channel, { labels: ['claims'] })
    const b = await customer(context, channel, { status: 'pending' })
    const c = await customer(context, channel, { status: 'resolved' })
    await context.transaction((trx) =>
      trx.from('conversations').where('id', b.conversationId).update({ assignee_id: agent.id })
    )
    const ids = async (query: string) => {
      const page = await api('GET', `/api/v1/conversations${query}`, { token })
      assert.equal(page.status, 200, page.text)
      return page.json.data.map((row: { id: string }) => row.id)
    }

    assert.sameMembers(await ids(''), [a.conversationId, b.conversationId, c.conversationId])
    assert.deepEqual(await ids('?status=pending'), [b.conversationId])
    assert.deepEqual(await ids(`?assignee=${agent.id}`), [b.conversationId])
    assert.sameMembers(await ids('?assignee=none'), [a.conversationId, c.conversationId])
    assert.deepEqual(await ids('?label=Claims'), [a.conversationId])
    assert.deepEqual(await ids(`?contact_id=${c.contactId}`), [c.conversationId])
    assert.lengthOf(await ids(`?channel_id=${channel.id}`), 3)
    assert.lengthOf(await ids(`?channel_id=${randomUUID()}`), 0)
    const future = encodeURIComponent(DateTime.now().plus({ hours: 1 }).toUTC().toISO()!)
    assert.lengthOf(await ids(`?updated_since=${future}`), 0)
    // Most recently updated first.
    await context.transaction((trx) =>
      trx
        .from('conversations')
        .where('id', c.conversationId)
        .update({ updated_at: DateTime.now().plus({ minutes: 1 }).toJSDate() })
    )
    assert.equal((await ids(''))[0], c.conversationId)

    const bad = await api('GET', '/api/v1/conversations?status=closed&assignee=bob', { token })
    assert.equal(bad.status, 422)
    assert.sameMembers(Object.keys(bad.json.error.fields), ['status', 'assignee'])

    const one = await api('GET', `/api/v1/conversations/${a.conversationId}`, { token })
    assert.equal(one.status, 200)
    assert.include(one.json, {
      id: a.conversationId,
      contact_id: a.contactId,
      channel_id: channel.id,
      status: 'open',
      priority: 'none',
      assignee_id: null,
    })
    assert.deepEqual(one.json.labels, ['claims'])
    assert.equal((await api('GET', `/api/v1/conversations/${randomUUID()}`, { token })).status, 404)
  })

  test('a conversation in the list is the same JSON as reading it alone', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, token } = await apiTenant(cleanup, 'apiw')
    const made = await customer(context, channel, { labels: ['claims'], status: 'pending' })
    // Every kind of field set: times, an assignee-free row, labels, a snooze.
    await context.transaction((trx) =>
      trx
        .from('conversations')
        .where('id', made.conversationId)
        .update({ snoozed_until: new Date('2030-01-02T03:04:05.678Z'), unread_count: 3 })
    )
    const list = await api('GET', '/api/v1/conversations', { token })
    const one = await api('GET', `/api/v1/conversations/${made.conversationId}`, { token })
    assert.equal(list.status, 200)
    assert.deepEqual(list.json.data, [one.json])
    assert.equal(one.json.snoozed_until, '2030-01-02T03:04:05.678Z')
    assert.equal(one.json.unread_count, 3)
  })

  test('PATCH assigns, changes status, labels and priority with the inbox’s events', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel, token } = await apiTenant(cleanup, 'apiv')
    const agent = await makeMember(tenant.id, 'agent')
    const viewer = await makeMember(tenant.id, 'viewer')
    cleanup(() => agent.delete())
    cleanup(() => viewer.delete())
    const { conversationId } = await customer(context, channel)
    const seen: string[] = []
    const stop = [
      emitter.on('conversation:assigned', (e) => {
        if (e.conversationId === conversationId) seen.push(`assigned:${e.assigneeId}`)
      }),
      emitter.on('conversation:resolved', (e) => {
        if (e.conversationId === conversationId) seen.push('resolved')
      }),
      emitter.on('conversation:updated', (e) => {
        if (e.conversationId === conversationId) seen.push(`updated:${e.changes.join('+')}`)
      }),
    ]
    cleanup(() => stop.forEach((unsubscribe) => unsubscribe()))
    const patch = (body: unknown) =>
      api('PATCH', `/api/v1/conversations/${conversationId}`, { token, body })

    const assigned = await patch({
      assignee_id: agent.id,
      labels: ['VIP ', 'claims'],
      priority: 'high',
    })
    assert.equal(assigned.status, 200, assigned.text)
    assert.include(assigned.json, { assignee_id: agent.id, priority: 'high' })
    assert.deepEqual(assigned.json.labels, ['vip', 'claims'])

    // A viewer may not be given conversations; nothing of the request happens.
    const refused = await patch({ assignee_id: viewer.id, priority: 'low' })
    assert.equal(refused.status, 422)
    assert.equal(refused.json.error.code, 'invalid_assignee')
    assert.property(refused.json.error.fields, 'assignee_id')
    const tooMany = await patch({ labels: Array.from({ length: 21 }, (_, i) => `l${i}`) })
    assert.equal(tooMany.json.error.code, 'invalid_labels')

    const until = DateTime.now().plus({ days: 2 }).toUTC().set({ millisecond: 0 })
    const snoozed = await patch({ status: 'snoozed', snoozed_until: until.toISO() })
    assert.equal(snoozed.status, 200, snoozed.text)
    assert.include(snoozed.json, { status: 'snoozed', snoozed_until: until.toISO() })
    const noTime = await patch({ status: 'snoozed' })
    assert.equal(noTime.json.error.code, 'invalid_snooze')
    const past = await patch({ status: 'snoozed', snoozed_until: '2020-01-01T00:00:00Z' })
    assert.equal(past.json.error.code, 'invalid_snooze')

    assert.equal((await patch({ status: 'resolved' })).json.status, 'resolved')
    assert.equal((await patch({ status: 'open' })).json.status, 'open')
    assert.equal((await patch({ status: 'pending' })).json.status, 'pending')
    const unassigned = await patch({ assignee_id: null })
    assert.isNull(unassigned.json.assignee_id)
    // Changing nothing announces nothing.
    await patch({ priority: 'high' })

    assert.deepEqual(seen, [
      `assigned:${agent.id}`,
      'updated:labels',
      'updated:priority',
      'updated:status+snooze',
      'resolved',
      'updated:status',
      'updated:status',
      'assigned:null',
    ])

    const typo = await patch({ state: 'open' })
    assert.equal(typo.json.error.code, 'unknown_field')
    const badStatus = await patch({ status: 'closed' })
    assert.equal(badStatus.json.error.code, 'validation_failed')
    assert.equal(
      (
        await api('PATCH', `/api/v1/conversations/${randomUUID()}`, {
          token,
          body: { priority: 'low' },
        })
      ).status,
      404
    )
  })

  test('reopening is refused while a newer conversation of the contact is active', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel, token } = await apiTenant(cleanup, 'apiv')
    const agent = await makeMember(tenant.id, 'agent')
    cleanup(() => agent.delete())
    const older = await customer(context, channel, { status: 'resolved' })
    await context.transaction((trx) =>
      trx.table('conversations').insert({ contact_id: older.contactId, channel_id: channel.id })
    )
    const reopen = await api('PATCH', `/api/v1/conversations/${older.conversationId}`, {
      token,
      body: { assignee_id: agent.id, status: 'open' },
    })
    assert.equal(reopen.status, 409)
    assert.equal(reopen.json.error.code, 'newer_conversation')
    const row = await context.transaction((trx) =>
      Conversation.query({ client: trx }).where('id', older.conversationId).firstOrFail()
    )
    // Nothing of the request happened.
    assert.equal(row.status, 'resolved')
    assert.isNull(row.assigneeId)
  })

  test('GET /conversations/:id/messages walks oldest first, or newest first with order=desc', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, token } = await apiTenant(cleanup, 'apiv')
    const { conversationId, contactId } = await customer(context, channel)
    const start = DateTime.now().minus({ hours: 1 })
    const ids = await context.transaction(async (trx) => {
      const rows = Array.from({ length: 7 }, (_, i) => ({
        id: randomUUID(),
        conversation_id: conversationId,
        contact_id: contactId,
        channel_id: channel.id,
        direction: i % 2 ? 'outbound' : 'inbound',
        type: 'text',
        body: `message ${i}`,
        status: i % 2 ? 'sent' : 'received',
        author_type: i % 2 ? 'agent' : 'contact',
        created_at: start.plus({ minutes: i }).toJSDate(),
      }))
      await trx.table('messages').multiInsert(rows)
      return rows.map((row) => row.id)
    })
    const walk = async (order: string) => {
      const seen: string[] = []
      let cursor: string | null = null
      do {
        const page = await api(
          'GET',
          `/api/v1/conversations/${conversationId}/messages?limit=3${order}${cursor ? `&cursor=${cursor}` : ''}`,
          { token }
        )
        assert.equal(page.status, 200, page.text)
        seen.push(...page.json.data.map((m: { id: string }) => m.id))
        cursor = page.json.next_cursor
      } while (cursor)
      return seen
    }
    assert.deepEqual(await walk(''), ids)
    assert.deepEqual(await walk('&order=desc'), [...ids].reverse())
    const first = await api('GET', `/api/v1/conversations/${conversationId}/messages?limit=1`, {
      token,
    })
    assert.include(first.json.data[0], { body: 'message 0', direction: 'inbound', media: null })
    const bad = await api('GET', `/api/v1/conversations/${conversationId}/messages?order=up`, {
      token,
    })
    assert.equal(bad.status, 422)
  })
})
