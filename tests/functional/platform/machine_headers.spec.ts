import { test } from '@japa/runner'
import { addWebchatChannel } from '#modules/channels/index'
import { systemActor } from '#modules/tenancy/index'
import { makeTenant, withoutPlan } from '#tests/helpers/tenants'
import { baseUrl, makeWhatsAppTenant, sign, webhook } from '#tests/helpers/whatsapp'
import { makeKey } from '#tests/functional/integrations/api_client'

/*
| Machine routes answer data, never a page: every answer says nosniff and
| carries a policy that loads and frames nothing, so a same-origin URL can
| never be borrowed as a script (script-src 'self') or framed. The WhatsApp
| handshake echoes only a number.
*/

const MACHINE_CSP = "default-src 'none'; frame-ancestors 'none'"

function handshake(token: string, challenge: string) {
  const query = new URLSearchParams({
    'hub.mode': 'subscribe',
    'hub.verify_token': token,
    'hub.challenge': challenge,
  })
  return fetch(baseUrl(`/webhooks/whatsapp?${query}`))
}

test.group('Machine routes: the WhatsApp handshake', () => {
  test('a challenge that is not a number is 400 and not echoed', async ({ assert, cleanup }) => {
    const wa = await makeWhatsAppTenant('mh-hs')
    cleanup(wa.cleanup)
    for (const challenge of ['alert(document.domain)//', '<script>x</script>', '12a', '', ' 42']) {
      const response = await handshake(wa.verifyToken, challenge)
      assert.equal(response.status, 400, JSON.stringify(challenge))
      const body = await response.text()
      assert.equal(JSON.parse(body).error.code, 'invalid_challenge')
      if (challenge) assert.notInclude(body, challenge)
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
    }
  })

  test('a numeric challenge is echoed as text with nosniff and a closed policy', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('mh-hs')
    cleanup(wa.cleanup)
    const response = await handshake(wa.verifyToken, '1158201444')
    assert.equal(response.status, 200)
    assert.equal(await response.text(), '1158201444')
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/)
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(response.headers.get('content-security-policy'), MACHINE_CSP)
  })
})

test.group('Machine routes: nosniff and a closed policy', () => {
  test('every kind of machine answer carries nosniff and the closed policy', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('mh-all')
    cleanup(wa.cleanup)
    const { token } = await makeKey(wa.tenant)
    await withoutPlan(wa.tenant)
    const chat = await addWebchatChannel(wa.tenant, { name: 'Site chat' }, systemActor)
    const signedBody = JSON.stringify(webhook(wa, {}))
    const requests: Array<[string, string, RequestInit?]> = [
      ['health', '/health'],
      ['readiness', '/health/ready'],
      ['handshake refused', '/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1'],
      // The POST lane answers before AdonisJS: unsigned, malformed and accepted.
      ['webhook lane, unsigned', '/webhooks/whatsapp', { method: 'POST', body: signedBody }],
      ['webhook lane, not JSON', '/webhooks/whatsapp', { method: 'POST', body: '{' }],
      [
        'webhook lane, accepted',
        '/webhooks/whatsapp',
        {
          method: 'POST',
          body: signedBody,
          headers: {
            'content-type': 'application/json',
            'x-hub-signature-256': sign(signedBody, wa.appSecret),
          },
        },
      ],
      ['api without a key', '/api/v1/me'],
      ['api with a key', '/api/v1/me', { headers: { authorization: `Bearer ${token}` } }],
      ['api, no such route', '/api/v1/no-such-thing'],
      ['openapi document', '/api/v1/openapi.json'],
      ['web chat script', '/webchat/widget.js'],
      ['web chat theme', `/webchat/${chat.id}/theme.css`],
      [
        'web chat session',
        `/webchat/${chat.id}/sessions`,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
      ],
    ]
    const missing: string[] = []
    const statuses: Record<string, number> = {}
    for (const [label, path, init] of requests) {
      const response = await fetch(baseUrl(path), init)
      await response.arrayBuffer()
      statuses[label] = response.status
      const sniff = response.headers.get('x-content-type-options')
      const csp = response.headers.get('content-security-policy')
      if (sniff !== 'nosniff' || csp !== MACHINE_CSP) {
        missing.push(`${label} (${response.status}): nosniff=${sniff} csp=${csp}`)
      }
    }
    assert.deepEqual(missing, [])
    assert.equal(statuses['webhook lane, accepted'], 200)
    assert.equal(statuses['webhook lane, unsigned'], 401)
    assert.equal(statuses['api with a key'], 200)
  })

  test('the web chat frame keeps its own policy, framed by the allowed sites', async ({
    assert,
    cleanup,
  }) => {
    const made = await makeTenant('mh-frame')
    cleanup(made.cleanup)
    const chat = await addWebchatChannel(
      made.tenant,
      { name: 'Site chat', allowedOrigins: ['https://shop.example.com'] },
      systemActor
    )
    const response = await fetch(baseUrl(`/webchat/${chat.id}/frame`))
    assert.equal(response.status, 200)
    const csp = response.headers.get('content-security-policy') ?? ''
    assert.include(csp, 'frame-ancestors https://shop.example.com')
    assert.include(csp, "script-src 'self'")
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
  })

  test('browser pages keep the shield policy, not the machine one', async ({ assert }) => {
    const response = await fetch(baseUrl('/login'))
    assert.notEqual(response.headers.get('content-security-policy'), MACHINE_CSP)
  })
})
