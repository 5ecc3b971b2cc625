/*
| npm run bench:brain
|
| On the native PostgreSQL at BENCH_DATABASE_URL (default
| postgres://postgres@127.0.0.1:5432/flomastr_brain_bench, recreated for the
| run): one tenant's knowledge at 10,000 and then 100,000 chunks (synthetic
| insurance, clinic and price-list passages embedded by the local embedder,
| bulk-loaded), the latency of searchKnowledge (hybrid: full text + HNSW,
| fused) at each size, with and without a tag filter; and ingestion speed in
| pages per second, a multi-page PDF going through the real path (stored
| file, conversion, chunking, embedding, the swap transaction).
|
| BENCH_QUERIES (default 200) searches per measurement; BENCH_SIZES (default
| 10000,100000) the chunk counts; BENCH_PDF_PAGES (default 100).
*/
import 'reflect-metadata'
import { execFileSync, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Ignitor } from '@adonisjs/core'

const APP_ROOT = new URL('../../', import.meta.url)
const nativeUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flomastr_brain_bench'
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200)
const SIZES = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number)
const PDF_PAGES = Number(process.env.BENCH_PDF_PAGES ?? 100)
const CHUNKS_PER_SOURCE = 200

function runParent() {
  const admin = new URL(nativeUrl)
  const dbName = admin.pathname.slice(1)
  admin.pathname = '/postgres'
  execFileSync('psql', [
    admin.href,
    '-qc',
    `drop database if exists ${dbName}`,
    '-c',
    `create database ${dbName}`,
  ])
  console.log(`bench:brain — native PostgreSQL, ${QUERIES} searches per size, k = 5\n`)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: nativeUrl,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    AI_BASE_URL: '',
    AI_EMBED_MODEL: '',
    MEDIA_DIR: 'tmp/bench-media',
  }
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--child'],
    { cwd: fileURLToPath(APP_ROOT), env, stdio: ['ignore', 'inherit', 'inherit'] }
  )
  if (child.status !== 0) {
    console.error('bench:brain failed')
    process.exitCode = 1
  }
}

async function runChild() {
  const ignitor = new Ignitor(APP_ROOT, {
    importer: (path) => import(path.startsWith('.') ? new URL(path, APP_ROOT).href : path),
  })
  const app = ignitor.createApp('console')
  await app.init()
  await app.boot()
  await app.start(async () => {})

  const { MigrationRunner } = await import('@adonisjs/lucid/migration')
  const { default: db } = await import('@adonisjs/lucid/services/db')
  const { default: drive } = await import('@adonisjs/drive/services/main')
  const { provisionTenant, systemActor, contextFor } = await import('#modules/tenancy/index')
  const brain = await import('#modules/brain/index')
  const { insertChunks, embeddingText } = await import('#modules/brain/services/chunk_store')
  const { claimEmbeddingSpace } = await import('#modules/brain/services/embedding_space')
  const runner = new MigrationRunner(db, app, { direction: 'up' })
  await runner.run()
  if (runner.error) throw runner.error

  const tenant = await provisionTenant({ slug: 'bench-brain', name: 'Bench brain' }, systemActor)
  const context = contextFor(tenant)
  const embedder = brain.localEmbedder
  const random = seeded(42)

  // Bulk load without the HNSW index, then build it once: how an
  // installation would import a large corpus, and minutes faster here.
  let loaded = 0
  const sourceIds: string[] = []
  const tags = ['policy', 'faq', 'pricing', 'claims', 'clinic']
  for (const size of SIZES) {
    const loadStarted = performance.now()
    await context.transaction(async (trx) => {
      await claimEmbeddingSpace(trx, embedder, embedder.dimensions)
      await trx.rawQuery('drop index if exists knowledge_chunks_embedding')
    })
    while (loaded < size) {
      const count = Math.min(CHUNKS_PER_SOURCE, size - loaded)
      const title = `${pick(random, TOPICS)} ${pick(random, DOCS)} ${sourceIds.length + 1}`
      const chunks = Array.from({ length: count }, (_, i) => {
        const heading = [title, `${pick(random, SECTIONS)} ${i + 1}`]
        return {
          ordinal: i,
          text: passage(random),
          headingPath: heading,
          page: 1 + Math.floor(i / 3),
        }
      })
      const vectors = await embedder.embed(
        chunks.map((chunk) => embeddingText(title, chunk.headingPath, chunk.text))
      )
      await context.transaction(async (trx) => {
        const result = await trx.rawQuery(
          `insert into knowledge_sources (kind, title, tags, language, status, version, live_version, chunk_count)
           values ('text', ?, ?, 'english', 'ready', 1, 1, ?) returning id`,
          [title, [tags[sourceIds.length % tags.length]], count]
        )
        const id = result.rows[0].id
        sourceIds.push(id)
        await insertChunks(
          trx,
          { id, version: 1, title, language: 'english' },
          chunks,
          vectors,
          'embedding'
        )
      })
      loaded += count
    }
    const indexStarted = performance.now()
    await context.transaction(async (trx) => {
      await trx.rawQuery(`set local maintenance_work_mem = '1GB'`)
      await trx.rawQuery(
        'create index knowledge_chunks_embedding on knowledge_chunks using hnsw (embedding vector_cosine_ops)'
      )
      await trx.rawQuery('analyze knowledge_chunks')
      await trx.rawQuery('analyze knowledge_sources')
    })
    const loadMs = performance.now() - loadStarted
    const indexMs = performance.now() - indexStarted

    const questions = Array.from({ length: QUERIES }, () => question(random))
    // Warm the caches and the plan once, as a running server would be.
    for (const q of questions.slice(0, 10)) await brain.searchKnowledge(context, q, { k: 5 })
    const plain = await timed(questions, (q) => brain.searchKnowledge(context, q, { k: 5 }))
    const filtered = await timed(questions, (q) =>
      brain.searchKnowledge(context, q, { k: 5, filters: { tags: ['claims'] } })
    )
    console.log(`${size.toLocaleString('en')} chunks (${sourceIds.length} sources)`)
    console.log(
      `  load ${(loadMs / 1000).toFixed(1)} s incl. HNSW build ${(indexMs / 1000).toFixed(1)} s`
    )
    console.log(`  search            p50 ${plain.p50} ms   p95 ${plain.p95} ms`)
    console.log(`  search, tag filter p50 ${filtered.p50} ms   p95 ${filtered.p95} ms`)
  }

  // Ingestion through the real path, index in place.
  const pdf = buildPdf(
    Array.from({ length: PDF_PAGES }, (_, page) =>
      Array.from({ length: 6 }, () => passage(random))
        .join(' ')
        .concat(` Page ${page + 1}.`)
    )
  )
  const started = performance.now()
  const source = await brain.createFileSource(
    context,
    { bytes: pdf, filename: 'bench-policy.pdf', mimeType: 'application/pdf' },
    { tags: ['policy'] }
  )
  const outcome = await brain.ingestSource(context, source.id, source.version)
  const seconds = (performance.now() - started) / 1000
  const ingested = (await brain.findSource(context, source.id))!
  console.log(
    `\ningestion: ${PDF_PAGES}-page PDF → ${ingested.chunkCount} chunks in ${seconds.toFixed(1)} s: ` +
      `${(PDF_PAGES / seconds).toFixed(1)} pages/s (${outcome}, ${ingested.pageCount} pages read)`
  )
  await drive.use().deleteAll(`tenants/${tenant.id}`)
  await app.terminate()
}

