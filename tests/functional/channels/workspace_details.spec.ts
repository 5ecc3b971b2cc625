import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import { Plan } from '#modules/billing/index'
import { addSandboxChannel, addWebchatChannel } from '#modules/channels/index'
import { User } from '#modules/identity/index'
import { Tenant, systemActor } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { signIn } from '#tests/functional/workspace/member_browser'

/*
| Small things a new user trips over: the channels page states the plan's
| limit once and offers no form that would only be refused; the verify token
| suggested on it survives a refused submit; the assistant's time zone starts
| as the member's own and UTC can be chosen; knowledge titles and API key
| names have limits the forms state; the sandbox's customer is a test one.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

async function onOneChannelPlan(cleanup: Cleanup, tenantId: string) {
  const plan = await Plan.create({
    slug: `one-channel-${randomBytes(3).toString('hex')}`,
    name: 'One channel',
    isDefault: false,
    maxChannels: 1,
  })
  await Tenant.query().where('id', tenantId).update({ planId: plan.id })
  cleanup(async () => {
    await Tenant.query().where('plan_id', plan.id).update({ planId: null })
    await plan.delete()
  })
}

function count(body: string, text: string) {
  return body.split(text).length - 1
}

test.group('Workspace details', () => {
  test('at the plan’s channel limit the page says so once and offers no form that would be refused', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'limit')
    await onOneChannelPlan(cleanup, ws.tenant.id)
    const web = await signIn(await ws.member('owner'))

    let page = await web.get(`${ws.base}/channels`)
    assert.include(page.body, 'id="add-whatsapp"')
    assert.include(page.body, `action="${ws.base}/channels/webchat"`)
    assert.notInclude(page.body, 'data-at-limit')

    await addWebchatChannel(ws.tenant, { name: 'Site chat' }, systemActor)
    page = await web.get(`${ws.base}/channels`)
    assert.equal(count(page.body, 'data-at-limit'), 1)
    assert.notInclude(page.body, `action="${ws.base}/channels/whatsapp"`)
    assert.notInclude(page.body, `action="${ws.base}/channels/webchat"`)
    // The sandbox does not count against the plan: still offered.
    assert.include(page.body, `action="${ws.base}/channels/sandbox"`)
  })

  test('the suggested verify token is the same after a refused submit', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'vtok')
    const web = await signIn(await ws.member('admin'))
    const tokenIn = (body: string) =>
      body.match(/name="verify_token"[^>]*value="([^"]*)"/)?.[1] ??
      body.match(/value="([^"]*)"[^>]*name="verify_token"/)?.[1]
    const first = await web.get(`${ws.base}/channels`)
    const suggested = tokenIn(first.body)
    assert.isString(suggested)
    assert.isAbove(suggested!.length, 16)

    // Copied into Meta's console already, the token must not change under the person.
    const refused = await web.post(`${ws.base}/channels/whatsapp`, {
      name: 'Sales',
      phone_number_id: 'not digits',
      waba_id: '4455667788',
      display_number: '+15550001234',
      access_token: 'EAAG-token-long-enough-0001',
      app_secret: 'app-secret-long-enough',
      verify_token: suggested!,
    })
    assert.equal(refused.status, 302)
    const again = await web.get(`${ws.base}/channels`)
    assert.include(again.body, 'class="field-error"')
    assert.equal(tokenIn(again.body), suggested)
  })

  test('the assistant’s time zone starts as the member’s own, and UTC is one of the choices', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'tzone')
    const channel = await addSandboxChannel(ws.tenant, systemActor)
    const owner = await ws.member('owner')
    await User.query().where('id', owner.id).update({ timezone: 'Asia/Dubai' })
    const web = await signIn(owner)
    const selected = (body: string) =>
      body.match(/<option value="([^"]+)" selected>/g)?.map((tag) => tag.split('"')[1]) ?? []

    const page = await web.get(`${ws.base}/assistant/${channel.id}`)
    assert.equal(page.status, 200)
    assert.include(selected(page.body), 'Asia/Dubai')
    assert.include(page.body, '<option value="UTC"')
    assert.notInclude(selected(page.body), 'Africa/Abidjan')
  })

  test('knowledge titles stop at 200 characters and API key names at 120, as their forms say', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'limits')
    const web = await signIn(await ws.member('owner'))
    const form = await web.get(`${ws.base}/knowledge/new?kind=text`)
    assert.include(form.body, 'maxlength="200"')
    const long = await web.post(`${ws.base}/knowledge/text`, {
      title: 'T'.repeat(201),
      text: 'Boats are covered up to 12 metres.',
    })
    assert.equal(long.status, 302)
    const refused = await web.get(`${ws.base}/knowledge/new?kind=text`)
    assert.include(refused.body, 'class="field-error"')
    assert.include((await web.get(`${ws.base}/settings/api-keys`)).body, 'maxlength="120"')
  })

  test('the sandbox plays "Test customer" by default, not the signed-in member', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'sbxname')
    await addSandboxChannel(ws.tenant, systemActor)
    const owner = await ws.member('owner')
    const page = await (await signIn(owner)).get(`${ws.base}/sandbox`)
    assert.include(page.body, 'id="sandbox-name" name="name" type="text" value="Test customer"')
    assert.notInclude(page.body, `value="${owner.name}"`)
  })
})
