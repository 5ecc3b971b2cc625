import http from 'node:http'
import { test } from '@japa/runner'
import { WebSession } from '#tests/helpers/web_session'
import { useWorkers } from '#tests/helpers/queue'
import { INTEGRATION_SCOPES } from '#modules/integrations/services/integration_scopes'
import { WEBHOOK_EVENT_TYPES } from '#modules/integrations/services/webhook_events'
import type { ApiScope } from '#app/http/api/index'
import { api, freshPhone, makeKey } from './api_client.js'
import { apiTenant, approvedTemplate } from './api_fixtures.js'
import { startReceiver } from './webhook_receiver.js'
import { readyClient } from './client_packages.js'

/*
| The Zapier app (modules/integrations/clients/zapier) run by Zapier's own
| SDK: its schema validation, and its app tester calling each trigger,
| action and search against this suite's server, with a key holding exactly
| the scopes GET /me says the app needs.
*/

const ZAPIER_SCOPES = [...new Set(Object.values(INTEGRATION_SCOPES.zapier).flat())] as ApiScope[]

let zapier: { App: any; appTester: any; core: any; load: NodeRequire }

/** The Zap's error as the SDK raises it: `z.errors.Error` carries {message, code, status} as JSON. */
function zapError(error: any) {
  try {
    return JSON.parse(error.message)
  } catch {
    return { message: error.message }
  }
}

