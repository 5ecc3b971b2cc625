/*
| npm run eval:data
|
| Measures the data engine's offline natural-language search on the
| evaluation set in tests/fixtures/data_engine/queries.json: 113 questions
| (a third in Arabic) over two generated datasets imported through the real
| path — 5,000 Dubai property listings and a 2,000-product electronics
| catalogue (tests/helpers/datasets.ts), with the synonyms a business would
| give their columns. Each question states the filters it means. Printed,
| overall, per dataset and per language:
|
|   filter-parse accuracy  questions whose parsed filters are exactly the
|                          expected ones (any order)
|   recall@10              over questions with matching rows, the share of
|                          the top 10 (or of all matches, when fewer) that
|                          satisfy the expected filters
|
| Held-out questions are reported apart. The first 15 (heldout: true) were
| written after the parser's first tuning; their misses were then looked at
| and their general causes fixed (an "or" list of numbers, "4+ bedroom"), so
| they are no longer unseen. The next 21 (heldout: "data19b") were written
| and committed before the second round of fixes; one of their misses (an
| Arabic "one" after its noun) was seen and fixed, so they count as seen too.
| The last 10 (heldout: "data19b-3") were written after every fix and never
| tuned on: the honest held-out figure. The
| misses follow (EVAL_VERBOSE=1 lists every question). A measurement,
| not a test: it exits 0 whatever the numbers. The embedded database by
| default (tmp/eval-data-db, recreated) or the server at DATABASE_URL (a
| tenant created for the run and dropped after).
*/
import 'reflect-metadata'
import { readFileSync, rmSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { Ignitor } from '@adonisjs/core'

const APP_ROOT = new URL('../../', import.meta.url)
const EMBEDDED_DIR = 'tmp/eval-data-db'
const LISTINGS = Number(process.env.EVAL_LISTINGS ?? 5000)
const PRODUCTS = Number(process.env.EVAL_PRODUCTS ?? 2000)

const embedded = !process.env.DATABASE_URL
if (embedded) process.env.EMBEDDED_DB_DIR = process.env.EMBEDDED_DB_DIR ?? EMBEDDED_DIR
process.env.QUEUE_PREFIX = process.env.EVAL_QUEUE_PREFIX ?? 'flomastr-eval-data'
process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'warn'
process.env.NODE_ENV = process.env.NODE_ENV ?? 'development'
const embeddedDir = fileURLToPath(new URL(process.env.EMBEDDED_DB_DIR ?? EMBEDDED_DIR, APP_ROOT))
if (embedded) rmSync(embeddedDir, { recursive: true, force: true })

interface Question {
  dataset: 'listings' | 'products'
  lang: 'en' | 'ar'
  query: string
  filters: Array<{ column: string; op: string; value: any }>
  /** Written after a round of tuning: true for the first set, "data19b" for the second. */
  heldout?: boolean | string
}

process.exitCode = await main()

async function main() {
  const ignitor = new Ignitor(APP_ROOT, {
    importer: (path) => import(path.startsWith('.') ? new URL(path, APP_ROOT).href : path),
  })
  const app = ignitor.createApp('console')
  await app.init()
  await app.boot()
  await app.start(async () => {})
  let cleanup: () => Promise<void> = async () => {}
  try {
    const { MigrationRunner } = await import('@adonisjs/lucid/migration')
    const { default: db } = await import('@adonisjs/lucid/services/db')
    const runner = new MigrationRunner(db, app, { direction: 'up' })
    await runner.run()
    if (runner.error) throw runner.error
    app.config.set('ai', {
      ...app.config.get<Record<string, unknown>>('ai'),
      baseUrl: null,
      chatModel: null,
      embedModel: null,
    })
    const tenancy = await import('#modules/tenancy/index')
    const data = await import('#modules/data_engine/index')
    const helpers = await import('#tests/helpers/datasets')
    const slug = `eval-data-${randomBytes(3).toString('hex')}`
    const tenant = await tenancy.provisionTenant(
      { slug, name: 'Data evaluation' },
      tenancy.systemActor
    )
    cleanup = async () => {
      await tenancy.softDeleteTenant(tenant, tenancy.systemActor)
      await tenancy.hardDeleteTenant(tenant, tenancy.systemActor)
    }
    const context = tenancy.contextFor(tenant)
    const started = performance.now()
    const listings = await helpers.importCsv(
      context,
      'Listings',
      helpers.listingsCsv(LISTINGS),
      'ref',
      helpers.LISTING_SETTINGS
    )
    const products = await helpers.importCsv(
      context,
      'Products',
      helpers.productsCsv(PRODUCTS),
      'sku',
      helpers.PRODUCT_SETTINGS
    )
    const rows = {
      listings: Array.from({ length: LISTINGS }, (_, i) => helpers.listing(i) as any),
      products: Array.from({ length: PRODUCTS }, (_, i) => helpers.product(i) as any),
    }
    const keyOf = { listings: 'ref', products: 'sku' }
    console.log(
      `eval:data — ${embedded ? 'embedded PGlite' : 'PostgreSQL at DATABASE_URL'}; ` +
        `${LISTINGS.toLocaleString('en')} listings and ${PRODUCTS.toLocaleString('en')} products imported in ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s\n`
    )

    const questions: Question[] = JSON.parse(
      readFileSync(new URL('tests/fixtures/data_engine/queries.json', APP_ROOT), 'utf8')
    )
    const outcomes: Array<{
      q: Question
      parsedOk: boolean
      recall: number | null
      got: unknown
      dropped: unknown
    }> = []
    for (const q of questions) {
      const dataset = q.dataset === 'listings' ? listings : products
      const result = await data.searchDataset(context, dataset, q.query, { k: 10 })
      const parsedOk = sameFilters(result.parsedFilters, q.filters)
      const relevant = new Set(
        rows[q.dataset]
          .filter((row) => q.filters.every((filter) => matches(row, filter)))
          .map((row) => row[keyOf[q.dataset]])
      )
      let recall: number | null = null
      if (relevant.size) {
        const hits = result.results.filter((hit) => relevant.has(hit.row.values[keyOf[q.dataset]]))
        recall = hits.length / Math.min(10, relevant.size)
      }
      outcomes.push({ q, parsedOk, recall, got: result.parsedFilters, dropped: result.dropped })
    }

    const report = (label: string, list: typeof outcomes) => {
      const parsed = list.filter((o) => o.parsedOk).length / list.length
      const withRows = list.filter((o) => o.recall !== null)
      const recall = withRows.reduce((sum, o) => sum + o.recall!, 0) / Math.max(withRows.length, 1)
      console.log(
        `${label.padEnd(12)} ${String(list.length).padStart(3)} questions   filter-parse accuracy ${parsed.toFixed(3)}   ` +
          `recall@10 ${recall.toFixed(3)} (${withRows.length} with matching rows)`
      )
    }
    report('overall', outcomes)
    report(
      'listings',
      outcomes.filter((o) => o.q.dataset === 'listings')
    )
    report(
      'products',
      outcomes.filter((o) => o.q.dataset === 'products')
    )
    report(
      'english',
      outcomes.filter((o) => o.q.lang === 'en')
    )
    report(
      'arabic',
      outcomes.filter((o) => o.q.lang === 'ar')
    )
    report(
      'tuning',
      outcomes.filter((o) => !o.q.heldout)
    )
    report(
      'held-out 1',
      outcomes.filter((o) => o.q.heldout === true)
    )
    report(
      'held-out 2',
      outcomes.filter((o) => o.q.heldout === 'data19b')
    )
    report(
      'held-out 3',
      outcomes.filter((o) => o.q.heldout === 'data19b-3')
    )
    const shown = process.env.EVAL_VERBOSE
      ? outcomes
      : outcomes.filter((o) => !o.parsedOk || (o.recall !== null && o.recall < 1))
    if (shown.length) console.log(process.env.EVAL_VERBOSE ? '\nall questions:' : '\nmisses:')
    for (const o of shown) {
      console.log(
        `  [${o.q.dataset}/${o.q.lang}] ${o.q.query}\n    parsed ${o.parsedOk ? 'ok' : 'WRONG'}: ${JSON.stringify(o.got)}` +
          `${o.parsedOk ? '' : `\n    expected: ${JSON.stringify(o.q.filters)}`}` +
          `\n    recall@10 ${o.recall === null ? 'n/a (no matching rows)' : o.recall.toFixed(2)}`
      )
    }
    return 0
  } catch (error) {
    console.error(error)
    return 1
  } finally {
    await cleanup().catch(() => {})
    await app.terminate()
  }
}

function canonical(filters: Array<{ column: string; op: string; value: any }>) {
  return filters
    .map((f) =>
      JSON.stringify([
        f.column,
        f.op,
        Array.isArray(f.value) && f.op === 'in' ? [...f.value].sort() : f.value,
      ])
    )
    .sort()
}

function sameFilters(a: Array<{ column: string; op: string; value: any }>, b: typeof a) {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))
}

/** The expected filter applied to a generated row, as the ground truth. */
function matches(row: Record<string, any>, filter: { column: string; op: string; value: any }) {
  const value = row[filter.column]
  const lower = (v: unknown) => String(v).toLowerCase()
  switch (filter.op) {
    case 'eq':
      return typeof value === 'string'
        ? lower(value) === lower(filter.value)
        : value === filter.value
    case 'neq':
      return typeof value === 'string'
        ? lower(value) !== lower(filter.value)
        : value !== filter.value
    case 'in':
      return filter.value.some((v: unknown) => lower(v) === lower(value))
    case 'contains':
      return lower(value).includes(lower(filter.value))
    case 'lt':
      return value < filter.value
    case 'lte':
      return value <= filter.value
    case 'gt':
      return value > filter.value
    case 'gte':
      return value >= filter.value
    case 'between':
      return value >= filter.value[0] && value <= filter.value[1]
  }
  return false
}
