import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import { addWhatsAppChannel } from '#modules/channels/index'
import { systemActor } from '#modules/tenancy/index'
import { withoutPlan } from '#tests/helpers/tenants'
import { api, makeKey } from './api_client.js'
import { apiTenant, approvedTemplate } from './api_fixtures.js'

test.group('API templates', () => {
  test('lists the tenant’s templates with status, language and channel filters', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel, token } = await apiTenant(cleanup, 'apit')
    // Two channels: off the plan, whose default allows one.
    await withoutPlan(tenant)
    const second = await addWhatsAppChannel(
      tenant,
      {
        phoneNumberId: `9${Date.now()}`,
        wabaId: '99',
        displayNumber: '+15550009876',
        accessToken: 'another-token',
        appSecret: 'secret',
        verifyToken: 'verify',
      },
      systemActor
    )
    await approvedTemplate(context, channel.id, { name: 'welcome', language: 'en_US' })
    await approvedTemplate(context, channel.id, { name: 'welcome', language: 'ar' })
    await approvedTemplate(context, channel.id, { name: 'promo', status: 'REJECTED' })
    await approvedTemplate(context, second.id, { name: 'reminder', variables: 3 })
    const names = async (query: string) => {
      const page = await api('GET', `/api/v1/templates${query}`, { token })
      assert.equal(page.status, 200, page.text)
      return page.json.data.map(
        (t: { name: string; language: string }) => `${t.name}/${t.language}`
      )
    }

    assert.sameMembers(await names(''), [
      'welcome/en_US',
      'welcome/ar',
      'promo/en_US',
      'reminder/en_US',
    ])
    assert.sameMembers(await names('?status=approved'), [
      'welcome/en_US',
      'welcome/ar',
      'reminder/en_US',
    ])
    assert.deepEqual(await names('?status=REJECTED'), ['promo/en_US'])
    assert.deepEqual(await names('?language=ar'), ['welcome/ar'])
    assert.deepEqual(await names(`?channel_id=${second.id}`), ['reminder/en_US'])
    assert.deepEqual(await names(`?channel_id=${randomUUID()}`), [])

    const page = await api('GET', `/api/v1/templates?channel_id=${second.id}`, { token })
    assert.include(page.json.data[0], {
      channel_id: second.id,
      status: 'APPROVED',
      category: 'UTILITY',
      body_variables: 3,
    })
    assert.deepEqual(page.json.data[0].components, [
      { type: 'BODY', text: 'Hello {{1}} {{2}} {{3}}' },
    ])

    const bad = await api('GET', '/api/v1/templates?channel_id=x&status=no!', { token })
    assert.equal(bad.status, 422)
    assert.sameMembers(Object.keys(bad.json.error.fields), ['channel_id', 'status'])

    // The scope is templates:read.
    const { token: contactsOnly } = await makeKey(tenant, ['contacts:read'])
    const refused = await api('GET', '/api/v1/templates', { token: contactsOnly })
    assert.equal(refused.status, 403)
  })
})