async function timed(questions: string[], search: (q: string) => Promise<unknown>) {
  const samples: number[] = []
  for (const q of questions) {
    const started = performance.now()
    await search(q)
    samples.push(performance.now() - started)
  }
  samples.sort((a, b) => a - b)
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]
  return { p50: at(0.5).toFixed(1), p95: at(0.95).toFixed(1) }
}

/** A small deterministic PRNG (mulberry32): the same corpus every run. */
function seeded(seed: number) {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function pick<T>(random: () => number, list: T[]) {
  return list[Math.floor(random() * list.length)]
}

const TOPICS = ['Malpractice', 'Dental', 'Travel', 'Home', 'Motor', 'Clinic', 'Pharmacy', 'Life']
const DOCS = ['policy wording', 'FAQ', 'price list', 'handbook', 'schedule', 'terms']
const SECTIONS = ['Cover', 'Exclusions', 'Claims', 'Fees', 'Definitions', 'Renewal', 'Cancellation']
const SUBJECTS = [
  'locum work',
  'cosmetic surgery',
  'a hospital stay',
  'a dental check-up',
  'travel vaccinations',
  'a follow-up visit',
  'legal defence costs',
  'lost luggage',
  'storm damage',
  'a windscreen repair',
  'emergency treatment abroad',
  'a second opinion',
]
const VERBS = [
  'is covered',
  'is not covered',
  'costs',
  'is reimbursed',
  'needs prior approval',
  'is limited',
]
const DETAILS = [
  'for up to 90 days a year',
  'when you call the claims line within 30 days',
  'up to 5,000 dollars per claim',
  'after a waiting period of six months',
  'unless the treatment is elective',
  'at any hospital in the network',
  'with an excess of 250 dollars',
  'when your policy number is quoted',
]

function passage(random: () => number) {
  return Array.from(
    { length: 3 + Math.floor(random() * 3) },
    () => `${capitalise(pick(random, SUBJECTS))} ${pick(random, VERBS)} ${pick(random, DETAILS)}.`
  ).join(' ')
}

function question(random: () => number) {
  return `${pick(random, ['Is', 'How much is', 'When is', 'Does my policy cover'])} ${pick(random, SUBJECTS)} ${pick(random, ['covered', 'reimbursed', 'abroad', 'this year', ''])}?`
}

function capitalise(text: string) {
  return text[0].toUpperCase() + text.slice(1)
}

/**
 * A valid PDF with one page of text per entry (Helvetica, wrapped at 90
 * characters), built by hand so the bench needs no PDF library.
 */
function buildPdf(pages: string[]) {
  const objects: string[] = []
  const add = (body: string) => objects.push(body) // object number = index + 1
  add('<< /Type /Catalog /Pages 2 0 R >>')
  add('') // pages, filled in below
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>')
  const kids: number[] = []
  for (const text of pages) {
    const lines = text.match(/.{1,90}(\s|$)/g) ?? [text]
    const stream = [
      'BT /F1 10 Tf 14 TL 50 780 Td',
      ...lines.map((line) => `(${line.trim().replace(/[\\()]/g, (c) => `\\${c}`)}) '`),
      'ET',
    ].join('\n')
    add(`<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`)
    const contentRef = objects.length
    add(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contentRef} 0 R >>`
    )
    kids.push(objects.length)
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`
  let out = '%PDF-1.4\n'
  const offsets: number[] = []
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out))
    out += `${i + 1} 0 obj\n${body}\nendobj\n`
  })
  const xref = Buffer.byteLength(out)
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(out, 'latin1')
}

// Last, so the word lists above are initialised before the child uses them.
if (process.argv.includes('--child')) {
  await runChild()
} else {
  runParent()
}
