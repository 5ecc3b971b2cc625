import { test } from '@japa/runner'
import { createFlow } from '#modules/flows/index'
import { api, makeKey } from '#tests/functional/integrations/api_client'
import { campaignTenant, contact } from '#tests/functional/pulse/campaign_fixtures'
import { flowMessages, publishedFlow, runAt, sessionsOf } from './flow_fixtures.js'
import { DateTime } from 'luxon'

test.group('API flows', () => {
  test('list flows with their figures; start one for a contact (idempotent), which sends its first step', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel } = await campaignTenant(cleanup, {}, 'fla')
    const { token } = await makeKey(tenant)
    const flow = await publishedFlow(context)
    const draft = await createFlow(context, { name: 'Unfinished' }, null)
    const person = await contact(context, { label: 'lead', channelId: channel.id })
    await context.transaction((trx) =>
      trx.rawQuery(
        `update conversations set last_customer_message_at = now() where contact_id = ?`,
        [person.id]
      )
    )

    const key = `flow-${Date.now()}`
    const started = await api('POST', `/api/v1/flows/${flow.id}/sessions`, {
      token,
      body: { contact_id: person.id, variables: { policy: 'P-1' } },
      headers: { 'Idempotency-Key': key },
    })
    assert.equal(started.status, 201, started.text)
    assert.equal(started.json.status, 'active')
    assert.equal(started.json.source, 'api')
    assert.deepEqual(started.json.variables, { policy: 'P-1' })
    const again = await api('POST', `/api/v1/flows/${flow.id}/sessions`, {
      token,
      body: { contact_id: person.id, variables: { policy: 'P-1' } },
      headers: { 'Idempotency-Key': key },
    })
    assert.equal(again.json.id, started.json.id)
    const busy = await api('POST', `/api/v1/flows/${flow.id}/sessions`, {
      token,
      body: { contact_id: person.id },
    })
    assert.equal(busy.status, 409)
    assert.equal(busy.json.error.code, 'session_active')
    const unpublished = await api('POST', `/api/v1/flows/${draft.id}/sessions`, {
      token,
      body: { contact_id: person.id },
    })
    assert.equal(unpublished.status, 409)
    assert.equal(unpublished.json.error.code, 'not_published')
    const invalid = await api('POST', `/api/v1/flows/${flow.id}/sessions`, {
      token,
      body: { contact_id: 'nope' },
    })
    assert.equal(invalid.status, 422)
    assert.property(invalid.json.error.fields, 'contact_id')

    await runAt(context, DateTime.now())
    const sent = await flowMessages(context, started.json.conversation_id)
    assert.lengthOf(sent, 1)
    assert.equal(sent[0].payload.content.body, 'Hi Layla! What cover do you need?')

    const list = await api('GET', '/api/v1/flows', { token })
    assert.equal(list.status, 200)
    const listed = list.json.data.find((f: any) => f.id === flow.id)
    assert.equal(listed.version, 1)
    assert.equal(listed.status, 'published')
    assert.equal(listed.starts, 1)
    assert.equal(listed.completions, 0)
    assert.isNull(list.json.next_cursor)
    assert.lengthOf(await sessionsOf(context, flow.id), 1)
  })

  test('scopes: flows:read cannot start; another workspace’s flow and contact are not found', async ({
    assert,
    cleanup,
  }) => {
    const mine = await campaignTenant(cleanup, {}, 'fla')
    const theirs = await campaignTenant(cleanup, {}, 'flb')
    const reader = await makeKey(mine.tenant, ['flows:read'])
    const outsider = await makeKey(mine.tenant, ['contacts:write'])
    const intruder = await makeKey(theirs.tenant)
    const { token } = await makeKey(mine.tenant)
    const flow = await publishedFlow(mine.context)
    const person = await contact(mine.context, { label: 'lead', channelId: mine.channel.id })
    const stranger = await contact(theirs.context, { label: 'lead', channelId: theirs.channel.id })
    const path = `/api/v1/flows/${flow.id}/sessions`

    assert.equal(
      (await api('POST', path, { token: reader.token, body: { contact_id: person.id } })).status,
      403
    )
    assert.equal((await api('GET', '/api/v1/flows', { token: reader.token })).status, 200)
    assert.equal((await api('GET', '/api/v1/flows', { token: outsider.token })).status, 403)

    const foreignContact = await api('POST', path, { token, body: { contact_id: stranger.id } })
    assert.equal(foreignContact.status, 422)
    assert.property(foreignContact.json.error.fields, 'contact_id')

    const foreignFlow = await api('POST', path, {
      token: intruder.token,
      body: { contact_id: stranger.id },
    })
    assert.equal(foreignFlow.status, 404)
    assert.equal(foreignFlow.json.error.code, 'not_found')
    const theirList = await api('GET', '/api/v1/flows', { token: intruder.token })
    assert.notInclude(JSON.stringify(theirList.json), flow.id)
    assert.lengthOf(await sessionsOf(mine.context, flow.id), 0)
  })
})