test.group('Zapier app', (group) => {
  useWorkers(group, ['webhooks'])
  group.setup(async () => {
    const load = await readyClient('zapier')
    const core = load('zapier-platform-core')
    const App = load('./index.js')
    // The SDK patches Node's http.request to log every call, in this process
    // the server's too (its webhook deliveries lose their headers): a flag
    // of Zapier's turns that off for the tester. The app itself only uses
    // z.request, which is logged without the patch.
    const tested = { ...App, flags: { ...App.flags, skipHttpPatch: true } }
    zapier = { App, core, load, appTester: core.createAppTester(tested) }
    // The SDK fetches through Node's global agent, which keeps connections
    // alive: closed here, or the suite's server waits on them at its end.
    return () => http.globalAgent.destroy()
  })

  const authData = (token: string) => ({ base_url: `${WebSession.baseUrl()}/`, api_key: token })

  test("passes the SDK's schema validation, with a trigger for every webhook event", ({
    assert,
  }) => {
    const { App, core, load } = zapier
    const { compileApp, validateApp } = load('zapier-platform-core/src/tools/schema')
    assert.deepEqual(validateApp(compileApp(App)), [])
    assert.equal(App.platformVersion, core.version)
    for (const type of WEBHOOK_EVENT_TYPES) {
      const trigger = App.triggers[type.replace('.', '_')]
      assert.equal(trigger?.operation.type, 'hook', type)
      const keys = trigger.operation.outputFields.map((field: any) => field.key)
      assert.includeMembers(keys, ['event_id', 'event_type'], type)
    }
  })

  test('the connection test checks the scopes; a bad key fails with the API’s message', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, token } = await apiTenant(cleanup, 'zap')
    const { token: enough } = await makeKey(tenant, ZAPIER_SCOPES)
    const { token: noHooks } = await makeKey(
      tenant,
      ZAPIER_SCOPES.filter((scope) => scope !== 'webhooks:write')
    )
    const { App, appTester } = zapier

    const me = await appTester(App.authentication.test, { authData: authData(enough) })
    assert.equal(me.tenant.id, tenant.id)
    const label = await appTester(App.authentication.connectionLabel, {
      authData: authData(token),
      inputData: me,
    })
    assert.equal(label, `${tenant.name} (test key)`)

    const refused = await appTester(App.authentication.test, {
      authData: authData(noHooks),
    }).catch((error: any) => error)
    assert.instanceOf(refused, Error)
    assert.include(zapError(refused).message, 'webhooks:write')
    assert.equal(zapError(refused).code, 'missing_scopes')

    const wrong = await appTester(App.authentication.test, {
      authData: authData('fm_live_not-a-real-key'),
    }).catch((error: any) => error)
    assert.equal(wrong.name, 'ExpiredAuthError')
    const unauthenticated = await api('GET', '/api/v1/me', { token: 'fm_live_not-a-real-key' })
    // The SDK adds what it was doing below the message.
    assert.equal(wrong.message.split('\n')[0], unauthenticated.json.error.message)
  })

  test('a REST-hook trigger subscribes, gets a real delivery, samples it and unsubscribes (twice)', async ({
    assert,
    cleanup,
  }) => {
    const { tenant } = await apiTenant(cleanup, 'zap')
    const { token } = await makeKey(tenant, ZAPIER_SCOPES)
    const receiver = await startReceiver(cleanup)
    const { App, appTester } = zapier
    const trigger = App.triggers.contact_created.operation
    const bundle = { authData: authData(token) }

    // Before any contact: the app's static sample is the server's fixed example.
    const [fixed] = await appTester(trigger.performList, bundle)
    assert.deepEqual(
      { ...fixed, event_id: null },
      { ...trigger.sample, event_id: null },
      'samples.json is in step with the server'
    )

    const hook = await appTester(trigger.performSubscribe, { ...bundle, targetUrl: receiver.url })
    assert.equal(hook.event, 'contact.created')
    const phone = freshPhone()
    const contact = await appTester(App.creates.contact.operation.perform, {
      ...bundle,
      inputData: { phone, name: 'Zap Lead', email: 'Zap.Lead@Example.com', tags: ['zap'] },
    })
    assert.equal(contact.phone, phone, 'the + of the phone survives the path')

    const [delivery] = await receiver.waitFor(1)
    const [record] = await appTester(trigger.perform, {
      ...bundle,
      cleanedRequest: delivery.json,
      subscribeData: hook,
    })
    assert.equal(record.id, contact.id, '"ID" is the contact, not the event')
    assert.equal(record.event_id, delivery.json.id)
    assert.equal(record.event_type, 'contact.created')
    assert.equal(record.phone, phone)
    for (const field of trigger.outputFields.filter((f: any) => !f.key.includes('['))) {
      assert.property(record, field.key)
    }

    const [sample] = await appTester(trigger.performList, bundle)
    // The sample's time is the record's creation, the delivery's when it was queued.
    assert.deepEqual(
      { ...sample, event_created_at: null },
      { ...record, event_created_at: null },
      'the sample is the delivery, id included'
    )
    assert.equal(sample.event_created_at, contact.created_at)

    const gone = await appTester(trigger.performUnsubscribe, { ...bundle, subscribeData: hook })
    assert.deepEqual(gone, { id: hook.id, deleted: true })
    const again = await appTester(trigger.performUnsubscribe, { ...bundle, subscribeData: hook })
    assert.deepEqual(again, { id: hook.id, deleted: true }, 'a retried unsubscribe succeeds')
    assert.deepEqual((await api('GET', '/api/v1/webhooks', { token })).json.data, [])
  })

  test('every event’s trigger subscribes and unsubscribes, and its list gives one sample', async ({
    assert,
    cleanup,
  }) => {
    const { tenant } = await apiTenant(cleanup, 'zap')
    const { token } = await makeKey(tenant, ZAPIER_SCOPES)
    const { App, appTester } = zapier
    const bundle = { authData: authData(token) }
    for (const type of WEBHOOK_EVENT_TYPES) {
      const trigger = App.triggers[type.replace('.', '_')].operation
      const hook = await appTester(trigger.performSubscribe, {
        ...bundle,
        targetUrl: 'https://hooks.zapier.com/hooks/standard/1/abc/',
      })
      assert.equal(hook.event, type)
      const [sample] = await appTester(trigger.performList, bundle)
      assert.equal(sample.event_type, type)
      assert.match(sample.event_id, /^evt_/)
      assert.isString(sample.id, `${type}: every record has an id`)
      await appTester(trigger.performUnsubscribe, { ...bundle, subscribeData: hook })
    }
    assert.deepEqual((await api('GET', '/api/v1/webhooks', { token })).json.data, [])
  })

  test('actions send a template with variables and add knowledge; searches find what they made', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel } = await apiTenant(cleanup, 'zap')
    const { token } = await makeKey(tenant, ZAPIER_SCOPES)
    await approvedTemplate(context, channel.id, { name: 'policy_renewal', variables: 2 })
    const { App, appTester } = zapier
    const bundle = { authData: authData(token) }

    const [choice] = await appTester(App.triggers.channel_list.operation.perform, bundle)
    assert.equal(choice.id, channel.id)
    const templates = await appTester(App.triggers.template_list.operation.perform, {
      ...bundle,
      inputData: { channel_id: channel.id },
    })
    assert.deepEqual(
      templates.map((t: any) => t.id),
      ['policy_renewal|en_US']
    )

    const phone = freshPhone()
    const message = await appTester(App.creates.message.operation.perform, {
      ...bundle,
      inputData: {
        channel_id: choice.id,
        to: phone,
        type: 'template',
        template: templates[0].id,
        variables: ['Layla', 'March 3'],
      },
    })
    assert.equal(message.status, 'pending')
    assert.equal(message.type, 'template')

    const tooFew = await appTester(App.creates.message.operation.perform, {
      ...bundle,
      inputData: { channel_id: channel.id, to: phone, type: 'template', template: templates[0].id },
    }).catch((error: any) => error)
    const refused = zapError(tooFew)
    assert.equal(refused.status, 422)
    const direct = await api('POST', '/api/v1/messages', {
      token,
      body: {
        channel_id: channel.id,
        to: phone,
        type: 'template',
        template: { name: 'policy_renewal', language: 'en_US', variables: [] },
      },
    })
    assert.include(refused.message, direct.json.error.message, "the Zap shows the API's message")

    const source = await appTester(App.creates.knowledge_source.operation.perform, {
      ...bundle,
      inputData: { title: 'Office hours', text: 'We open at nine and close at five.' },
    })
    assert.equal(source.title, 'Office hours')
    assert.include(['queued', 'processing', 'ready'], source.status)

    const byPhone = await appTester(App.searches.contact.operation.perform, {
      ...bundle,
      inputData: { phone },
    })
    assert.deepEqual(
      byPhone.map((c: any) => c.id),
      [message.contact_id]
    )
    await appTester(App.creates.contact.operation.perform, {
      ...bundle,
      inputData: { phone, email: 'Buyer@Example.com' },
    })
    const byEmail = await appTester(App.searches.contact.operation.perform, {
      ...bundle,
      inputData: { email: 'buyer@example.COM' },
    })
    assert.deepEqual(
      byEmail.map((c: any) => c.id),
      [message.contact_id]
    )
    const none = await appTester(App.searches.contact.operation.perform, {
      ...bundle,
      inputData: { phone: freshPhone() },
    })
    assert.deepEqual(none, [])

    const [conversation] = await appTester(App.searches.conversation.operation.perform, {
      ...bundle,
      inputData: { contact_id: message.contact_id },
    })
    assert.equal(conversation.id, message.conversation_id)
  })

  test("another tenant's records are not found, and its hooks cannot be removed", async ({
    assert,
    cleanup,
  }) => {
    const home = await apiTenant(cleanup, 'zap')
    const away = await apiTenant(cleanup, 'zap')
    const { App, appTester } = zapier
    const homeBundle = { authData: authData(home.token) }
    const awayBundle = { authData: authData(away.token) }
    const phone = freshPhone()
    const contact = await appTester(App.creates.contact.operation.perform, {
      ...homeBundle,
      inputData: { phone },
    })
    const found = await appTester(App.searches.contact.operation.perform, {
      ...awayBundle,
      inputData: { phone },
    })
    assert.deepEqual(found, [])
    const conversations = await appTester(App.searches.conversation.operation.perform, {
      ...awayBundle,
      inputData: { contact_id: contact.id },
    })
    assert.deepEqual(conversations, [])

    const trigger = App.triggers.contact_created.operation
    const hook = await appTester(trigger.performSubscribe, {
      ...homeBundle,
      targetUrl: 'https://hooks.zapier.com/hooks/standard/1/abc/',
    })
    const foreign = await appTester(trigger.performUnsubscribe, {
      ...awayBundle,
      subscribeData: hook,
    }).catch((error: any) => error)
    assert.equal(zapError(foreign).status, 404)
    assert.lengthOf((await api('GET', '/api/v1/webhooks', { token: home.token })).json.data, 1)
  })
})
