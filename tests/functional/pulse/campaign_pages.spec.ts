import { test } from '@japa/runner'
import { Campaign } from '#modules/pulse/index'
import { makeMember } from '#tests/helpers/users'
import { signIn } from '#tests/functional/workspace/member_browser'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { WebSession } from '#tests/helpers/web_session'
import { campaignTenant, contact, waitForStats } from './campaign_fixtures.js'

type Cleanup = (fn: () => Promise<void>) => void

async function workspace(cleanup: Cleanup, prefix = 'cmpui') {
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

async function campaignsIn(context: Awaited<ReturnType<typeof workspace>>['context']) {
  return context.transaction((trx) => Campaign.query({ client: trx }).orderBy('created_at'))
}

test.group('Campaigns: pages', (group) => {
  const graph = useFakeGraph(group)
  withDefaultQueueWorker(group)

  test('build with a live count and preview, launch, watch the funnel, export the recipients', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    await contact(w.context, { label: 'jlt', channelId: w.channel.id, name: 'Layla' })
    await contact(w.context, { label: 'jlt', channelId: w.channel.id, name: 'Omar' })
    await contact(w.context, { label: 'jlt', channelId: w.channel.id, optIn: 'opted_out' })
    const web = await signIn(await w.member('admin'))

    const blank = await web.get(`${w.campaigns}/new`)
    assert.equal(blank.status, 200)
    assert.include(blank.body, `hx-post="${w.campaigns}/form"`)
    // The first template (policy_notice) takes one variable.
    assert.include(blank.body, 'name="var_1"')
    assert.notInclude(blank.body, 'name="var_2"')
    assert.include(blank.body, 'value="spring_offer::en"')

    // htmx: the live part alone; without JavaScript the Update button renders the page.
    const live = await web.post(`${w.campaigns}/form`, form(w.channel.id), {
      'HX-Request': 'true',
      'HX-Target': 'campaign-live',
    })
    assert.equal(live.status, 200)
    assert.notInclude(live.body, '<html')
    assert.include(live.body, 'data-audience-count="3"')
    assert.include(live.body, 'Hello {{contact.name|there}}, new towers in {{contact.area|JLT}}!')
    const full = await web.post(`${w.campaigns}/form`, form(w.channel.id))
    assert.include(full.body, '<html')
    assert.include(full.body, 'data-audience-count="3"')

    // A variable left empty is refused, with the form shown again.
    const bad = await web.post(w.campaigns, form(w.channel.id, { var_2: '' }))
    assert.equal(bad.status, 422)
    assert.include(bad.body, 'data-form-errors')
    assert.include(bad.body, 'value="Tower launch"')

    const saved = await web.post(w.campaigns, form(w.channel.id))
    assert.equal(saved.status, 302)
    const [campaign] = await campaignsIn(w.context)
    assert.equal(saved.location, `${w.campaigns}/${campaign.id}`)
    assert.deepEqual(campaign.variables, { 1: '{{contact.name|there}}', 2: '{{contact.area|JLT}}' })
    assert.deepEqual(campaign.audience, { labels: ['jlt'] })

    const before = graph.sends().length
    const launched = await web.post(`${w.campaigns}/${campaign.id}/launch`, {})
    assert.equal(launched.status, 302)
    await waitForStats(
      w.context,
      campaign.id,
      (s, row) => s.sent === 2 && row.status === 'completed'
    )
    assert.lengthOf(graph.sends().slice(before), 2)

    const page = await web.get(`${w.campaigns}/${campaign.id}`)
    assert.include(page.body, 'data-step="sent"')
    assert.match(page.body, /data-step="sent">\s*<dt>Sent<\/dt>\s*<dd data-count="2"/)
    assert.include(page.body, 'data-skip="opted_out"')
    // Reasons are said in words, not as codes.
    assert.match(page.body, /data-skip="opted_out">.*Opted out of messages<\/a>/)
    const fragment = await web.get(`${w.campaigns}/${campaign.id}/funnel`, { 'HX-Request': 'true' })
    assert.include(fragment.body, 'id="campaign-funnel"')
    assert.notInclude(fragment.body, '<html')
    // The poll also brings the actions for the status now (out of band): a completed campaign
    // offers neither pause nor cancel.
    assert.match(
      fragment.body,
      /id="campaign-actions" data-actions="completed"\s+hx-swap-oob="true"/
    )
    assert.notInclude(fragment.body, 'data-pause')
    assert.notInclude(fragment.body, 'data-cancel')
    assert.match(page.body, /id="campaign-actions" data-actions="completed"\s*>/)

    const skipped = await web.get(`${w.campaigns}/${campaign.id}?status=skipped`)
    assert.equal((skipped.body.match(/data-recipient="/g) ?? []).length, 1)
    const csv = await web.get(`${w.campaigns}/${campaign.id}/recipients.csv`)
    assert.equal(csv.status, 200)
    assert.match(csv.response.headers.get('content-type')!, /^text\/csv/)
    const lines = csv.body.trim().split('\r\n')
    assert.equal(
      lines[0],
      'contact_id,phone,status,skip_reason,error_code,error_title,cost_category,sent_at,delivered_at,read_at,replied_at,failed_at'
    )
    assert.lengthOf(lines, 4)
    const sentOnly = await web.get(`${w.campaigns}/${campaign.id}/recipients.csv?status=sent`)
    assert.lengthOf(sentOnly.body.trim().split('\r\n'), 3)

    // The list shows it; a test send goes to a member's phone.
    assert.include((await web.get(w.campaigns)).body, 'Tower launch')
    const tested = await web.post(`${w.campaigns}/${campaign.id}/test`, { phone: '+971509990001' })
    assert.equal(tested.status, 302)
    await waitForStats(w.context, campaign.id, () => graph.sends().length === before + 3)
    const last = graph.sends().at(-1)!
    assert.equal(last.body.to, '971509990001')
    assert.deepEqual(
      last.body.template.components[0].parameters.map((p: { text: string }) => p.text),
      ['there', 'JLT']
    )
  })

  test('Arabic: the pages are right to left and translated', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner', 'ar'))
    const list = await web.get(w.campaigns)
    assert.include(list.body, 'dir="rtl"')
    assert.include(list.body, 'الحملات')
    const editor = await web.get(`${w.campaigns}/new`)
    assert.include(editor.body, 'احفظ الحملة')
  })

  test('agents and viewers watch; only admins and owners send', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const campaign = await w.context.transaction((trx) =>
      Campaign.create(
        {
          name: 'Draft',
          channelId: w.channel.id,
          templateName: 'policy_notice',
          templateLanguage: 'en',
          variables: { 1: 'Hi' },
          audience: { labels: ['x'] },
          status: 'draft',
        },
        { client: trx }
      )
    )
    const web = await signIn(await w.member('agent'))
    assert.equal((await web.get(`${w.campaigns}/${campaign.id}`)).status, 200)
    assert.equal((await web.get(`${w.campaigns}/new`)).status, 403)
    assert.equal((await web.post(`${w.campaigns}/${campaign.id}/launch`, {})).status, 403)
  })

  test('another workspace’s campaigns are not found, by page or action', async ({
    assert,
    cleanup,
  }) => {
    const a = await workspace(cleanup, 'cmpisoa')
    const b = await workspace(cleanup, 'cmpisob')
    const theirs = await b.context.transaction((trx) =>
      Campaign.create(
        {
          name: 'B only',
          channelId: b.channel.id,
          templateName: 'policy_notice',
          templateLanguage: 'en',
          variables: { 1: 'Hi' },
          audience: { labels: ['x'] },
          status: 'draft',
        },
        { client: trx }
      )
    )
    const web: WebSession = await signIn(await a.member('owner'))
    await web.get(a.campaigns)
    for (const path of ['', '/edit', '/funnel', '/recipients.csv']) {
      assert.equal((await web.get(`${a.campaigns}/${theirs.id}${path}`)).status, 404, path)
    }
    for (const action of ['launch', 'pause', 'cancel', 'retry', 'test']) {
      assert.equal(
        (await web.post(`${a.campaigns}/${theirs.id}/${action}`, {})).status,
        404,
        action
      )
    }
    assert.notInclude((await web.get(a.campaigns)).body, 'B only')
    // B's channel cannot be used from A either.
    const stolen = await web.post(a.campaigns, form(b.channel.id))
    assert.equal(stolen.status, 422)
    // Nor can A's member open B's workspace at all.
    assert.notEqual((await web.get(`${b.campaigns}/${theirs.id}`)).status, 200)
    const [still] = await campaignsIn(b.context)
    assert.equal(still.status, 'draft')
  })
})
