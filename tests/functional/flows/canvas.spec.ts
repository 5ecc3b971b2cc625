import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { fixClock } from '#app/clock'
import {
  createBookingService,
  createFlow,
  findFlow,
  flowStats,
  importGraph,
  type FlowGraph,
} from '#modules/flows/index'
import { galleryFlow } from '#modules/flows/services/gallery'
import { snapshotDraft } from '#modules/flows/services/flow_service'
import { makeWorkspace } from '#tests/helpers/tenants'
import { signIn } from '#tests/functional/workspace/member_browser'
import { flowMessages, intakeGraph, runAt, sessionsOf } from './flow_fixtures.js'

/*
| The builder's server side: the canvas saves the draft as JSON and gets
| the problems per node back; the gallery installs ready flows as drafts;
| "Try it" runs the draft (not the published version) on the member's own
| sandbox phone.
*/

async function signedIn(
  ws: Awaited<ReturnType<typeof makeWorkspace>>,
  role: any,
  locale: 'en' | 'ar' = 'en'
) {
  const user = await ws.member(role)
  user.locale = locale
  await user.save()
  return { web: await signIn(user), user }
}

function flawed(): FlowGraph {
  const graph = intakeGraph()
  graph.nodes[0].data.buttons[2].title = 'Health and life cover'
  graph.nodes.push({ id: 'lost', type: 'end', position: { x: 0, y: 0 }, data: {} })
  graph.edges = graph.edges.filter((e) => !(e.from === 'check' && e.port === 'false'))
  return graph
}

