import { test } from '@japa/runner'
import {
  Campaign,
  createCampaign,
  launchCampaign,
  readCampaignSettings,
  saveCampaignSettings,
  type CampaignInput,
} from '#modules/pulse/index'
import { makeMember } from '#tests/helpers/users'
import { signIn } from '#tests/functional/workspace/member_browser'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { api, makeKey } from '#tests/functional/integrations/api_client'
import { campaignTenant, contact, recipientsOf, waitForStats } from './campaign_fixtures.js'

type Cleanup = (fn: () => Promise<void>) => void

async function workspace(cleanup: Cleanup, prefix = 'cmpset') {
  const made = await campaignTenant(cleanup, {}, prefix)
  const member = async (role: 'owner' | 'admin' | 'agent' | 'viewer', locale?: 'en' | 'ar') => {
    const user = await makeMember(made.tenant.id, role)
    if (locale) {
      user.locale = locale
      await user.save()
    }
    cleanup(async () => {
      await user.delete()
    })
    return user
  }
  return { ...made, member, campaigns: `/t/${made.tenant.slug}/campaigns` }
}

function input(channelId: string, overrides: Partial<CampaignInput> = {}): CampaignInput {
  return {
    name: 'JLT launch',
    channelId,
    template: {
      name: 'spring_offer',
      language: 'en',
      variables: { '1': '{{contact.name}}', '2': '{{contact.area|Dubai}}' },
    },
    audience: { labels: ['jlt'] },
    quiet: { start: null, end: null },
    ...overrides,
  }
}

function form(channelId: string, overrides: Record<string, string> = {}) {
  return {
    name: 'Tower launch',
    channel_id: channelId,
    template: 'spring_offer::en',
    var_1: '{{contact.name|there}}',
    var_2: '{{contact.area|JLT}}',
    audience_type: 'labels',
    labels: 'jlt',
    schedule: 'now',
    quiet_start: '',
    quiet_end: '',
    ...overrides,
  }
}

function apiBody(channelId: string, extra: Record<string, unknown> = {}) {
  return {
    name: 'Tower launch',
    channel_id: channelId,
    template: {
      name: 'spring_offer',
      language: 'en',
      variables: { '1': '{{contact.name}}', '2': '{{contact.area|JLT}}' },
    },
    audience: { labels: ['jlt'] },
    quiet_hours: null,
    ...extra,
  }
}

