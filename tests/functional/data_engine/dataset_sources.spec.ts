import { test } from '@japa/runner'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import app from '@adonisjs/core/services/app'
import {
  browseDataset,
  confirmDraft,
  createDraftFromUrl,
  findDataset,
  latestImport,
  queueDueRefreshes,
  refreshDataset,
  runImport,
  DatasetError,
} from '#modules/data_engine/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { useWorkers } from '#tests/helpers/queue'
import { waitFor } from '#tests/helpers/whatsapp'
import { signIn } from '#tests/functional/workspace/member_browser'

/*
| Datasets read from a CSV address and read again on a schedule, against a
| local HTTP server: the first read, a refresh that updates, adds and
| removes rows, a failed refresh that keeps the rows, the outbound guard
| refusing a private address, the sweep that queues due refreshes, and the
| pages (another tenant's dataset is a 404).
*/

class SheetServer {
  csv = ''
  status = 200
  contentType = 'text/csv; charset=utf-8'
  hits = 0
  #server: Server | null = null

  get url() {
    return `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}/listings.csv`
  }

  async start() {
    this.#server = createServer((_request, response) => {
      this.hits++
      response.writeHead(this.status, { 'content-type': this.contentType })
      response.end(this.status === 200 ? this.csv : 'oops')
    })
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve))
  }

  async stop() {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()))
  }
}

const FIRST = [
  'ref,title,community,price',
  'A-1,Marina Heights 2BR,Dubai Marina,"AED 140,000"',
  'A-2,Lake Terrace 2BR,JLT,"AED 120,000"',
  'A-3,Cluster Tower 3BR,JLT,"AED 180,000"',
].join('\n')

const SECOND = [
  'ref,title,community,price',
  'A-1,Marina Heights 2BR,Dubai Marina,"AED 150,000"',
  'A-3,Cluster Tower 3BR,JLT,"AED 180,000"',
  'A-4,Palm Villa 5BR,Palm Jumeirah,"AED 900,000"',
].join('\n')

function useSheetServer(group: { setup: (fn: () => any) => void }) {
  const server = new SheetServer()
  group.setup(async () => {
    await server.start()
    const previous = app.config.get<boolean>('brain.allowPrivateUrlSources')
    // The local server is on loopback, which the guard refuses unless allowed.
    app.config.set('brain.allowPrivateUrlSources', true)
    return async () => {
      app.config.set('brain.allowPrivateUrlSources', previous)
      await server.stop()
    }
  })
  return server
}

/**
 * A dataset from the server's address, its columns confirmed and imported:
 * here, or by the queued import job when workers run (both would race).
 */
async function datasetFromUrl(
  tenant: TenantContext,
  url: string,
  refreshMinutes: unknown = 60,
  workers = false
) {
  const draft = await createDraftFromUrl(tenant, { name: 'Listings', url, refreshMinutes })
  await confirmDraft(tenant, draft.id, { keyColumn: 'ref', columns: [] })
  if (workers) {
    return waitFor(async () => {
      const dataset = await findDataset(tenant, draft.id)
      return dataset?.status === 'ready' ? dataset : null
    })
  }
  await runImport(tenant, (await latestImport(tenant, draft.id))!.id)
  return (await findDataset(tenant, draft.id))!
}

async function pricesOf(tenant: TenantContext, datasetId: string) {
  const dataset = (await findDataset(tenant, datasetId))!
  const page = await browseDataset(tenant, dataset, { filters: [], limit: 50, offset: 0 })
  return Object.fromEntries(
    page.rows.map((row: any) => [row.values.ref as string, row.values.price as number])
  )
}