test.group('Flow canvas', () => {
  test('the canvas saves the draft (positions too) and gets the problems per node back', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'fcv')
    const { web } = await signedIn(ws, 'admin')
    const flow = await createFlow(ws.context, { name: 'Intake' }, null)
    const page = await web.get(`${ws.base}/flows/${flow.id}`)
    assert.include(page.body, 'x-data="flowCanvas"')
    assert.include(page.body, 'data-canvas-data')
    assert.include(page.body, '/assets/flows.css')

    const graph = intakeGraph()
    graph.nodes[1].position = { x: 340, y: 95 }
    const saved = await web.postJson(`${ws.base}/flows/${flow.id}/graph`, { graph })
    assert.equal(saved.status, 200)
    assert.deepEqual(saved.json.problems, [])
    assert.deepEqual((await findFlow(ws.context, flow.id))!.graph, graph)

    // Empty texts stay texts (the body parser would make them null): a
    // parameter not filled in yet is "missing", not "not a text".
    const blank = intakeGraph()
    blank.nodes[0].data.text = ''
    const emptied = await web.postJson(`${ws.base}/flows/${flow.id}/graph`, { graph: blank })
    assert.equal(emptied.status, 200)
    assert.strictEqual((await findFlow(ws.context, flow.id))!.graph.nodes[0].data.text, '')
    assert.include(
      emptied.json.problems.map((p: any) => p.code),
      'text_missing'
    )

    const bad = await web.postJson(`${ws.base}/flows/${flow.id}/graph`, { graph: flawed() })
    assert.equal(bad.status, 200, 'a graph with problems is still saved as the draft')
    const byNode = (code: string) =>
      bad.json.problems
        .filter((p: any) => p.code === code)
        .map((p: any) => p.node)
        .sort()
    assert.deepEqual(byNode('button_title_too_long'), ['welcome'])
    assert.deepEqual(byNode('unreachable'), ['lost', 'young'])
    assert.deepEqual(byNode('port_without_target'), ['check'])
    assert.isString(bad.json.problems[0].text)
    assert.lengthOf((await findFlow(ws.context, flow.id))!.graph.nodes, 7)

    // The page lists the saved draft without JavaScript too: nodes, branches, problems.
    const listed = await web.get(`${ws.base}/flows/${flow.id}`)
    assert.include(listed.body, 'data-outline-node="lost"')
    assert.include(listed.body, 'data-problem="unreachable" data-problem-node="lost"')

    const notAGraph = await web.postJson(`${ws.base}/flows/${flow.id}/graph`, {
      graph: { nodes: [{ id: 'bad id!', type: 'message' }], edges: [] },
    })
    assert.equal(notAGraph.status, 422)
    assert.equal(notAGraph.json.code, 'invalid_graph')
    assert.equal(notAGraph.json.problems[0].code, 'invalid_id')
    assert.lengthOf((await findFlow(ws.context, flow.id))!.graph.nodes, 7, 'untouched')

    // Publishing refuses the flawed draft with the same problems.
    const refused = await web.submit(
      `${ws.base}/flows/${flow.id}`,
      `${ws.base}/flows/${flow.id}/publish`,
      {}
    )
    assert.equal(refused.status, 422)
    assert.include(refused.body, 'data-problem="button_title_too_long" data-problem-node="welcome"')
  })

  test('Arabic problems; a viewer cannot save; another workspace cannot see, save or try: 404', async ({
    assert,
    cleanup,
  }) => {
    const mine = await makeWorkspace(cleanup, 'fcv')
    const theirs = await makeWorkspace(cleanup, 'fcw')
    const flow = await createFlow(mine.context, { name: 'Private' }, null)

    const { web: admin } = await signedIn(mine, 'admin', 'ar')
    await admin.get(`${mine.base}/flows/${flow.id}`)
    const saved = await admin.postJson(`${mine.base}/flows/${flow.id}/graph`, { graph: flawed() })
    const unreachable = saved.json.problems.find((p: any) => p.code === 'unreachable')
    assert.match(unreachable.text, /[\u0600-\u06FF]/)

    const { web: viewer } = await signedIn(mine, 'viewer')
    const page = await viewer.get(`${mine.base}/flows/${flow.id}`)
    assert.notInclude(page.body, 'data-canvas-data')
    assert.include(page.body, 'data-outline-node="welcome"')
    const denied = await viewer.postJson(`${mine.base}/flows/${flow.id}/graph`, {
      graph: intakeGraph(),
    })
    assert.equal(denied.status, 403)

    // The canvas's pickers list the workspace's own things only.
    const service = (name: string) => ({
      name,
      durationMinutes: 30,
      bufferMinutes: 0,
      priceText: '',
      active: true,
      memberIds: [],
    })
    await createBookingService(mine.context, service('Our coaching hour'), [])
    await createBookingService(theirs.context, service('Their secret service'), [])
    const ownFlow = await createFlow(theirs.context, { name: 'Theirs' }, null)
    const { web: intruder } = await signedIn(theirs, 'owner')
    const ownPage = await intruder.get(`${theirs.base}/flows/${ownFlow.id}`)
    assert.include(ownPage.body, 'Their secret service')
    assert.notInclude(ownPage.body, 'Our coaching hour')
    const minePage = await admin.get(`${mine.base}/flows/${flow.id}`)
    assert.include(minePage.body, 'Our coaching hour')
    assert.notInclude(minePage.body, 'Their secret service')
    await intruder.get(`${theirs.base}/flows`)
    assert.equal((await intruder.get(`${theirs.base}/flows/${flow.id}`)).status, 404)
    const api = await intruder.postJson(`${theirs.base}/flows/${flow.id}/graph`, {
      graph: intakeGraph(),
    })
    assert.equal(api.status, 404)
    const tried = await intruder.post(`${theirs.base}/flows/${flow.id}/try`, {})
    assert.equal(tried.status, 404)
    const untouched = await findFlow(mine.context, flow.id)
    assert.deepEqual(untouched!.graph, flawed())
    assert.lengthOf(await sessionsOf(mine.context, flow.id), 0)
  })
})

