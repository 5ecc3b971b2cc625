import { test } from '@japa/runner'
import { createHmac } from 'node:crypto'
import { WebSession } from '#tests/helpers/web_session'
import { useWorkers } from '#tests/helpers/queue'
import { INTEGRATION_SCOPES } from '#modules/integrations/services/integration_scopes'
import type { ApiScope } from '#app/http/api/index'
import { api, freshPhone, makeKey } from './api_client.js'
import { apiTenant, approvedTemplate } from './api_fixtures.js'
import { readyClient } from './client_packages.js'
import { N8nHarness } from './n8n_harness.js'

/*
| The n8n package (modules/integrations/clients/n8n, n8n-nodes-flomastr)
| built and loaded as n8n loads it, its nodes' own methods run through our
| harness against this suite's server, with a key holding exactly the
| scopes GET /me says the nodes need.
*/

const N8N_SCOPES = [...new Set(Object.values(INTEGRATION_SCOPES.n8n).flat())] as ApiScope[]

let n8n: { FloMastrApi: any; FloMastr: any; FloMastrTrigger: any; manifest: any }

function harness(token: string) {
  const credentialType = new n8n.FloMastrApi()
  return new N8nHarness(credentialType, { baseUrl: `${WebSession.baseUrl()}/`, apiKey: token })
}

async function waitUntil(
  check: () => boolean,
  what: string,
  refresh: () => Promise<void> = async () => {}
) {
  const deadline = Date.now() + 8_000
  await refresh()
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
    await refresh()
  }
}

/** The deliveries FloMastr logged for a webhook, newest first. */
async function deliveries(token: string, hookId: string) {
  return (await api('GET', `/api/v1/webhooks/${hookId}/deliveries`, { token })).json.data as any[]
}