test.group('Campaigns: workspace settings', (group) => {
  useFakeGraph(group)
  withDefaultQueueWorker(group)

  test('owners and admins save the settings and see them; others may not', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('admin'))
    const page = await web.get(`${w.campaigns}/settings`)
    assert.equal(page.status, 200)
    assert.include(page.body, 'name="allow_unknown_consent"')
    assert.include(page.body, 'name="require_approval"')
    assert.notInclude(page.body, 'checked')
    assert.include((await web.get(w.campaigns)).body, `href="${w.campaigns}/settings"`)

    const saved = await web.post(`${w.campaigns}/settings`, {
      allow_unknown_consent: 'on',
      require_approval: 'on',
    })
    assert.equal(saved.status, 302)
    assert.deepEqual(await readCampaignSettings(w.context), {
      allowUnknownConsent: true,
      requireApproval: true,
    })
    const shown = await web.get(`${w.campaigns}/settings`)
    assert.match(shown.body, /name="allow_unknown_consent" value="on" checked/)
    assert.match(shown.body, /name="require_approval" value="on" checked/)

    // A value that is neither on nor off: the field's message, nothing saved.
    const bad = await web.post(`${w.campaigns}/settings`, { require_approval: 'maybe' })
    assert.equal(bad.status, 422)
    assert.include(bad.body, 'class="field-error" id="outreach-require_approval-error"')
    assert.include(bad.body, 'Choose on or off.')
    assert.isTrue((await readCampaignSettings(w.context)).requireApproval)

    // An unticked box turns it off.
    await web.post(`${w.campaigns}/settings`, { require_approval: 'on' })
    assert.deepEqual(await readCampaignSettings(w.context), {
      allowUnknownConsent: false,
      requireApproval: true,
    })

    const arabic = await signIn(await w.member('owner', 'ar'))
    const ar = await arabic.get(`${w.campaigns}/settings`)
    assert.equal(ar.status, 200)
    assert.include(ar.body, 'إعدادات الحملات')

    const agent = await signIn(await w.member('agent'))
    assert.equal((await agent.get(`${w.campaigns}/settings`)).status, 403)
    const refused = await agent.post(`${w.campaigns}/settings`, { allow_unknown_consent: 'on' })
    assert.equal(refused.status, 403)
    assert.isFalse((await readCampaignSettings(w.context)).allowUnknownConsent)
  })

  test('unknown consent is skipped unless the workspace allows it, whatever the campaign says', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await workspace(cleanup)
    await contact(context, { label: 'jlt', channelId: channel.id, marketingConsent: 'unknown' })
    await contact(context, { label: 'jlt', channelId: channel.id, marketingConsent: 'opted_in' })

    // Refused while the workspace does not allow it.
    await assert.rejects(
      () => createCampaign(context, input(channel.id, { allowUnknownConsent: true })),
      'The campaign is invalid'
    )

    await saveCampaignSettings(context, { allowUnknownConsent: true, requireApproval: false })
    const allowed = await createCampaign(context, input(channel.id, { allowUnknownConsent: true }))
    const stale = await createCampaign(context, input(channel.id, { allowUnknownConsent: true }))
    const plain = await createCampaign(context, input(channel.id))
    await launchCampaign(context, allowed.id)
    const first = await waitForStats(context, allowed.id, (_s, row) => row.status === 'completed')
    assert.deepInclude(first.stats, { targeted: 2, sent: 2, skipped: 0 })
    await launchCampaign(context, plain.id)
    const second = await waitForStats(context, plain.id, (_s, row) => row.status === 'completed')
    assert.deepInclude(second.stats, { targeted: 2, sent: 1, skipped: 1 })

    // The workspace turns it off: a campaign made while it was on no longer reaches "not asked".
    await saveCampaignSettings(context, { allowUnknownConsent: false, requireApproval: false })
    await launchCampaign(context, stale.id)
    const third = await waitForStats(context, stale.id, (_s, row) => row.status === 'completed')
    assert.deepInclude(third.stats, { targeted: 2, sent: 1, skipped: 1 })
    const reasons = (await recipientsOf(context, stale.id)).map((row) => row.skip_reason)
    assert.sameMembers(reasons, [null, 'no_marketing_consent'])
  })

  test('the form shows and honours "not asked" only when the workspace allows it', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    const off = await web.get(`${w.campaigns}/new`)
    assert.notInclude(off.body, 'name="allow_unknown"')
    // Posted anyway (a stale page): ignored, the campaign sends to opted-in contacts only.
    const saved = await web.post(w.campaigns, form(w.channel.id, { allow_unknown: '1' }))
    assert.equal(saved.status, 302)
    const [made] = await w.context.transaction((trx) => Campaign.query({ client: trx }))
    assert.isFalse(made.allowUnknownConsent)

    await web.post(`${w.campaigns}/settings`, { allow_unknown_consent: 'on' })
    const on = await web.get(`${w.campaigns}/new`)
    assert.include(on.body, 'name="allow_unknown"')
    const again = await web.post(
      w.campaigns,
      form(w.channel.id, { name: 'With unknown', allow_unknown: '1' })
    )
    assert.equal(again.status, 302)
    const rows = await w.context.transaction((trx) =>
      Campaign.query({ client: trx }).where('name', 'With unknown')
    )
    assert.isTrue(rows[0].allowUnknownConsent)
  })

  test('the API takes allow_unknown_consent only where the workspace allows it', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel } = await campaignTenant(cleanup)
    const { token } = await makeKey(tenant)
    const refused = await api('POST', '/api/v1/campaigns', {
      token,
      body: apiBody(channel.id, { allow_unknown_consent: true }),
    })
    assert.equal(refused.status, 422, refused.text)
    assert.equal(refused.json.error.code, 'validation_failed')
    assert.include(Object.keys(refused.json.error.fields), 'allow_unknown_consent')

    await saveCampaignSettings(context, { allowUnknownConsent: true, requireApproval: false })
    await contact(context, { label: 'jlt', channelId: channel.id, marketingConsent: 'unknown' })
    const created = await api('POST', '/api/v1/campaigns', {
      token,
      body: apiBody(channel.id, { allow_unknown_consent: true }),
    })
    assert.equal(created.status, 201, created.text)
    const launched = await api('POST', `/api/v1/campaigns/${created.json.id}/launch`, { token })
    assert.equal(launched.status, 200, launched.text)
    const { stats } = await waitForStats(
      context,
      created.json.id,
      (_s, row) => row.status === 'completed'
    )
    assert.deepInclude(stats, { targeted: 1, sent: 1 })
  })

  test('the workspace setting sends every launch, UI and API, through approval', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    await contact(w.context, { label: 'jlt', channelId: w.channel.id })
    const web = await signIn(await w.member('owner'))
    await web.post(`${w.campaigns}/settings`, { require_approval: 'on' })

    const page = await web.get(`${w.campaigns}/new`)
    assert.include(page.body, 'data-approval-forced')
    assert.notInclude(page.body, 'name="requires_approval"')

    // UI: the campaign's own box is unticked, approval is asked all the same.
    const saved = await web.post(w.campaigns, form(w.channel.id))
    assert.equal(saved.status, 302)
    const [made] = await w.context.transaction((trx) => Campaign.query({ client: trx }))
    assert.isFalse(made.requiresApproval)
    assert.equal((await web.post(`${w.campaigns}/${made.id}/launch`, {})).status, 302)
    const waiting = await w.context.transaction((trx) =>
      Campaign.findOrFail(made.id, { client: trx })
    )
    assert.equal(waiting.status, 'awaiting_approval')
    assert.isNotNull(waiting.approvalTaskId)
    assert.lengthOf(await recipientsOf(w.context, made.id), 0)

    // API: the same.
    const { token } = await makeKey(w.tenant)
    const created = await api('POST', '/api/v1/campaigns', { token, body: apiBody(w.channel.id) })
    assert.equal(created.status, 201, created.text)
    const launched = await api('POST', `/api/v1/campaigns/${created.json.id}/launch`, { token })
    assert.equal(launched.status, 200, launched.text)
    assert.equal(launched.json.status, 'draft')
    assert.isTrue(launched.json.awaiting_approval)
    assert.lengthOf(await recipientsOf(w.context, created.json.id), 0)

    // Off again: the per-campaign box is back, and a campaign without it launches at once.
    await web.post(`${w.campaigns}/settings`, {})
    assert.include((await web.get(`${w.campaigns}/new`)).body, 'name="requires_approval"')
    const direct = await api('POST', '/api/v1/campaigns', {
      token,
      body: apiBody(w.channel.id, { name: 'Direct' }),
    })
    const ran = await api('POST', `/api/v1/campaigns/${direct.json.id}/launch`, { token })
    assert.equal(ran.json.status, 'running')
    await waitForStats(w.context, direct.json.id, (_s, row) => row.status === 'completed')
  })

  test('another workspace cannot read or change the settings (UI and API)', async ({
    assert,
    cleanup,
  }) => {
    const a = await workspace(cleanup, 'cmpseta')
    const b = await workspace(cleanup, 'cmpsetb')
    await saveCampaignSettings(a.context, { allowUnknownConsent: true, requireApproval: true })

    // B's owner sees B's own (default) settings, and cannot open or post A's.
    const webB = await signIn(await b.member('owner'))
    const own = await webB.get(`${b.campaigns}/settings`)
    assert.equal(own.status, 200)
    assert.notInclude(own.body, 'checked')
    assert.notEqual((await webB.get(`${a.campaigns}/settings`)).status, 200)
    const posted = await webB.post(`${a.campaigns}/settings`, {})
    assert.notEqual(posted.status, 302)
    assert.deepEqual(await readCampaignSettings(a.context), {
      allowUnknownConsent: true,
      requireApproval: true,
    })
    // B saving its own leaves A's alone.
    await webB.post(`${b.campaigns}/settings`, { allow_unknown_consent: 'on' })
    assert.deepEqual(await readCampaignSettings(b.context), {
      allowUnknownConsent: true,
      requireApproval: false,
    })
    assert.isTrue((await readCampaignSettings(a.context)).requireApproval)

    // API: B's key is ruled by B's settings only (A's approval rule does not reach it;
    // after B turns "not asked" off, A's allowing it does not help).
    await saveCampaignSettings(b.context, { allowUnknownConsent: false, requireApproval: false })
    await contact(b.context, { label: 'jlt', channelId: b.channel.id })
    const { token } = await makeKey(b.tenant)
    const refused = await api('POST', '/api/v1/campaigns', {
      token,
      body: apiBody(b.channel.id, { allow_unknown_consent: true }),
    })
    assert.equal(refused.status, 422)
    assert.include(Object.keys(refused.json.error.fields), 'allow_unknown_consent')
    const created = await api('POST', '/api/v1/campaigns', { token, body: apiBody(b.channel.id) })
    const launched = await api('POST', `/api/v1/campaigns/${created.json.id}/launch`, { token })
    assert.equal(launched.json.status, 'running')
    assert.isFalse(launched.json.awaiting_approval)
    await waitForStats(b.context, created.json.id, (_s, row) => row.status === 'completed')
  })
})