test.group('Flow gallery', () => {
  test('installing copies a ready flow into a new draft; ids of workspace things are left to pick', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'fgl')
    const { web } = await signedIn(ws, 'admin', 'ar')
    const list = await web.get(`${ws.base}/flows`)
    assert.include(list.body, 'data-gallery-flow="insurance_intake"')
    assert.include(list.body, 'تسجيل عميل جديد (تأمين)')

    for (const [key, language] of [
      ['insurance_intake', 'ar'],
      ['viewing_request', 'en'],
      ['coaching_booking', 'en'],
    ] as const) {
      const installed = await web.submit(`${ws.base}/flows`, `${ws.base}/flows/gallery/${key}`, {
        language,
      })
      assert.equal(installed.status, 302, key)
      const id = installed.location!.split('/').pop()!
      const flow = (await findFlow(ws.context, id))!
      const ready = galleryFlow(key, language)!
      assert.equal(flow.status, 'draft')
      assert.equal(flow.name, ready.name)
      assert.deepEqual(flow.graph, ready.graph)
      const page = await web.get(installed.location!)
      if (key === 'insurance_intake') {
        assert.include(page.body, 'ما اسمك الكامل؟')
        assert.notInclude(page.body, 'data-problem=', 'the intake is ready to publish')
        const published = await web.submit(installed.location!, `${installed.location}/publish`, {})
        assert.equal(published.status, 302)
      }
      if (key === 'viewing_request') {
        assert.include(page.body, 'data-problem="source_id_missing" data-problem-node="listings"')
      }
      if (key === 'coaching_booking') {
        assert.include(
          page.body,
          'data-problem="service_id_missing" data-problem-node="book_session"'
        )
      }
    }
    const unknown = await web.submit(`${ws.base}/flows`, `${ws.base}/flows/gallery/nothing`, {})
    assert.equal(unknown.status, 404)

    const { web: viewer } = await signedIn(ws, 'viewer')
    const page = await viewer.get(`${ws.base}/flows`)
    assert.notInclude(page.body, 'data-gallery-flow')
    const denied = await viewer.post(`${ws.base}/flows/gallery/insurance_intake`, {})
    assert.equal(denied.status, 403)
  })
})

test.group('Flow "Try it"', () => {
  test("runs the draft, not the published version, on the member's own sandbox phone", async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'ftr')
    const { web } = await signedIn(ws, 'owner')
    const flow = await createFlow(ws.context, { name: 'Intake' }, null)
    const path = `${ws.base}/flows/${flow.id}`
    await web.postJson(path + '/graph', { graph: intakeGraph('Published hello') })
    await web.get(path)
    await web.postJson(path + '/graph', { graph: intakeGraph() })
    assert.equal((await web.submit(path, `${path}/publish`, {})).status, 302)
    await web.get(path)
    await web.postJson(path + '/graph', { graph: intakeGraph('Draft hello {{contact.name}}') })

    const tried = await web.submit(path, `${path}/try`, {})
    assert.equal(tried.status, 302)
    assert.match(tried.location!, new RegExp(`^${ws.base}/sandbox\\?phone=%2B1555`))

    const [session] = await sessionsOf(ws.context, flow.id)
    assert.equal(session.source, 'try')
    assert.equal(session.status, 'active')
    const version = await db.rawQuery(
      `select * from ${ws.context.table('flow_versions')} where id = ?`,
      [session.version_id]
    )
    assert.isTrue(version.rows[0].draft)
    assert.equal(version.rows[0].graph.nodes[0].data.text, 'Draft hello {{contact.name}}')
    const flowNow = (await findFlow(ws.context, flow.id))!
    assert.equal(flowNow.version, 1, 'the published version is untouched')
    assert.notEqual(flowNow.publishedVersionId, session.version_id)

    await runAt(ws.context, DateTime.now())
    const sent = await flowMessages(ws.context, session.conversation_id)
    assert.lengthOf(sent, 1)
    assert.match(sent[0].body, /^Draft hello /)

    // The phone opens on that conversation, the draft's message in it.
    const phone = await web.get(tried.location!)
    assert.equal(phone.status, 200)
    assert.include(phone.body, 'Draft hello')

    // Trying again stops the running trial and starts afresh; trials are not in the figures.
    const again = await web.submit(path, `${path}/try`, {})
    assert.equal(again.status, 302)
    const sessions = await sessionsOf(ws.context, flow.id)
    assert.deepEqual(
      sessions.map((s) => [s.status, s.source]),
      [
        ['stopped', 'try'],
        ['active', 'try'],
      ]
    )
    const stats = (await flowStats(ws.context, [flow.id])).get(flow.id)!
    assert.equal(stats.starts, 0)
    // A second publish still numbers after the published versions, not the draft snapshots.
    assert.equal((await web.submit(path, `${path}/publish`, {})).status, 302)
    assert.equal((await findFlow(ws.context, flow.id))!.version, 2)
  })
})

