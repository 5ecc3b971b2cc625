import { test } from '@japa/runner'
import { createFlow, findFlow, startSession, type FlowGraph } from '#modules/flows/index'
import { pauseSession } from '#modules/flows/services/runtime'
import { createCampaign, type CampaignInput } from '#modules/pulse/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { makeMember } from '#tests/helpers/users'
import { customer } from '#tests/helpers/whatsapp'
import { signIn } from '#tests/functional/workspace/member_browser'
import { campaignTenant } from '#tests/functional/pulse/campaign_fixtures'
import { intakeGraph, publishedFlow } from './flow_fixtures.js'

async function campaignOf(made: Awaited<ReturnType<typeof campaignTenant>>, name: string) {
  const input: CampaignInput = {
    name,
    channelId: made.channel.id,
    template: { name: 'policy_notice', language: 'en', variables: { '1': 'friend' } },
    audience: { labels: ['renewal'] },
    quiet: { start: null, end: null },
  }
  return createCampaign(made.context, input)
}

async function signedIn(
  ws: Awaited<ReturnType<typeof makeWorkspace>>,
  role: any,
  locale: 'en' | 'ar' = 'en'
) {
  const user = await ws.member(role)
  user.locale = locale
  await user.save()
  return signIn(user)
}

function withLongButton(): FlowGraph {
  const graph = intakeGraph()
  graph.nodes[0].data.buttons[2].title = 'Health and life cover'
  graph.nodes.push({ id: 'lost', type: 'end', position: { x: 0, y: 0 }, data: {} })
  return graph
}

