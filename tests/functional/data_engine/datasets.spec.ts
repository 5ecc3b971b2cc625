import { test } from '@japa/runner'
import ExcelJS from 'exceljs'
import {
  browseDataset,
  confirmDraft,
  createDataset,
  createDraftFromFile,
  deleteDataset,
  findDataset,
  latestImport,
  runImport,
  writeRows,
} from '#modules/data_engine/index'
import { makeTenant } from '#tests/helpers/tenants'
import { listingsCsv } from '#tests/helpers/datasets'

test.group('Datasets', () => {
  test('a CSV upload is guessed, confirmed, imported with typed values and a per-row error report', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('ds')
    cleanup(drop)
    const csv = listingsCsv(30) + '\nL-bad,Broken,JLT,two,AED 90000,Apartment,yes,2026-01-01,,\n'
    const draft = await createDraftFromFile(context, {
      name: 'Listings',
      file: { bytes: Buffer.from(csv), filename: 'listings.csv' },
    })
    assert.equal(draft.status, 'draft')
    const types = Object.fromEntries(draft.columns.map((c) => [c.name, c.type]))
    assert.deepInclude(types, {
      ref: 'text',
      bedrooms: 'integer',
      price: 'money',
      community: 'choice',
      available: 'boolean',
      listed_on: 'date',
      photo: 'image_url',
    })
    const ready = await confirmDraft(context, draft.id, {
      keyColumn: 'ref',
      columns: [{ name: 'bedrooms', synonyms: 'br, bed, غرف' }],
    })
    assert.equal(ready.status, 'importing')
    const job = await latestImport(context, draft.id)
    await runImport(context, job!.id)
    const done = await latestImport(context, draft.id)
    assert.equal(done!.status, 'done')
    assert.equal(done!.inserted, 30)
    assert.equal(done!.errorCount, 1)
    assert.deepEqual(done!.errors[0], {
      row: 32,
      column: 'bedrooms',
      message: '“two” is not a whole number',
    })
    const dataset = (await findDataset(context, draft.id))!
    assert.equal(dataset.status, 'ready')
    assert.equal(dataset.rowCount, 30)
    assert.deepEqual(dataset.columns.find((c) => c.name === 'bedrooms')!.synonyms, [
      'br',
      'bed',
      'غرف',
    ])
    assert.includeMembers(dataset.columns.find((c) => c.name === 'community')!.choices, ['JLT'])

    // Filters compare typed values: 90,000 < 150,000 as numbers, not as text.
    const page = await browseDataset(context, dataset, {
      filters: [
        { column: 'price', op: 'lte', value: 150000 },
        { column: 'bedrooms', op: 'eq', value: 2 },
      ],
      sort: { column: 'price', direction: 'asc' },
      limit: 50,
      offset: 0,
    })
    assert.isAbove(page.total, 0)
    for (const row of page.rows) {
      assert.isAtMost(row.values.price as number, 150000)
      assert.equal(row.values.bedrooms, 2)
    }
    const prices = page.rows.map((row) => row.values.price as number)
    assert.deepEqual(
      prices,
      [...prices].sort((a, b) => a - b)
    )
  })

  test('rows by API are upserted by the key column and bad rows are reported by index', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('ds')
    cleanup(drop)
    const dataset = await createDataset(context, {
      name: 'Products',
      keyColumn: 'sku',
      columns: [
        { name: 'sku', type: 'text' },
        { name: 'name', type: 'text' },
        { name: 'price', type: 'money', currency: 'AED' },
        { name: 'in_stock', type: 'boolean' },
      ],
    })
    const first = await writeRows(context, dataset, [
      { sku: 'A1', name: 'Blue kettle', price: 99, in_stock: true },
      { sku: 'A2', name: 'Red toaster', price: '149.50', in_stock: 'no' },
      { sku: 'A3', name: 'Broken', price: 'cheap' },
    ])
    assert.deepEqual(first, {
      inserted: 2,
      updated: 0,
      errors: [{ row: 2, column: 'price', message: '“cheap” is not an amount' }],
    })
    const second = await writeRows(context, dataset, [
      { sku: 'A1', name: 'Blue kettle', price: 89, in_stock: true },
      { sku: 'A4', name: 'Green mug', price: 15, in_stock: true },
    ])
    assert.deepInclude(second, { inserted: 1, updated: 1 })
    const page = await browseDataset(context, (await findDataset(context, dataset.id))!, {
      filters: [{ column: 'in_stock', op: 'eq', value: true }],
      sort: { column: 'price', direction: 'desc' },
      limit: 10,
      offset: 0,
    })
    assert.deepEqual(
      page.rows.map((row) => [row.values.sku, row.values.price]),
      [
        ['A1', 89],
        ['A4', 15],
      ]
    )
    assert.isTrue(await deleteDataset(context, dataset.id))
    assert.isNull(await findDataset(context, dataset.id))
  })

  test('an XLSX upload reads its first sheet: dates, numbers and formulas as values', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('ds')
    cleanup(drop)
    const workbook = new ExcelJS.Workbook()
    const sheet = workbook.addWorksheet('Products')
    sheet.addRow(['sku', 'name', 'price', 'launched', 'stock'])
    for (let i = 1; i <= 40; i++) {
      sheet.addRow([
        `S-${i}`,
        `Item ${i}`,
        10 * i,
        new Date(Date.UTC(2026, 0, i % 28 || 1)),
        i % 3 === 0,
      ])
    }
    sheet.getCell('C42').value = { formula: 'C2*2', result: 20 }
    sheet.getCell('A42').value = 'S-41'
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer())
    const draft = await createDraftFromFile(context, {
      name: 'Products',
      file: { bytes, filename: 'products.xlsx' },
    })
    assert.deepEqual(
      draft.columns.map((c) => [c.name, c.type]),
      [
        ['sku', 'text'],
        ['name', 'text'],
        ['price', 'money'],
        ['launched', 'date'],
        ['stock', 'boolean'],
      ]
    )
    await confirmDraft(context, draft.id, { keyColumn: 'sku', columns: [] })
    await runImport(context, (await latestImport(context, draft.id))!.id)
    const done = (await latestImport(context, draft.id))!
    assert.include(done, { status: 'done', inserted: 41, errorCount: 0 })
    const dataset = (await findDataset(context, draft.id))!
    const page = await browseDataset(context, dataset, {
      filters: [{ column: 'launched', op: 'gte', value: '2026-01-20' }],
      limit: 100,
      offset: 0,
    })
    assert.isAbove(page.total, 0)
    for (const row of page.rows) assert.isTrue(String(row.values.launched) >= '2026-01-20')
  })
})