test.group('Data engine: datasets read from a CSV address', (group) => {
  const server = useSheetServer(group)
  group.each.setup(() => {
    server.csv = FIRST
    server.status = 200
    server.contentType = 'text/csv; charset=utf-8'
  })

  test('read once, then refreshed: rows updated, added, and removed when the sheet drops them', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'dsu')
    const dataset = await datasetFromUrl(w.context, server.url)
    assert.equal(dataset.source?.url, server.url)
    assert.equal(dataset.source?.refreshMinutes, 60)
    assert.deepEqual(await pricesOf(w.context, dataset.id), {
      'A-1': 140000,
      'A-2': 120000,
      'A-3': 180000,
    })

    server.csv = SECOND
    const outcome = await refreshDataset(w.context, dataset.id)
    assert.deepEqual(outcome, { ok: true, inserted: 1, updated: 2, removed: 1, errors: 0 })
    assert.deepEqual(await pricesOf(w.context, dataset.id), {
      'A-1': 150000,
      'A-3': 180000,
      'A-4': 900000,
    })
    const after = (await findDataset(w.context, dataset.id))!
    assert.equal(after.rowCount, 3)
    assert.isNull(after.source!.error)
    const next = new Date(after.source!.nextRefreshAt!).getTime() - Date.now()
    assert.isAbove(next, 55 * 60_000)
    assert.isBelow(next, 61 * 60_000)
  })

  test('a refresh that fails keeps the rows and says why', async ({ assert, cleanup }) => {
    const w = await makeWorkspace(cleanup, 'dsf')
    const dataset = await datasetFromUrl(w.context, server.url)
    server.status = 500
    const outcome = await refreshDataset(w.context, dataset.id)
    assert.isFalse(outcome.ok)
    const after = (await findDataset(w.context, dataset.id))!
    assert.include(after.source!.error!, '500')
    assert.equal(after.rowCount, 3)

    server.status = 200
    server.contentType = 'text/html'
    server.csv = '<html><body>Sign in to see this sheet</body></html>'
    const html = await refreshDataset(w.context, dataset.id)
    assert.deepEqual(html, { ok: false, error: 'The address gives a web page, not a CSV file.' })
    assert.lengthOf(Object.keys(await pricesOf(w.context, dataset.id)), 3)
  })

  test('the outbound guard refuses a private or local address', async ({ assert, cleanup }) => {
    const w = await makeWorkspace(cleanup, 'dsg')
    app.config.set('brain.allowPrivateUrlSources', false)
    cleanup(() => app.config.set('brain.allowPrivateUrlSources', true))
    const hits = server.hits
    for (const url of [server.url, 'http://169.254.169.254/latest/meta-data.csv']) {
      const error = await createDraftFromUrl(w.context, { name: 'Sneaky', url }).catch((e) => e)
      assert.instanceOf(error, DatasetError)
      assert.equal(error.code, 'blocked_address')
    }
    const scheme = await createDraftFromUrl(w.context, {
      name: 'Sneaky',
      url: 'file:///etc/passwd',
    }).catch((e) => e)
    assert.equal(scheme.code, 'invalid_url')
    assert.equal(server.hits, hits, 'nothing reached the local server')
  })

  test('the dataset pages: create from an address; another tenant cannot refresh it', async ({
    assert,
    cleanup,
  }) => {
    const a = await makeWorkspace(cleanup, 'dsp')
    const b = await makeWorkspace(cleanup, 'dsq')
    const owner = await signIn(await a.member('owner'))
    const made = await owner.submit(`${a.base}/datasets/new`, `${a.base}/datasets`, {
      name: 'Listings from the sheet',
      url: server.url,
      refresh: '360',
    })
    assert.equal(made.status, 302)
    const id = made.location!.split('/').pop()!
    const draft = (await findDataset(a.context, id))!
    assert.equal(draft.status, 'draft')
    assert.equal(draft.source?.refreshMinutes, 360)

    const bad = await owner.submit(`${a.base}/datasets/new`, `${a.base}/datasets`, {
      name: 'Bad',
      url: 'not an address',
    })
    assert.equal(bad.location, `${a.base}/datasets/new`)
    const form = await owner.get(`${a.base}/datasets/new`)
    assert.include(form.body, 'Give the full address, starting with https://.')

    await confirmDraft(a.context, id, { keyColumn: 'ref', columns: [] })
    await runImport(a.context, (await latestImport(a.context, id))!.id)
    const shown = await owner.get(`${a.base}/datasets/${id}`)
    assert.include(shown.body, server.url)
    assert.include(shown.body, 'Every 6 hours')
    assert.include(shown.body, 'Read it now')

    const stranger = await signIn(await b.member('owner'))
    const refused = await stranger.submit(
      `${b.base}/datasets`,
      `${b.base}/datasets/${id}/refresh`,
      {}
    )
    assert.equal(refused.status, 404)
    const page = await stranger.get(`${b.base}/datasets/${id}`)
    assert.equal(page.status, 404)
  })
})

test.group('Data engine: the refresh sweep', (group) => {
  useWorkers(group, ['default'])
  const server = useSheetServer(group)

  test('a dataset whose refresh is due is read again by a job; one not due is left', async ({
    assert,
    cleanup,
  }) => {
    server.csv = FIRST
    const w = await makeWorkspace(cleanup, 'dss')
    const due = await datasetFromUrl(w.context, server.url, 60, true)
    const manual = await datasetFromUrl(w.context, server.url, 'never', true)
    await w.context.transaction((trx) =>
      trx.rawQuery(
        `update datasets set next_refresh_at = now() - interval '1 minute' where id = ?`,
        [due.id]
      )
    )
    server.csv = SECOND
    assert.isAtLeast(await queueDueRefreshes(), 1)
    await waitFor(async () => (await pricesOf(w.context, due.id))['A-4'] === 900000)
    assert.notProperty(await pricesOf(w.context, manual.id), 'A-4')
    // Its next read moved on an hour: the sweep does not take it again now.
    const after = (await findDataset(w.context, due.id))!
    assert.isAbove(new Date(after.source!.nextRefreshAt!).getTime(), Date.now() + 50 * 60_000)
  })
})