test.group('Flow "Try it": draft snapshots', () => {
  test('trying an unchanged draft again reuses its snapshot; older snapshots no session runs on are deleted, never one a session runs on or a published version', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'fsn')
    const { web } = await signedIn(ws, 'owner')
    const flow = await createFlow(ws.context, { name: 'Intake' }, null)
    const path = `${ws.base}/flows/${flow.id}`
    await web.postJson(path + '/graph', { graph: intakeGraph('Version one') })
    assert.equal((await web.submit(path, `${path}/publish`, {})).status, 302)
    const published = (await findFlow(ws.context, flow.id))!.publishedVersionId!
    const versions = async () =>
      (
        await db.rawQuery(
          `select id, draft, graph->'nodes'->0->'data'->>'text' as text
             from ${ws.context.table('flow_versions')} where flow_id = ? order by published_at, id`,
          [flow.id]
        )
      ).rows as Array<{ id: string; draft: boolean; text: string }>

    // Three tries of one draft: one snapshot, both trials on it.
    await web.postJson(path + '/graph', { graph: intakeGraph('Draft two') })
    for (let i = 0; i < 3; i++)
      assert.equal((await web.submit(path, `${path}/try`, {})).status, 302)
    let rows = await versions()
    assert.deepEqual(
      rows.map((r) => [r.draft, r.text]),
      [
        [false, 'Version one'],
        [true, 'Draft two'],
      ]
    )
    const trials = await sessionsOf(ws.context, flow.id)
    assert.lengthOf(trials, 3)
    assert.isTrue(trials.every((s) => s.version_id === rows[1].id))

    // Snapshots nobody ran (a trial that never started) go once a minute old.
    const t0 = DateTime.now()
    const snapshotAt = async (at: DateTime, text: string) => {
      await importGraph(ws.context, flow.id, intakeGraph(text))
      const release = fixClock(at.toISO()!)
      try {
        return (await snapshotDraft(ws.context, flow.id, null)).versionId
      } finally {
        release()
      }
    }
    const three = await snapshotAt(t0.plus({ minutes: 5 }), 'Draft three')
    const four = await snapshotAt(t0.plus({ minutes: 5, seconds: 10 }), 'Draft four')
    rows = await versions()
    assert.includeMembers(
      rows.map((r) => r.id),
      [three, four],
      'a snapshot seconds old is kept (its trial may be starting)'
    )
    const five = await snapshotAt(t0.plus({ minutes: 7 }), 'Draft five')
    rows = await versions()
    assert.deepEqual(
      rows.map((r) => r.id),
      [published, trials[0].version_id, five],
      'the unused snapshots went; the one the trials ran on and the published version stay'
    )
    // The same graph as an earlier snapshot reuses it.
    assert.equal(await snapshotAt(t0.plus({ minutes: 8 }), 'Draft five'), five)
    assert.lengthOf(await versions(), 3)
    // Published versions still number on.
    assert.equal((await web.submit(path, `${path}/publish`, {})).status, 302)
    assert.equal((await findFlow(ws.context, flow.id))!.version, 2)
    assert.lengthOf(await sessionsOf(ws.context, flow.id), 3, 'no session was deleted')
  })
})
