import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import encryption from '@adonisjs/core/services/encryption'
import { Plan } from '#modules/billing/index'
import { Channel } from '#modules/channels/index'
import { Tenant } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { signIn } from '#tests/functional/workspace/member_browser'

type Cleanup = (fn: () => void | Promise<void>) => void

async function workspace(cleanup: Cleanup, prefix = 'chan') {
  const made = await makeWorkspace(cleanup, prefix)
  return { ...made, channels: `${made.base}/channels` }
}

/** A phone number id no other test uses (the column is unique across tenants). */
function freshPhoneNumberId() {
  return `${Date.now()}${randomBytes(3).readUIntBE(0, 3)}`
}

function whatsAppForm(overrides: Record<string, string> = {}) {
  return {
    name: 'Sales line',
    phone_number_id: freshPhoneNumberId(),
    waba_id: '4455667788',
    display_number: '+1 (555) 000-1234',
    access_token: `EAAG-token-${randomBytes(8).toString('hex')}`,
    app_secret: `app-secret-${randomBytes(8).toString('hex')}`,
    verify_token: 'verify-me-please',
    ...overrides,
  }
}

function audits(tenantId: string, action: string) {
  return db.from('audit_logs').where('tenant_id', tenantId).where('action', action)
}

function channelsOf(tenantId: string) {
  return Channel.query().where('tenant_id', tenantId).orderBy('created_at')
}

