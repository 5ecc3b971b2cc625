import { test } from '@japa/runner'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { api, makeKey } from '#tests/functional/integrations/api_client'
import { campaignTenant, contact, waitForStats } from './campaign_fixtures.js'

test.group('API campaigns', (group) => {
  useFakeGraph(group)
  withDefaultQueueWorker(group)

  test('create (idempotent), launch, watch the funnel, page the recipients', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel } = await campaignTenant(cleanup)
    const { token } = await makeKey(tenant)
    const people = await Promise.all(
      [1, 2, 3].map(() => contact(context, { channelId: channel.id, label: 'x' }))
    )
    await contact(context, { channelId: channel.id, label: 'x', marketingConsent: 'opted_out' })
    const body = {
      name: 'Tower launch',
      channel_id: channel.id,
      template: {
        name: 'spring_offer',
        language: 'en',
        variables: { '1': '{{contact.name}}', '2': '{{contact.area|JLT}}' },
      },
      audience: { contact_ids: [...people.map((p) => p.id)] },
      // Any hour: the default quiet hours (21:00–09:00) would hold a run in the evening.
      quiet_hours: null,
    }
    const key = `camp-${Date.now()}`
    const created = await api('POST', '/api/v1/campaigns', {
      token,
      body,
      headers: { 'Idempotency-Key': key },
    })
    assert.equal(created.status, 201, created.text)
    assert.equal(created.headers.get('location'), `/api/v1/campaigns/${created.json.id}`)
    assert.equal(created.json.status, 'draft')
    assert.isNull(created.json.quiet_hours)
    assert.deepEqual(created.json.stats, {
      targeted: 0,
      skipped: 0,
      sent: 0,
      delivered: 0,
      read: 0,
      replied: 0,
      failed: 0,
    })
    assert.deepEqual(created.json.template.variables, body.template.variables)
    const again = await api('POST', '/api/v1/campaigns', {
      token,
      body,
      headers: { 'Idempotency-Key': key },
    })
    assert.equal(again.json.id, created.json.id)

    const launched = await api('POST', `/api/v1/campaigns/${created.json.id}/launch`, { token })
    assert.equal(launched.status, 200, launched.text)
    assert.equal(launched.json.status, 'running')
    assert.equal(launched.json.stats.targeted, 3)
    await waitForStats(
      context,
      created.json.id,
      (s, row) => s.sent === 3 && row.status === 'completed'
    )
    const shown = await api('GET', `/api/v1/campaigns/${created.json.id}`, { token })
    assert.equal(shown.json.status, 'completed')
    assert.deepInclude(shown.json.stats, { targeted: 3, sent: 3, failed: 0, skipped: 0 })

    const first = await api('GET', `/api/v1/campaigns/${created.json.id}/recipients?limit=2`, {
      token,
    })
    assert.equal(first.status, 200, first.text)
    assert.lengthOf(first.json.data, 2)
    assert.isString(first.json.next_cursor)
    const second = await api(
      'GET',
      `/api/v1/campaigns/${created.json.id}/recipients?limit=2&cursor=${first.json.next_cursor}`,
      { token }
    )
    assert.lengthOf(second.json.data, 1)
    assert.isNull(second.json.next_cursor)
    assert.sameMembers(
      [...first.json.data, ...second.json.data].map((r: any) => r.contact_id),
      people.map((p) => p.id)
    )
    assert.equal(first.json.data[0].status, 'sent')

    const paused = await api('POST', `/api/v1/campaigns/${created.json.id}/pause`, { token })
    assert.equal(paused.status, 409)
    assert.equal(paused.json.error.code, 'invalid_state')
  })

  test('refuses what cannot be sent, with the field named', async ({ assert, cleanup }) => {
    const { tenant, channel } = await campaignTenant(cleanup)
    const { token } = await makeKey(tenant)
    const base = {
      name: 'Bad',
      channel_id: channel.id,
      template: { name: 'spring_offer', language: 'en', variables: { '1': '{{contact.nope}}' } },
      audience: { labels: ['x'] },
    }
    const response = await api('POST', '/api/v1/campaigns', { token, body: base })
    assert.equal(response.status, 422)
    assert.include(Object.keys(response.json.error.fields), 'template.variables.2')
    assert.include(Object.keys(response.json.error.fields), 'template.variables')
    const both = await api('POST', '/api/v1/campaigns', {
      token,
      body: { ...base, audience: { labels: ['x'], contact_ids: [] } },
    })
    assert.equal(both.status, 422)
    const unknown = await api('POST', '/api/v1/campaigns', {
      token,
      body: { ...base, template: { ...base.template, name: 'not_there' } },
    })
    assert.include(Object.keys(unknown.json.error.fields), 'template.name')
    const badHours = await api('POST', '/api/v1/campaigns', {
      token,
      body: { ...base, quiet_hours: { start: '25:00', end: '09:00' } },
    })
    assert.equal(badHours.status, 422)
    assert.include(Object.keys(badHours.json.error.fields), 'quiet_hours.start')

    // Absent: the default quiet hours, said back; given: kept as given.
    const variables = { '1': '{{contact.name}}', '2': 'JLT' }
    const ok = { ...base, template: { ...base.template, variables } }
    const byDefault = await api('POST', '/api/v1/campaigns', { token, body: ok })
    assert.equal(byDefault.status, 201, byDefault.text)
    assert.deepEqual(byDefault.json.quiet_hours, { start: '21:00', end: '09:00' })
    const own = await api('POST', '/api/v1/campaigns', {
      token,
      body: { ...ok, quiet_hours: { start: '22:30', end: '07:15' } },
    })
    assert.equal(own.status, 201, own.text)
    assert.deepEqual(own.json.quiet_hours, { start: '22:30', end: '07:15' })
  })

  test('scopes: campaigns:read cannot write; another tenant’s campaign is not found', async ({
    assert,
    cleanup,
  }) => {
    const mine = await campaignTenant(cleanup)
    const theirs = await campaignTenant(cleanup, {}, 'cmpo')
    const reader = await makeKey(mine.tenant, ['campaigns:read'])
    const intruder = await makeKey(theirs.tenant)
    const { token } = await makeKey(mine.tenant)
    await contact(mine.context, { channelId: mine.channel.id, label: 'x' })
    const created = await api('POST', '/api/v1/campaigns', {
      token,
      body: {
        name: 'Mine',
        channel_id: mine.channel.id,
        template: { name: 'policy_notice', language: 'en', variables: { '1': 'Hi' } },
        audience: { labels: ['x'] },
      },
    })
    assert.equal(created.status, 201, created.text)
    const id = created.json.id
    const denied = await api('POST', `/api/v1/campaigns/${id}/launch`, { token: reader.token })
    assert.equal(denied.status, 403)
    assert.equal((await api('GET', `/api/v1/campaigns/${id}`, { token: reader.token })).status, 200)

    for (const [method, path] of [
      ['GET', `/api/v1/campaigns/${id}`],
      ['GET', `/api/v1/campaigns/${id}/recipients`],
      ['POST', `/api/v1/campaigns/${id}/launch`],
      ['POST', `/api/v1/campaigns/${id}/pause`],
    ]) {
      const response = await api(method, path, { token: intruder.token })
      assert.equal(response.status, 404, `${method} ${path}`)
      assert.equal(response.json.error.code, 'not_found')
    }
    // Nor can they send through my channel.
    const foreign = await api('POST', '/api/v1/campaigns', {
      token: intruder.token,
      body: {
        name: 'Theirs',
        channel_id: mine.channel.id,
        template: { name: 'policy_notice', language: 'en', variables: { '1': 'Hi' } },
        audience: { labels: ['x'] },
      },
    })
    assert.equal(foreign.status, 422)
    assert.include(Object.keys(foreign.json.error.fields), 'channel_id')
    const still = await api('GET', `/api/v1/campaigns/${id}`, { token })
    assert.equal(still.json.status, 'draft')
  })
})
