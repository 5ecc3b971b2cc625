import { test } from '@japa/runner'
import { findDataset, latestImport, listDatasets, runImport } from '#modules/data_engine/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { WebSession } from '#tests/helpers/web_session'
import { signIn } from '#tests/functional/workspace/member_browser'
import { importListings, listingsCsv } from '#tests/helpers/datasets'

/** Posts a multipart form as the page at `from` would. */
async function upload(
  web: WebSession,
  from: string,
  action: string,
  fields: Record<string, string>,
  file: { name: string; content: string }
) {
  const page = await web.get(from)
  const csrf = page.body.match(/name='_csrf' value='([^']+)'/)?.[1] ?? ''
  const form = new FormData()
  form.append('_csrf', csrf)
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  form.append('file', new Blob([file.content], { type: 'text/csv' }), file.name)
  const cookie = [...web.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const response = await fetch(`${WebSession.baseUrl()}${action}`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
    headers: { cookie },
  })
  return { status: response.status, location: response.headers.get('location') }
}

async function htmxGet(web: WebSession, path: string, target: string) {
  const cookie = [...web.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const response = await fetch(`${WebSession.baseUrl()}${path}`, {
    headers: { 'cookie': cookie, 'HX-Request': 'true', 'HX-Target': target },
    redirect: 'manual',
  })
  return { status: response.status, body: await response.text(), headers: response.headers }
}

test.group('Dataset pages', () => {
  test('an owner uploads a CSV, corrects its columns, watches the import and searches with chips', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'dsp')
    const web = await signIn(await w.member('owner'))
    const datasets = `${w.base}/datasets`
    const made = await upload(
      web,
      `${datasets}/new`,
      datasets,
      { name: 'Listings' },
      {
        name: 'listings.csv',
        content: listingsCsv(300) + '\nL-x,Bad,JLT,many,AED 1,Villa,yes,2026-01-01,,\n',
      }
    )
    assert.equal(made.status, 302)
    const [draft] = (await listDatasets(w.context)).data
    assert.equal(made.location, `${datasets}/${draft.id}`)
    const columns = await web.get(`${datasets}/${draft.id}`)
    assert.include(columns.body, 'data-columns-form')
    assert.match(columns.body, /name="col\[3\]\[type\]"[\s\S]*?<option value="integer" selected>/)

    const fields: Array<[string, string]> = [['key_column', 'ref']]
    draft.columns.forEach((column, i) => {
      fields.push([`col[${i}][type]`, column.type])
      if (column.filterable) fields.push([`col[${i}][filterable]`, 'on'])
      if (column.searchable) fields.push([`col[${i}][searchable]`, 'on'])
      if (column.name !== 'photo') fields.push([`col[${i}][shown]`, 'on'])
      fields.push([
        `col[${i}][synonyms]`,
        column.name === 'bedrooms' ? 'br, bed, غرف' : column.name === 'type' ? 'Apartment=شقة' : '',
      ])
    })
    const confirmed = await web.submit(
      `${datasets}/${draft.id}`,
      `${datasets}/${draft.id}/confirm`,
      fields
    )
    assert.equal(confirmed.status, 302)
    const importing = await htmxGet(web, `${datasets}/${draft.id}`, 'dataset-progress')
    assert.include(importing.body, 'hx-trigger="every 1s"')

    const job = await latestImport(w.context, draft.id)
    await runImport(w.context, job!.id)
    const done = await htmxGet(web, `${datasets}/${draft.id}`, 'dataset-progress')
    assert.equal(done.headers.get('HX-Refresh'), 'true')
    const page = await web.get(`${datasets}/${draft.id}`)
    assert.include(page.body, 'Imported: 300 new, 0 updated, 1 with errors.')
    assert.include(page.body, 'Row 302, bedrooms:')
    assert.include(page.body, 'Rows (300)')
    assert.notInclude(page.body, 'cdn.example/listings/1.jpg')

    const search = await web.get(
      `${datasets}/${draft.id}?q=${encodeURIComponent('2br sea view JLT under 150k')}`
    )
    const chips = [
      ...search.body.matchAll(
        /<li class="dataset-chip" data-chip>\s*<span dir="auto">([^<]+)<\/span>/g
      ),
    ].map((m) => m[1])
    assert.deepEqual(chips, ['features ∋ sea view', 'JLT', 'bedrooms: 2', 'price ≤ AED 150,000'])
    const removed = await web.get(
      `${datasets}/${draft.id}?q=${encodeURIComponent('2br sea view JLT under 150k')}&without=0`
    )
    assert.notInclude(removed.body, 'features ∋ sea view')
    assert.include(removed.body, 'Restore all filters')

    const impossible = await web.get(
      `${datasets}/${draft.id}?q=${encodeURIComponent('title under 150k')}`
    )
    assert.include(impossible.body, '“under 150k” was ignored: title is not a number.')

    const browse = await web.get(
      `${datasets}/${draft.id}?col=price&op=lte&val=100000&sort=price&dir=desc`
    )
    const prices = [...browse.body.matchAll(/data-label="price">\s*AED ([\d,]+)/g)].map((m) =>
      Number(m[1].replace(/,/g, ''))
    )
    assert.isAbove(prices.length, 0)
    assert.deepEqual(
      prices,
      [...prices].sort((a, b) => b - a)
    )
    for (const price of prices) assert.isAtMost(price, 100000)
  })

  test('Arabic: the page and chips read right to left', async ({ assert, cleanup }) => {
    const w = await makeWorkspace(cleanup, 'dsar')
    const dataset = await importListings(w.context, 200)
    const owner = await w.member('owner')
    owner.locale = 'ar'
    await owner.save()
    const web = await signIn(owner)
    const page = await web.get(
      `${w.base}/datasets/${dataset.id}?q=${encodeURIComponent('شقة غرفتين في JLT أقل من 150 ألف')}`
    )
    assert.include(page.body, 'dir="rtl"')
    assert.include(page.body, 'المرشّحات المفهومة')
    assert.include(page.body, 'bedrooms: 2')
    for (const path of ['', '/new', `/${dataset.id}`, `/${dataset.id}/rows/1`]) {
      const other = await web.get(`${w.base}/datasets${path}`)
      assert.equal(other.status, 200, path)
      assert.include(other.body, 'dir="rtl"', path)
    }
  })

  test('an owner edits a row (typed again) and deletes the dataset; agents only browse and search', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'dse')
    const dataset = await importListings(w.context, 20)
    const owner = await signIn(await w.member('owner'))
    const url = `${w.base}/datasets/${dataset.id}`
    const bedrooms = dataset.columns.findIndex((c) => c.name === 'bedrooms')
    const price = dataset.columns.findIndex((c) => c.name === 'price')
    const form = await owner.get(`${url}/rows/1`)
    assert.equal(form.status, 200)
    const values: Array<[string, string]> = dataset.columns.map((_column, i) => {
      const value = form.body.match(new RegExp(`name="v${i}"[^>]*value="([^"]*)"`))?.[1] ?? ''
      return [`v${i}`, value]
    })
    const available = dataset.columns.findIndex((c) => c.name === 'available')
    values[available] = [`v${available}`, 'yes']
    values[bedrooms] = [`v${bedrooms}`, 'nine']
    const bad = await owner.submit(`${url}/rows/1`, `${url}/rows/1`, values)
    assert.equal(bad.location, `${url}/rows/1`)
    values[bedrooms] = [`v${bedrooms}`, '9']
    values[price] = [`v${price}`, 'AED 1,234,567']
    const saved = await owner.submit(`${url}/rows/1`, `${url}/rows/1`, values)
    assert.equal(saved.location, url)
    const found = await owner.get(`${url}?col=bedrooms&op=eq&val=9`)
    assert.include(found.body, 'AED 1,234,567')

    const agent = await signIn(await w.member('agent'))
    assert.equal((await agent.get(url)).status, 200)
    assert.equal((await agent.get(`${url}?q=JLT`)).status, 200)
    assert.equal((await agent.get(`${url}/rows/1`)).status, 403)
    assert.equal((await agent.post(`${url}/delete`, {})).status, 403)

    const deleted = await owner.submit(url, `${url}/delete`, {})
    assert.equal(deleted.location, `${w.base}/datasets`)
    assert.isNull(await findDataset(w.context, dataset.id))
  })

  test("another workspace's dataset is not found, by its page or its rows", async ({
    assert,
    cleanup,
  }) => {
    const a = await makeWorkspace(cleanup, 'dsa')
    const b = await makeWorkspace(cleanup, 'dsb')
    const dataset = await importListings(a.context, 10)
    const web = await signIn(await b.member('owner'))
    for (const path of [
      `${b.base}/datasets/${dataset.id}`,
      `${b.base}/datasets/${dataset.id}?q=JLT`,
      `${b.base}/datasets/${dataset.id}/rows/1`,
    ]) {
      assert.equal((await web.get(path)).status, 404, path)
    }
    assert.equal((await web.post(`${b.base}/datasets/${dataset.id}/delete`, {})).status, 404)
    const list = await web.get(`${b.base}/datasets`)
    assert.notInclude(list.body, dataset.id)
    const theirs = await web.get(`${a.base}/datasets/${dataset.id}`)
    assert.notEqual(theirs.status, 200)
    assert.isNotNull(await findDataset(a.context, dataset.id))
  })
})