test.group('Channels page', () => {
  test('an owner sees the webhook URL, an empty list and the forms; agents and viewers get 403 and no link', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const owner = await signIn(await w.member('owner'))
    const page = await owner.get(w.channels)
    assert.equal(page.status, 200)
    assert.include(page.body, '/webhooks/whatsapp')
    assert.include(page.body, 'data-copy-target="webhook-url"')
    assert.include(page.body, 'No channels yet')
    assert.include(page.body, `action="${w.channels}/whatsapp"`)
    assert.include(page.body, `action="${w.channels}/sandbox"`)
    assert.match(page.body, /name="access_token" type="password"/)
    assert.match(page.body, /name="app_secret" type="password"/)
    // Both pages are in the navigation for managers.
    assert.include(page.body, `href="${w.base}/channels" aria-current="page"`)
    assert.include(page.body, `href="${w.base}/contacts"`)

    for (const role of ['agent', 'viewer'] as const) {
      const web = await signIn(await w.member(role))
      assert.equal((await web.get(w.channels)).status, 403, role)
      const home = await web.get(w.base)
      assert.notInclude(home.body, `href="${w.base}/channels"`, role)
      assert.include(home.body, `href="${w.base}/contacts"`, role)
    }
  })

  test('connecting a WhatsApp number stores the secrets encrypted, shows them masked, and audits it', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const owner = await w.member('owner')
    const web = await signIn(owner)
    const form = whatsAppForm()
    const added = await web.submit(w.channels, `${w.channels}/whatsapp`, form)
    assert.equal(added.status, 302)

    const [channel] = await channelsOf(w.tenant.id)
    assert.equal(added.location, `${w.channels}/${channel.id}`)
    assert.equal(channel.type, 'whatsapp')
    assert.equal(channel.name, 'Sales line')
    assert.equal(channel.phoneNumberId, form.phone_number_id)
    assert.equal(channel.displayNumber, '+15550001234')
    assert.equal(channel.verifyToken, 'verify-me-please')
    assert.equal(channel.accessToken, form.access_token)
    assert.equal(channel.appSecret, form.app_secret)
    const raw = await db.from('channels').where('id', channel.id).first()
    assert.notInclude(raw.access_token_encrypted, form.access_token)
    assert.notInclude(raw.app_secret_encrypted, form.app_secret)
    assert.equal(encryption.decrypt(raw.app_secret_encrypted), form.app_secret)

    const show = await web.get(added.location!)
    assert.equal(show.status, 200)
    assert.include(show.body, 'Sales line is connected.')
    assert.include(show.body, `••••${form.access_token.slice(-4)}`)
    assert.include(show.body, `••••${form.app_secret.slice(-4)}`)
    assert.notInclude(show.body, form.access_token)
    assert.notInclude(show.body, form.app_secret)
    // What to paste into Meta: the callback URL and this number's verify token.
    assert.include(show.body, '/webhooks/whatsapp')
    assert.include(show.body, 'value="verify-me-please"')

    const list = await web.get(w.channels)
    assert.include(list.body, `data-channel="${channel.id}"`)
    assert.include(list.body, '+15550001234')
    assert.include(list.body, 'Active')
    assert.notInclude(list.body, form.access_token)
    assert.notInclude(list.body, form.app_secret)

    const [audit] = await audits(w.tenant.id, 'channel.created')
    assert.equal(audit.actor_user_id, owner.id)
    assert.equal(audit.subject_id, channel.id)
    assert.notInclude(JSON.stringify(audit), form.access_token)
  })

  test('validation errors re-render the form with what was typed, except the secrets', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('admin'))
    const form = whatsAppForm({
      phone_number_id: '12ab',
      display_number: '555-1234',
      access_token: 'short',
      waba_id: '778899',
    })
    const refused = await web.submit(w.channels, `${w.channels}/whatsapp`, form)
    assert.equal(refused.status, 302)
    assert.equal(refused.location, `${w.channels}#add-whatsapp`)
    assert.lengthOf(await channelsOf(w.tenant.id), 0)

    const page = await web.get(w.channels)
    assert.include(page.body, 'Enter the phone number ID as Meta shows it: digits only.')
    assert.include(page.body, 'Enter the number with its country code')
    assert.include(page.body, 'Use at least 8 characters.')
    assert.include(page.body, 'value="Sales line"')
    assert.include(page.body, 'value="778899"')
    assert.include(page.body, 'value="555-1234"')
    assert.notInclude(page.body, form.app_secret)
    assert.notInclude(page.body, 'value="short"')
  })

  test('a number another workspace connected is a field error; the form keeps its values but not the secrets', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const other = await workspace(cleanup, 'chan-other')
    const taken = freshPhoneNumberId()
    const first = await signIn(await other.member('owner'))
    await first.submit(
      other.channels,
      `${other.channels}/whatsapp`,
      whatsAppForm({ phone_number_id: taken })
    )
    assert.lengthOf(await channelsOf(other.tenant.id), 1)

    const web = await signIn(await w.member('owner'))
    const form = whatsAppForm({ phone_number_id: taken, name: 'Second claim' })
    const refused = await web.submit(w.channels, `${w.channels}/whatsapp`, form)
    assert.equal(refused.location, `${w.channels}#add-whatsapp`)
    assert.lengthOf(await channelsOf(w.tenant.id), 0)
    const page = await web.get(w.channels)
    assert.include(page.body, 'This WhatsApp number is already connected to a workspace.')
    assert.include(page.body, 'value="Second claim"')
    assert.include(page.body, `value="${taken}"`)
    assert.notInclude(page.body, form.access_token)
    assert.notInclude(page.body, form.app_secret)
  })

  test("the plan's channel limit is explained, and the sandbox does not count against it", async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const plan = await Plan.create({
      slug: `one-${randomBytes(3).toString('hex')}`,
      name: 'One line',
      maxChannels: 1,
      isDefault: false,
    })
    await Tenant.query().where('id', w.tenant.id).update({ planId: plan.id })
    cleanup(async () => {
      await Tenant.query().where('plan_id', plan.id).update({ planId: null })
      await plan.delete()
    })
    const web = await signIn(await w.member('owner'))
    await web.submit(w.channels, `${w.channels}/sandbox`, {})
    const first = await web.submit(w.channels, `${w.channels}/whatsapp`, whatsAppForm())
    assert.match(first.location ?? '', /\/channels\/[0-9a-f-]{36}$/)

    const form = whatsAppForm({ name: 'One too many' })
    const second = await web.submit(w.channels, `${w.channels}/whatsapp`, form)
    assert.equal(second.location, `${w.channels}#add-whatsapp`)
    const page = await web.get(w.channels)
    assert.include(
      page.body,
      'Your plan allows 1 channel. Remove one or change plan to add another.'
    )
    // At the limit the forms are not offered again: the limit is said once instead.
    assert.notInclude(page.body, `action="${w.channels}/whatsapp"`)
    assert.equal(page.body.split('data-at-limit').length - 1, 1)
    assert.notInclude(page.body, form.access_token)
    assert.include(page.body, '1 of 1 channel on your plan')
    const kinds = (await channelsOf(w.tenant.id)).map((channel) => channel.type).sort()
    assert.deepEqual(kinds, ['sandbox', 'whatsapp'])
  })

  test('adding the sandbox twice keeps one sandbox phone', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('admin'))
    const first = await web.submit(w.channels, `${w.channels}/sandbox`, {})
    const second = await web.submit(w.channels, `${w.channels}/sandbox`, {})
    assert.equal(first.location, second.location)
    const channels = await channelsOf(w.tenant.id)
    assert.lengthOf(channels, 1)
    assert.equal(channels[0].type, 'sandbox')
    assert.equal(first.location, `${w.channels}/${channels[0].id}`)
    const page = await web.get(first.location!)
    assert.include(page.body, 'Sandbox phone is ready.')
    assert.include((await web.get(w.channels)).body, 'Open the sandbox phone')
  })

  test('editing the name, number and sending settings saves them; out-of-range values are refused', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const owner = await w.member('owner')
    const web = await signIn(owner)
    const added = await web.submit(w.channels, `${w.channels}/whatsapp`, whatsAppForm())
    const page = added.location!
    const id = page.split('/').pop()!

    for (const rate of ['0', '1001', 'fast']) {
      const refused = await web.submit(page, page, {
        name: 'Renamed',
        display_number: '+15550009999',
        messages_per_second: rate,
        opt_out_words: '',
      })
      assert.equal(refused.location, `${page}#settings`, rate)
      const again = await web.get(page)
      assert.match(again.body, /Enter (1 or more|1000 or less|a number)\./, rate)
      assert.include(again.body, 'value="Renamed"', rate)
    }
    assert.equal((await Channel.findOrFail(id)).name, 'Sales line')

    // Keywords are whole short messages; a sentence cannot be one.
    const longWord = await web.submit(page, page, {
      name: 'Renamed',
      display_number: '+15550009999',
      opt_out_words: `STOP, ${'please do not send me anything else '.repeat(2)}`,
    })
    assert.equal(longWord.location, `${page}#settings`)
    assert.include(
      (await web.get(page)).body,
      'Keep each word or phrase to 60 characters or fewer.'
    )
    assert.deepEqual((await Channel.findOrFail(id)).settings, {})

    const badNumber = await web.submit(page, page, { name: 'Renamed', display_number: '12' })
    assert.equal(badNumber.location, `${page}#settings`)
    assert.include((await web.get(page)).body, 'Enter the number with its country code')

    const saved = await web.submit(page, page, {
      name: 'Renamed',
      display_number: '+44 20 7946 0018',
      messages_per_second: '250',
      opt_out_words: 'STOP, stop,  Basta , إيقاف',
    })
    assert.equal(saved.location, page)
    const channel = await Channel.findOrFail(id)
    assert.equal(channel.name, 'Renamed')
    assert.equal(channel.displayNumber, '+442079460018')
    assert.deepEqual(channel.settings, {
      messagesPerSecond: 250,
      optOutWords: ['STOP', 'Basta', 'إيقاف'],
    })
    const shown = await web.get(page)
    assert.include(shown.body, 'Renamed is saved.')
    assert.include(shown.body, 'value="STOP, Basta, إيقاف"')

    // Empty fields fall back to the defaults.
    await web.submit(page, page, { name: 'Renamed', display_number: '+442079460018' })
    assert.deepEqual((await Channel.findOrFail(id)).settings, {})

    const [audit] = await audits(w.tenant.id, 'channel.updated')
    assert.equal(audit.actor_user_id, owner.id)
    assert.includeMembers(audit.metadata.changed, ['name', 'displayNumber', 'settings'])
  })

  test('rotating credentials replaces only the filled fields and never shows them', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    const form = whatsAppForm()
    const page = (await web.submit(w.channels, `${w.channels}/whatsapp`, form)).location!
    const id = page.split('/').pop()!

    const nothing = await web.submit(page, `${page}/secrets`, {
      access_token: '',
      app_secret: '',
      verify_token: '',
    })
    assert.equal(nothing.location, page)
    assert.include((await web.get(page)).body, 'Nothing to replace')
    let channel = await Channel.findOrFail(id)
    assert.equal(channel.accessToken, form.access_token)

    const tooShort = await web.submit(page, `${page}/secrets`, { app_secret: 'abc' })
    assert.equal(tooShort.location, `${page}#credentials`)
    assert.include((await web.get(page)).body, 'Use at least 8 characters.')

    const newToken = `EAAG-rotated-${randomBytes(8).toString('hex')}`
    const rotated = await web.submit(page, `${page}/secrets`, {
      access_token: newToken,
      app_secret: '',
      verify_token: 'a-new-verify-phrase',
    })
    assert.equal(rotated.location, page)
    channel = await Channel.findOrFail(id)
    assert.equal(channel.accessToken, newToken)
    assert.equal(channel.appSecret, form.app_secret)
    assert.equal(channel.verifyToken, 'a-new-verify-phrase')
    const shown = await web.get(page)
    assert.include(shown.body, '2 credentials replaced.')
    assert.include(shown.body, `••••${newToken.slice(-4)}`)
    assert.notInclude(shown.body, newToken)

    const [audit] = await audits(w.tenant.id, 'channel.secrets_rotated')
    assert.deepEqual(audit.metadata, { rotated: ['access_token', 'verify_token'] })
    assert.notInclude(JSON.stringify(audit), newToken)
  })

  test('a channel is disabled and enabled again, each change audited', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('admin'))
    const page = (await web.submit(w.channels, `${w.channels}/whatsapp`, whatsAppForm())).location!
    const id = page.split('/').pop()!

    await web.submit(page, `${page}/status`, { status: 'disabled' })
    assert.equal((await Channel.findOrFail(id)).status, 'disabled')
    const disabledPage = await web.get(page)
    assert.include(disabledPage.body, 'Sales line is disabled.')
    assert.include(disabledPage.body, 'Enable channel')

    await web.submit(page, `${page}/status`, { status: 'active' })
    assert.equal((await Channel.findOrFail(id)).status, 'active')
    const bogus = await web.submit(page, `${page}/status`, { status: 'deleted' })
    assert.equal(bogus.status, 302)
    assert.equal((await Channel.findOrFail(id)).status, 'active')

    assert.lengthOf(await audits(w.tenant.id, 'channel.disabled'), 1)
    assert.lengthOf(await audits(w.tenant.id, 'channel.enabled'), 1)
  })

  test("deleting asks for the channel's name, then removes it and frees its number", async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const owner = await w.member('owner')
    const web = await signIn(owner)
    const form = whatsAppForm()
    const page = (await web.submit(w.channels, `${w.channels}/whatsapp`, form)).location!
    const id = page.split('/').pop()!

    const wrong = await web.submit(page, `${page}/delete`, { confirm: 'sales line' })
    assert.equal(wrong.location, `${page}#delete`)
    assert.isNotNull(await Channel.find(id))
    assert.include((await web.get(page)).body, 'name, Sales line, exactly to delete it')

    const done = await web.submit(page, `${page}/delete`, { confirm: ' Sales line ' })
    assert.equal(done.location, w.channels)
    assert.isNull(await Channel.find(id))
    assert.include((await web.get(w.channels)).body, 'Sales line is deleted.')
    const [audit] = await audits(w.tenant.id, 'channel.deleted')
    assert.equal(audit.subject_id, id)
    assert.equal(audit.actor_user_id, owner.id)

    // The number can be connected again.
    const again = await web.submit(w.channels, `${w.channels}/whatsapp`, {
      ...whatsAppForm(),
      phone_number_id: form.phone_number_id,
    })
    assert.match(again.location ?? '', /\/channels\/[0-9a-f-]{36}$/)
  })

  test('agents and viewers cannot change channels (403), nothing changes', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const owner = await signIn(await w.member('owner'))
    const page = (await owner.submit(w.channels, `${w.channels}/whatsapp`, whatsAppForm()))
      .location!

    for (const role of ['agent', 'viewer'] as const) {
      const web = await signIn(await w.member(role))
      await web.get('/account/profile')
      assert.equal((await web.get(page)).status, 403, role)
      const attempts = [
        web.post(`${w.channels}/whatsapp`, whatsAppForm()),
        web.post(`${w.channels}/sandbox`, {}),
        web.post(page, { name: 'Hijacked', display_number: '+15550001111' }),
        web.post(`${page}/secrets`, { access_token: 'stolen-token-1234' }),
        web.post(`${page}/status`, { status: 'disabled' }),
        web.post(`${page}/delete`, { confirm: 'Sales line' }),
      ]
      for (const response of await Promise.all(attempts)) assert.equal(response.status, 403, role)
    }
    const channels = await channelsOf(w.tenant.id)
    assert.lengthOf(channels, 1)
    assert.equal(channels[0].name, 'Sales line')
    assert.equal(channels[0].status, 'active')
    assert.notEqual(channels[0].accessToken, 'stolen-token-1234')
  })
})