test.group('n8n nodes', (group) => {
  useWorkers(group, ['webhooks'])
  group.setup(async () => {
    const load = await readyClient('n8n')
    const manifest = load('./package.json')
    const [credential] = manifest.n8n.credentials.map((path: string) => load(`./${path}`))
    const [action, trigger] = manifest.n8n.nodes.map((path: string) => load(`./${path}`))
    n8n = {
      manifest,
      FloMastrApi: credential.FloMastrApi,
      FloMastr: action.FloMastr,
      FloMastrTrigger: trigger.FloMastrTrigger,
    }
  })

  test('is a community node package; the credential test checks the key and its scopes', async ({
    assert,
    cleanup,
  }) => {
    assert.include(n8n.manifest.keywords, 'n8n-community-node-package')
    assert.equal(new n8n.FloMastr().description.name, 'floMastr')
    assert.equal(new n8n.FloMastrTrigger().description.group[0], 'trigger')

    const { tenant } = await apiTenant(cleanup, 'n8n')
    const { token } = await makeKey(tenant, N8N_SCOPES)
    const { token: noHooks } = await makeKey(
      tenant,
      N8N_SCOPES.filter((scope) => scope !== 'webhooks:write')
    )
    const ok = await harness(token).testCredential()
    assert.equal(ok.status, 'OK')
    assert.equal((ok as any).body.tenant.id, tenant.id)
    const lacking = await harness(noHooks).testCredential()
    assert.equal(lacking.status, 'Error')
    assert.include(lacking.message, 'lacks scopes')
    const wrong = await harness('fm_live_nope').testCredential()
    assert.equal(wrong.status, 'Error')
    assert.equal(
      wrong.message,
      (await api('GET', '/api/v1/me', { token: 'fm_live_nope' })).json.error.message
    )
  })

  test('the trigger subscribes on activation, emits verified deliveries, refuses forged ones with 401, and unsubscribes', async ({
    assert,
    cleanup,
  }) => {
    const { tenant } = await apiTenant(cleanup, 'n8n')
    const { token } = await makeKey(tenant, N8N_SCOPES)
    const run = harness(token)
    const trigger = await run.trigger(new n8n.FloMastrTrigger(), { event: 'contact.created' })
    cleanup(() => trigger.stop())

    assert.isFalse(await trigger.checkExists())
    assert.isTrue(await trigger.create())
    assert.isTrue(await trigger.checkExists(), 'an active workflow finds its hook')
    const hookId = trigger.staticData.hookId as string
    assert.match(String(trigger.staticData.secret), /^whsec_/)

    const phone = freshPhone()
    const [created] = await run.execute(new n8n.FloMastr(), [{}], {
      resource: 'contact',
      operation: 'upsert',
      phone,
      contactFields: { name: 'Workflow Lead' },
    })
    await waitUntil(() => trigger.emitted.length === 1, 'the delivery')
    const [[event]] = trigger.emitted
    assert.equal(event.type, 'contact.created')
    assert.equal(event.data.id, created.json.id)
    assert.equal(event.data.phone, phone)
    let logged: any[] = []
    await waitUntil(
      () => logged[0]?.status === 'delivered',
      'the delivery logged',
      async () => {
        logged = await deliveries(token, hookId)
      }
    )

    // Forged: signed with another secret, tampered, or too old.
    const body = JSON.stringify({ ...event, id: 'evt_forged' })
    const now = Math.floor(Date.now() / 1000)
    const sign = (secret: string, t: number, text: string) =>
      `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${text}`).digest('hex')}`
    const post = (signature: string, text = body) =>
      fetch(trigger.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-flomastr-signature': signature },
        body: text,
      })
    const secret = String(trigger.staticData.secret)
    for (const signature of [
      sign('whsec_not-the-secret', now, body),
      sign(secret, now, body.replace('Workflow Lead', 'Someone Else')),
      sign(secret, now - 600, body),
      '',
    ]) {
      const answer = await post(signature)
      assert.equal(answer.status, 401, signature)
      assert.equal(((await answer.json()) as any).error.code, 'invalid_signature')
    }
    assert.lengthOf(trigger.emitted, 1, 'nothing forged reached the workflow')
    const genuine = await post(sign(secret, now, body))
    assert.equal(genuine.status, 200, 'the check itself accepts a right signature')
    assert.lengthOf(trigger.emitted, 2)

    assert.isTrue(await trigger.delete())
    assert.notProperty(trigger.staticData, 'hookId')
    assert.equal((await api('GET', `/api/v1/webhooks/${hookId}`, { token })).status, 404)
    assert.isTrue(await trigger.delete(), 'deactivating twice is fine')
    assert.isFalse(await trigger.checkExists())
  })

  test('a hook deleted in FloMastr meanwhile is subscribed anew', async ({ assert, cleanup }) => {
    const { tenant } = await apiTenant(cleanup, 'n8n')
    const { token } = await makeKey(tenant, N8N_SCOPES)
    const trigger = await harness(token).trigger(new n8n.FloMastrTrigger(), {
      event: 'message.received',
    })
    cleanup(() => trigger.stop())
    await trigger.create()
    const first = trigger.staticData.hookId as string
    await api('DELETE', `/api/v1/webhooks/${first}`, { token })
    assert.isFalse(await trigger.checkExists())
    await trigger.create()
    assert.notEqual(trigger.staticData.hookId, first)
    assert.isTrue(await trigger.checkExists())
  })

  test('actions: per-item idempotency keys from stable data, so a retried run sends nothing twice', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel } = await apiTenant(cleanup, 'n8n')
    const { token } = await makeKey(tenant, N8N_SCOPES)
    await approvedTemplate(context, channel.id, { name: 'policy_renewal', variables: 2 })
    const node = new n8n.FloMastr()

    // Two items of one run, started by one event: two messages, two keys.
    const items = [
      { event_id: 'evt_1111', phone: freshPhone(), name: 'Layla' },
      { event_id: 'evt_1111', phone: freshPhone(), name: 'Omar' },
    ]
    const send = (i: number) => ({
      resource: 'message',
      operation: 'send',
      channelId: channel.id,
      to: items[i].phone,
      messageType: 'template',
      templateName: 'policy_renewal',
      templateLanguage: 'en_US',
      templateVariables: `${items[i].name}, March 3`,
    })
    const run = harness(token)
    const first = await run.execute(node, items, send)
    assert.lengthOf(first, 2)
    assert.notEqual(first[0].json.id, first[1].json.id)
    const keys = run.requests.map((r) => r.headers['Idempotency-Key'])
    assert.lengthOf(new Set(keys), 2, 'each item has its own key')

    // n8n's Retry: a new execution over the same data sends nothing new.
    const retry = harness(token)
    const again = await retry.execute(node, items, send)
    assert.deepEqual(
      again.map((item) => item.json.id),
      first.map((item) => item.json.id)
    )
    assert.deepEqual(
      retry.requests.map((r) => r.headers['Idempotency-Key']),
      keys
    )
    const conversation = (
      await api('GET', `/api/v1/conversations/${first[0].json.conversation_id}/messages`, { token })
    ).json.data
    assert.lengthOf(conversation, 1, 'one message for the first contact after two runs')

    // Another event with the same data is another request.
    const later = harness(token)
    const next = await later.execute(node, [{ ...items[0], event_id: 'evt_2222' }], send)
    assert.notEqual(next[0].json.id, first[0].json.id)

    // A key the user gives wins.
    const own = harness(token)
    await own.execute(node, [{}], { ...send(0), idempotencyKey: 'crm-order-42' })
    assert.equal(own.requests[0].headers['Idempotency-Key'], 'crm-order-42')
  })

  test('actions cover contacts, conversations, messages and knowledge, with the API’s errors', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel } = await apiTenant(cleanup, 'n8n')
    const { token } = await makeKey(tenant, N8N_SCOPES)
    await approvedTemplate(context, channel.id, { name: 'welcome', variables: 1 })
    const node = new n8n.FloMastr()
    const run = harness(token)
    const one = async (parameters: Record<string, unknown>) =>
      (await run.execute(node, [{}], parameters)).map((item) => item.json)

    const phone = freshPhone()
    const [made] = await one({
      resource: 'contact',
      operation: 'create',
      phone,
      contactFields: { name: 'Noor', email: 'Noor@Example.com', tags: 'vip, lead' },
    })
    assert.equal(made.phone, phone)
    assert.deepEqual(made.tags, ['vip', 'lead'])
    const [upserted] = await one({
      resource: 'contact',
      operation: 'upsert',
      phone,
      contactFields: { notes: 'Called back' },
    })
    assert.equal(upserted.id, made.id, 'the + survives the path: the same contact')
    const found = await one({
      resource: 'contact',
      operation: 'find',
      contactFilters: { email: 'noor@example.com' },
    })
    assert.deepEqual(
      found.map((c) => c.id),
      [made.id]
    )
    const [updated] = await one({
      resource: 'contact',
      operation: 'update',
      contactId: made.id,
      contactFields: { name: 'Noor H.' },
    })
    assert.equal(updated.name, 'Noor H.')

    const [message] = await one({
      resource: 'message',
      operation: 'send',
      channelId: channel.id,
      to: made.id,
      messageType: 'template',
      templateName: 'welcome',
      templateLanguage: 'en_US',
      templateVariables: 'Noor',
    })
    assert.equal(message.contact_id, made.id)
    const [read] = await one({ resource: 'message', operation: 'get', messageId: message.id })
    assert.equal(read.id, message.id)

    const [conversation] = await one({
      resource: 'conversation',
      operation: 'find',
      conversationFilters: { contact_id: made.id },
    })
    assert.equal(conversation.id, message.conversation_id)
    const [resolved] = await one({
      resource: 'conversation',
      operation: 'update',
      conversationId: conversation.id,
      conversationFields: { status: 'resolved', labels: 'renewal' },
    })
    assert.equal(resolved.status, 'resolved')
    assert.deepEqual(resolved.labels, ['renewal'])
    const history = await one({
      resource: 'conversation',
      operation: 'messages',
      conversationId: conversation.id,
    })
    assert.deepEqual(
      history.map((m) => m.id),
      [message.id]
    )

    const [source] = await one({
      resource: 'knowledge',
      operation: 'addSource',
      title: 'Opening hours',
      text: 'We open at nine.',
    })
    assert.equal(source.title, 'Opening hours')
    const results = await one({
      resource: 'knowledge',
      operation: 'search',
      query: 'nine',
      limit: 3,
    })
    assert.isArray(results)

    // The API's message is the node's error; with "continue on fail" it is the item.
    const bad = { resource: 'contact', operation: 'create', phone: '12' }
    const failed = await run.execute(node, [{}], bad).catch((error: any) => error)
    const direct = await api('POST', '/api/v1/contacts', { token, body: { phone: '12' } })
    assert.equal(failed.message, direct.json.error.message)
    assert.include(failed.description, 'phone')
    const kept = await run.execute(node, [{}], bad, { continueOnFail: true })
    assert.equal(kept[0].json.error, direct.json.error.message)
  })

  test("another tenant's key finds nothing and cannot remove the trigger's hook", async ({
    assert,
    cleanup,
  }) => {
    const home = await apiTenant(cleanup, 'n8n')
    const away = await apiTenant(cleanup, 'n8n')
    const node = new n8n.FloMastr()
    const [contact] = await harness(home.token).execute(node, [{}], {
      resource: 'contact',
      operation: 'upsert',
      phone: freshPhone(),
    })
    const missing = await harness(away.token)
      .execute(node, [{}], { resource: 'contact', operation: 'get', contactId: contact.json.id })
      .catch((error: any) => error)
    assert.equal(missing.httpCode, '404')

    const trigger = await harness(home.token).trigger(new n8n.FloMastrTrigger(), {
      event: 'contact.created',
    })
    cleanup(() => trigger.stop())
    await trigger.create()
    const stranger = await harness(away.token).trigger(new n8n.FloMastrTrigger(), {
      event: 'contact.created',
    })
    cleanup(() => stranger.stop())
    Object.assign(stranger.staticData, trigger.staticData)
    assert.isFalse(await stranger.checkExists(), "another tenant's hook is not found")
    assert.equal(
      (await api('GET', `/api/v1/webhooks/${trigger.staticData.hookId}`, { token: home.token }))
        .status,
      200,
      'and stays'
    )
  })
})