test.group('Flow pages', () => {
  test('an admin creates a flow, imports its JSON, sees the problems per node, publishes; the list shows version and figures', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'flp')
    const admin = await signedIn(ws, 'admin')

    const empty = await admin.submit(`${ws.base}/flows`, `${ws.base}/flows`, { name: '' })
    assert.equal(empty.status, 422)
    assert.include(empty.body, 'data-error="name"')

    const created = await admin.submit(`${ws.base}/flows`, `${ws.base}/flows`, { name: 'Intake' })
    assert.equal(created.status, 302)
    const path = created.location!
    const id = path.split('/').pop()!

    // Not JSON at all: refused, the draft untouched.
    const bad = await admin.submit(path, `${path}/import`, { graph: '{"nodes": [' })
    assert.equal(bad.status, 422)
    assert.include(bad.body, 'data-problem="invalid_json"')

    // A graph with problems: imported as the draft, its problems shown per node.
    const flawed = await admin.submit(path, `${path}/import`, {
      graph: JSON.stringify(withLongButton()),
    })
    assert.equal(flawed.status, 200)
    assert.include(flawed.body, 'data-problem="button_title_too_long" data-problem-node="welcome"')
    assert.include(flawed.body, 'data-problem="unreachable" data-problem-node="lost"')

    const refused = await admin.submit(path, `${path}/publish`, {})
    assert.equal(refused.status, 422)
    assert.include(refused.body, 'data-problem="button_title_too_long"')
    assert.isNull((await findFlow(ws.context, id))!.publishedVersionId)

    const fixed = await admin.submit(path, `${path}/import`, {
      graph: JSON.stringify(intakeGraph()),
    })
    assert.equal(fixed.status, 302)
    const published = await admin.submit(path, `${path}/publish`, {})
    assert.equal(published.status, 302)
    const page = await admin.get(path)
    assert.include(page.body, 'data-version="1"')
    assert.include(page.body, 'data-node="welcome"')

    const exported = await admin.get(`${path}/export?version=published`)
    assert.equal(exported.status, 200)
    assert.deepEqual(JSON.parse(exported.body), intakeGraph())

    const saved = await admin.submit(path, path, {
      name: 'Intake',
      keywords: 'insurance, quote',
      payloads: '',
      expiry_hours: '0',
      expiry_message: '',
      fallback: 'handoff',
    })
    assert.equal(saved.status, 422)
    assert.include(saved.body, 'data-error="expiry_hours"')

    const list = await admin.get(`${ws.base}/flows`)
    assert.include(list.body, `data-flow="${id}"`)
    assert.match(list.body, /data-status="published"/)
    assert.match(list.body, /data-version>1</)
  })

  test('in Arabic, and a viewer sees but cannot change', async ({ assert, cleanup }) => {
    const ws = await makeWorkspace(cleanup, 'flp')
    const flow = await publishedFlow(ws.context)
    const viewer = await signedIn(ws, 'viewer', 'ar')
    const list = await viewer.get(`${ws.base}/flows`)
    assert.equal(list.status, 200)
    assert.include(list.body, 'المسارات الموجّهة')
    assert.notInclude(list.body, 'data-new-flow')
    const page = await viewer.get(`${ws.base}/flows/${flow.id}`)
    assert.equal(page.status, 200)
    assert.include(page.body, 'النسخة المنشورة')
    assert.notInclude(page.body, 'data-publish-form')
    const denied = await viewer.post(`${ws.base}/flows/${flow.id}/publish`, {})
    assert.equal(denied.status, 403)
  })

  test('the page counts paused sessions and sets the campaign-reply and ad triggers; another workspace’s campaign is refused', async ({
    assert,
    cleanup,
  }) => {
    const mine = await campaignTenant(cleanup as any, {}, 'flt')
    const theirs = await campaignTenant(cleanup as any, {}, 'flu')
    const renewals = await campaignOf(mine, 'Spring renewals')
    const foreign = await campaignOf(theirs, 'Their offer')
    const flow = await publishedFlow(mine.context)
    const person = await customer(mine.context, mine.channel)
    const session = await startSession(mine.context, (await findFlow(mine.context, flow.id))!, {
      conversationId: person.conversationId,
      contactId: person.contactId,
      source: 'api',
    })
    await pauseSession(mine.context, session!.id, 'person_took_over', session!.startedAt)
    const user = await makeMember(mine.tenant.id, 'admin')
    cleanup(() => user.delete())
    user.locale = 'ar'
    await user.save()
    const admin = await signIn(user)
    const path = `/t/${mine.tenant.slug}/flows/${flow.id}`

    const page = await admin.get(path)
    assert.match(page.body, /data-paused>(1|١)</)
    assert.include(page.body, 'متوقف مؤقتاً')
    assert.include(page.body, 'Spring renewals')
    assert.notInclude(page.body, 'Their offer')

    const form = {
      name: 'Intake',
      keywords: 'insurance',
      payloads: '',
      expiry_hours: '24',
      expiry_message: '',
      fallback: 'handoff',
    }
    const refused = await admin.submit(path, path, {
      ...form,
      campaign: foreign.id,
      referrals: '120208',
    })
    assert.equal(refused.status, 422)
    assert.include(refused.body, 'data-error="campaign"')
    assert.deepEqual((await findFlow(mine.context, flow.id))!.triggers.campaign_ids, [])

    const saved = await admin.submit(path, path, {
      ...form,
      campaign: renewals.id,
      referrals: '120208, *',
    })
    assert.equal(saved.status, 302)
    let triggers = (await findFlow(mine.context, flow.id))!.triggers
    assert.deepEqual(triggers.campaign_ids, [renewals.id])
    assert.deepEqual(triggers.referrals, ['120208', '*'])
    const any = await admin.submit(path, path, { ...form, campaign: '*', referrals: '' })
    assert.equal(any.status, 302)
    triggers = (await findFlow(mine.context, flow.id))!.triggers
    assert.deepEqual(triggers.campaign_ids, ['*'])
    assert.deepEqual(triggers.referrals, [])
  })

  test('another workspace cannot see or change a flow: 404', async ({ assert, cleanup }) => {
    const mine = await makeWorkspace(cleanup, 'flp')
    const theirs = await makeWorkspace(cleanup, 'flq')
    const flow = await createFlow(mine.context, { name: 'Private' }, null)
    const intruder = await signedIn(theirs, 'owner')
    await intruder.get(`${theirs.base}/flows`)
    for (const suffix of ['', '/export']) {
      const response = await intruder.get(`${theirs.base}/flows/${flow.id}${suffix}`)
      assert.equal(response.status, 404, suffix)
    }
    for (const suffix of ['', '/import', '/publish']) {
      const response = await intruder.post(`${theirs.base}/flows/${flow.id}${suffix}`, {
        name: 'Mine now',
        graph: JSON.stringify(intakeGraph()),
      })
      assert.equal(response.status, 404, suffix)
    }
    const list = await intruder.get(`${theirs.base}/flows`)
    assert.notInclude(list.body, flow.id)
    const untouched = await findFlow(mine.context, flow.id)
    assert.equal(untouched!.name, 'Private')
    assert.lengthOf(untouched!.graph.nodes, 0)
  })
})