test.group('Channels: tenant isolation', () => {
  test("a member of A gets 404 for B's channel through A's URLs and on B's URLs", async ({
    assert,
    cleanup,
  }) => {
    const a = await workspace(cleanup, 'iso-a')
    const b = await workspace(cleanup, 'iso-b')
    const ownerB = await signIn(await b.member('owner'))
    const pageB = (await ownerB.submit(b.channels, `${b.channels}/whatsapp`, whatsAppForm()))
      .location!
    const idB = pageB.split('/').pop()!

    const web = await signIn(await a.member('owner'))
    await web.get(a.channels)
    const viaA = `${a.channels}/${idB}`
    assert.equal((await web.get(viaA)).status, 404)
    assert.equal(
      (await web.post(viaA, { name: 'Taken over', display_number: '+15550002222' })).status,
      404
    )
    assert.equal(
      (await web.post(`${viaA}/secrets`, { access_token: 'stolen-token-1234' })).status,
      404
    )
    assert.equal((await web.post(`${viaA}/status`, { status: 'disabled' })).status, 404)
    assert.equal((await web.post(`${viaA}/delete`, { confirm: 'Sales line' })).status, 404)
    assert.equal((await web.get(`${a.channels}/not-a-uuid`)).status, 404)

    // B's own addresses do not open for a member of A either.
    assert.equal((await web.get(pageB)).status, 404)
    assert.equal((await web.get(b.channels)).status, 404)
    assert.equal((await web.post(`${pageB}/delete`, { confirm: 'Sales line' })).status, 404)

    const channel = await Channel.findOrFail(idB)
    assert.equal(channel.name, 'Sales line')
    assert.equal(channel.status, 'active')
    assert.notInclude((await web.get(a.channels)).body, idB)
  })
})
