/*
| npm run eval:brain
|
| Measures the brain's offline defaults (the local lexical embedder and the
| extractive answerer) on the evaluation set in tests/fixtures/brain: an
| insurance policy wording, an English and an Arabic FAQ, a price list, a
| fitness club's member handbook (English and Arabic) and a table of rental
| listings, with the questions in questions.json (some unanswerable, some in
| Arabic, a third phrased unlike the source: synonyms, typos, dialect).
|
| The fixtures are ingested into a fresh tenant through the real path
| (createFileSource queues IngestSourceJob, a queue worker in this process
| converts, chunks and embeds), then every question goes through
| searchKnowledge (k = 5) and answerQuestion. Printed, overall and per
| language:
|
|   right fact          answerable questions answered, the answer stating the
|                       expected fact (`fact`, else an expected phrase)
|   refused unans.      unanswerable questions refused
|   recall@5            answerable questions with an expected passage in the top 5
|   MRR                 mean of 1 / rank of the first expected passage (0 if none)
|   citation precision  over answerable questions, the share of the answer's
|                       citations whose chunk holds an expected phrase
|   refusal accuracy    unanswerable questions refused + answerable ones
|                       answered, over all questions
|
| also for the questions phrased unlike the source, and for the tuning and
| held-out splits (the held-out one per language too). The worst misses follow (EVAL_VERBOSE=1 lists every
| question); held-out questions, which the answerer is never tuned on, are
| left out of both unless EVAL_HELDOUT=1. Tuning on a question means adding
| two new ones. It is a measurement, not a test: it exits 0 whatever
| the numbers (1 only if the run itself fails). The embedded database by
| default (in tmp/eval-brain-db, recreated), or the server at DATABASE_URL
| (a tenant created for the run and dropped after). Redis at REDIS_URL,
| queue prefix EVAL_QUEUE_PREFIX (default flomastr-eval-brain).
*/
import 'reflect-metadata'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { Ignitor } from '@adonisjs/core'

const APP_ROOT = new URL('../../', import.meta.url)
const FIXTURES = new URL('tests/fixtures/brain/', APP_ROOT)
const EMBEDDED_DIR = 'tmp/eval-brain-db'
const K = 5
const INGEST_TIMEOUT_MS = 180_000

const FIXTURE_FILES: Array<{ file: string; mimeType: string; title: string }> = [
  { file: 'policy_wording.md', mimeType: 'text/markdown', title: 'Malpractice policy wording' },
  { file: 'faq_en.md', mimeType: 'text/markdown', title: 'Malpractice insurance FAQ' },
  {
    file: 'faq_ar.md',
    mimeType: 'text/markdown',
    title: 'الأسئلة الشائعة عن تأمين الأخطاء الطبية',
  },
  { file: 'price_list.csv', mimeType: 'text/csv', title: 'Price list 2025' },
  { file: 'club_handbook.md', mimeType: 'text/markdown', title: 'Oasis Fitness Club handbook' },
  {
    file: 'club_handbook_ar.md',
    mimeType: 'text/markdown',
    title: 'دليل أعضاء نادي الواحة',
  },
  { file: 'listings.csv', mimeType: 'text/csv', title: 'Available rental listings' },
]

interface Question {
  id: string
  question: string
  language: 'en' | 'ar'
  answerable: boolean
  expected: Array<{ source: string; contains: string }>
  /** 'unlike': phrased unlike the source (synonyms, typos, dialect spellings). */
  phrasing: 'source' | 'unlike'
  /** 'heldout' questions are never tuned on: their misses are listed only with EVAL_HELDOUT=1. */
  split: 'tune' | 'heldout'
  /** What a right answer must state; else one of the expected phrases. */
  fact?: string
}

interface Outcome {
  q: Question
  /** 1-based rank of the first hit holding an expected passage, or null. */
  rank: number | null
  top: string[]
  refused: boolean
  /** Answered, and the answer states the expected fact. */
  rightFact: boolean
  confidence: number
  citations: number
  correctCitations: number
  quoted: string[]
}

// The run's own database and queue, chosen before the app reads its env.
const embedded = !process.env.DATABASE_URL
if (embedded) process.env.EMBEDDED_DB_DIR = process.env.EMBEDDED_DB_DIR ?? EMBEDDED_DIR
process.env.QUEUE_PREFIX = process.env.EVAL_QUEUE_PREFIX ?? 'flomastr-eval-brain'
process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'warn'
process.env.NODE_ENV = process.env.NODE_ENV ?? 'development'

const embeddedDir = fileURLToPath(new URL(process.env.EMBEDDED_DB_DIR ?? EMBEDDED_DIR, APP_ROOT))
if (embedded) rmSync(embeddedDir, { recursive: true, force: true })

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
    const { assertRedisReachable } = await import('#app/queue/redis_connection')
    const { redisUrl } = await import('#config/queue')
    await assertRedisReachable(redisUrl)

    const { MigrationRunner } = await import('@adonisjs/lucid/migration')
    const { default: db } = await import('@adonisjs/lucid/services/db')
    const runner = new MigrationRunner(db, app, { direction: 'up' })
    await runner.run()
    if (runner.error) throw runner.error

    // The offline defaults, whatever AI_* this machine has configured.
    app.config.set('ai', {
      ...app.config.get<Record<string, unknown>>('ai'),
      baseUrl: null,
      chatModel: null,
      embedModel: null,
    })

    const tenancy = await import('#modules/tenancy/index')
    const brain = await import('#modules/brain/index')
    const { answerQuestion, answerMode } = await import('#modules/brain/services/answers')
    const { DEFAULT_CONFIDENCE_THRESHOLD } = await import('#modules/brain/services/answers')
    const { foldText } = await import('#modules/brain/services/text_toolkit')

    const slug = `eval-${randomBytes(4).toString('hex')}`
    const tenantRow = await tenancy.provisionTenant(
      { slug, name: 'Brain evaluation' },
      tenancy.systemActor
    )
    const tenant = tenancy.contextFor(tenantRow)
    const workers = await app.container.make('queue.workers')
    workers.start(['default'])
    cleanup = async () => {
      await workers.stop()
      await tenancy.softDeleteTenant(tenantRow, tenancy.systemActor)
      await tenancy.hardDeleteTenant(tenantRow, tenancy.systemActor)
    }

    // Ingestion, as an upload from the workspace would do it.
    const ingestStart = performance.now()
    const fileOfSource = new Map<string, string>()
    for (const fixture of FIXTURE_FILES) {
      const bytes = readFileSync(new URL(fixture.file, FIXTURES))
      const source = await brain.createFileSource(
        tenant,
        { bytes, filename: fixture.file, mimeType: fixture.mimeType },
        { title: fixture.title }
      )
      fileOfSource.set(source.id, fixture.file)
    }
    await waitUntilIngested(brain, tenant, [...fileOfSource.keys()])
    const ingestMs = performance.now() - ingestStart
    const sources = await Promise.all(
      [...fileOfSource.keys()].map((id) => brain.findSource(tenant, id))
    )
    const chunkCount = sources.reduce((sum, s) => sum + (s?.chunkCount ?? 0), 0)

    const questions: Question[] = JSON.parse(
      readFileSync(new URL('questions.json', FIXTURES), 'utf8')
    )
    const outcomes: Outcome[] = []
    // EVAL_DUMP=<file>: the passages the answerer is given for each question,
    // for replaying the answerer offline (tests/eval/brain_replay.ts).
    const dump: unknown[] = []
    const answerStart = performance.now()
    for (const q of questions) {
      const hits = await brain.searchKnowledge(tenant, q.question, { k: K })
      const holdsExpected = (sourceId: string, text: string) =>
        q.expected.some(
          (e) =>
            fileOfSource.get(sourceId) === e.source &&
            normalise(text).includes(normalise(e.contains))
        )
      const index = hits.findIndex((h) => holdsExpected(h.sourceId, h.text))

      // As the assistant asks: the answerer's own number of passages.
      const answer = await answerQuestion(tenant, q.question)
      if (process.env.EVAL_DUMP) {
        const { retrieveForAnswer, ANSWER_K } = await import('#modules/brain/services/answers')
        const { expandQuery } = await import('#modules/brain/services/text_toolkit')
        const seen = await retrieveForAnswer(tenant, [q.question, expandQuery(q.question)], {
          k: ANSWER_K,
        })
        dump.push({
          q,
          rank: index >= 0 ? index + 1 : null,
          hits: seen.map((h) => ({ ...h, file: fileOfSource.get(h.sourceId) })),
        })
      }
      const textOf = new Map(hits.map((h) => [h.chunkId, h.text]))
      const missing = answer.citations.filter((c) => !textOf.has(c.chunkId)).map((c) => c.chunkId)
      if (missing.length) {
        const rows = await tenant.transaction((trx) =>
          trx.from('knowledge_chunks').whereIn('id', missing).select('id', 'content')
        )
        for (const row of rows) textOf.set(row.id, row.content)
      }
      outcomes.push({
        q,
        rank: index >= 0 ? index + 1 : null,
        top: hits.map(
          (h) => `${fileOfSource.get(h.sourceId)} › ${h.headingPath.join(' › ') || '(top)'}`
        ),
        refused: answer.handoff,
        rightFact:
          !answer.handoff &&
          (q.fact ? [q.fact] : q.expected.map((e) => e.contains)).some((fact) =>
            statesFact(foldText(answer.text), foldText(fact))
          ),
        confidence: answer.confidence,
        citations: answer.citations.length,
        correctCitations: answer.citations.filter((c) =>
          holdsExpected(c.sourceId, textOf.get(c.chunkId) ?? '')
        ).length,
        quoted: answer.citations.map((c) => c.quote),
      })
    }
    const perQuestionMs = (performance.now() - answerStart) / questions.length
    if (process.env.EVAL_DUMP) writeFileSync(process.env.EVAL_DUMP, JSON.stringify(dump))

    report({
      outcomes,
      mode: embedded ? 'embedded PGlite' : 'PostgreSQL at DATABASE_URL',
      embedder: brain.currentEmbedder(),
      answerMode: answerMode(),
      threshold: DEFAULT_CONFIDENCE_THRESHOLD,
      ingestMs,
      chunkCount,
      perQuestionMs,
    })
    return 0
  } catch (error) {
    console.error(`eval:brain failed: ${(error as Error).stack ?? error}`)
    return 1
  } finally {
    await cleanup().catch((error) => console.error(`cleanup: ${error.message}`))
    await app.terminate()
    if (embedded) rmSync(embeddedDir, { recursive: true, force: true })
  }
}

async function waitUntilIngested(
  brain: typeof import('#modules/brain/index'),
  tenant: import('#modules/tenancy/index').TenantContext,
  ids: string[]
) {
  const deadline = Date.now() + INGEST_TIMEOUT_MS
  while (Date.now() < deadline) {
    const sources = await Promise.all(ids.map((id) => brain.findSource(tenant, id)))
    const failed = sources.filter((s) => s?.status === 'failed')
    if (failed.length) {
      throw new Error(
        `ingestion failed: ${failed.map((s) => `${s!.title}: ${s!.errorCode} ${s!.errorDetail ? JSON.stringify(s!.errorDetail) : ''}`).join('; ')}`
      )
    }
    if (sources.every((s) => s?.status === 'ready')) return
    await sleep(200)
  }
  throw new Error(
    `the fixtures were not ingested within ${INGEST_TIMEOUT_MS / 1000} s (is a worker running on this queue?)`
  )
}

/**
 * Whether an answer states a fact: the fact's words, and a number in it as
 * the whole number ("AED 50" is not stated by "AED 50,000").
 */
function statesFact(answer: string, fact: string) {
  const escaped = fact.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const before = /^\d/.test(fact) ? '(?<![\\d.])' : ''
  const after = /\d$/.test(fact) ? '(?![\\d])' : ''
  return new RegExp(`${before}${escaped}${after}`, 'u').test(answer)
}

function normalise(text: string) {
  return text.replace(/\s+/g, ' ').toLowerCase()
}

function pct(n: number, d: number) {
  return d === 0 ? '   n/a' : `${((100 * n) / d).toFixed(1).padStart(5)}%`
}

function metrics(outcomes: Outcome[]) {
  const answerable = outcomes.filter((o) => o.q.answerable)
  const found = answerable.filter((o) => o.rank !== null).length
  const mrr = answerable.length
    ? answerable.reduce((sum, o) => sum + (o.rank ? 1 / o.rank : 0), 0) / answerable.length
    : 0
  const citations = answerable.reduce((sum, o) => sum + o.citations, 0)
  const correct = answerable.reduce((sum, o) => sum + o.correctCitations, 0)
  const refusalRight = outcomes.filter((o) => o.refused === !o.q.answerable).length
  const unanswerable = outcomes.filter((o) => !o.q.answerable)
  return {
    questions: outcomes.length,
    recall: pct(found, answerable.length),
    recallCount: `${found}/${answerable.length}`,
    mrr: answerable.length ? mrr.toFixed(3) : 'n/a',
    citationPrecision: pct(correct, citations),
    citationCount: `${correct}/${citations}`,
    refusal: pct(refusalRight, outcomes.length),
    refusalCount: `${refusalRight}/${outcomes.length}`,
    refusedUnanswerable: `${unanswerable.filter((o) => o.refused).length}/${unanswerable.length}`,
    answeredAnswerable: `${answerable.filter((o) => !o.refused).length}/${answerable.length}`,
    rightFact: pct(answerable.filter((o) => o.rightFact).length, answerable.length),
    rightFactCount: `${answerable.filter((o) => o.rightFact).length}/${answerable.length}`,
    refusedShare: pct(unanswerable.filter((o) => o.refused).length, unanswerable.length),
  }
}

function report(run: {
  outcomes: Outcome[]
  mode: string
  embedder: { kind: string; model: string; dimensions: number }
  answerMode: string
  threshold: number
  ingestMs: number
  chunkCount: number
  perQuestionMs: number
}) {
  const { outcomes } = run
  console.log(
    `\neval:brain — ${outcomes.length} questions on ${FIXTURE_FILES.length} fixtures (${run.chunkCount} chunks), ${run.mode}`
  )
  console.log(
    `  embedder ${run.embedder.kind} ${run.embedder.model} (${run.embedder.dimensions} dims), answers ${run.answerMode}, threshold ${run.threshold}`
  )
  console.log(
    `  ingestion ${(run.ingestMs / 1000).toFixed(1)} s through the queue; search + answer ${run.perQuestionMs.toFixed(0)} ms per question\n`
  )
  const rows: Array<[string, Outcome[]]> = [
    ['all', outcomes],
    ['English', outcomes.filter((o) => o.q.language === 'en')],
    ['Arabic', outcomes.filter((o) => o.q.language === 'ar')],
    ['unlike', outcomes.filter((o) => o.q.phrasing === 'unlike')],
    ['tune', outcomes.filter((o) => o.q.split === 'tune')],
    ['heldout', outcomes.filter((o) => o.q.split === 'heldout')],
    ['held en', outcomes.filter((o) => o.q.split === 'heldout' && o.q.language === 'en')],
    ['held ar', outcomes.filter((o) => o.q.split === 'heldout' && o.q.language === 'ar')],
  ]
  console.log(
    `  ${'set'.padEnd(8)} ${'n'.padStart(3)}  ${'right fact'.padStart(17)}  ${'refused unans.'.padStart(17)}  ${'recall@5'.padStart(17)}  ${'MRR'.padStart(6)}  ${'citation precision'.padStart(20)}  ${'refusal accuracy'.padStart(18)}  refused unanswerable / answered answerable`
  )
  for (const [name, set] of rows) {
    const m = metrics(set)
    console.log(
      `  ${name.padEnd(8)} ${String(m.questions).padStart(3)}  ${m.rightFact} (${m.rightFactCount.padStart(7)})  ${m.refusedShare} (${m.refusedUnanswerable.padStart(7)})  ${m.recall} (${m.recallCount.padStart(5)})  ${m.mrr.padStart(6)}  ${m.citationPrecision} (${m.citationCount.padStart(7)})  ${m.refusal} (${m.refusalCount.padStart(5)})  ${m.refusedUnanswerable} / ${m.answeredAnswerable}`
    )
  }

  // Worst first: an unanswerable question answered (a confident wrong
  // answer reaches a customer), then answerable ones whose passage was not
  // retrieved, then wrong citations, then needless handoffs.
  const misses: Array<{ weight: number; line: string }> = []
  const showHeldout = process.env.EVAL_HELDOUT === '1'
  for (const o of outcomes) {
    // Held-out questions are measured, never looked at while tuning.
    if (o.q.split === 'heldout' && !showHeldout) continue
    const q = `[${o.q.id}] ${o.q.question}`
    if (!o.q.answerable && !o.refused) {
      misses.push({
        weight: 3 + o.confidence,
        line: `${q}\n      ANSWERED an unanswerable question (confidence ${o.confidence}): “${truncate(o.quoted[0] ?? '', 110)}”`,
      })
      continue
    }
    if (!o.q.answerable) continue
    if (o.rank === null) {
      misses.push({
        weight: 2,
        line: `${q}\n      expected passage not in the top ${K}: ${o.top.join(' | ') || 'no hits'}`,
      })
    }
    if (o.citations > o.correctCitations && !o.refused) {
      misses.push({
        weight: 1.5 + (o.citations - o.correctCitations) / o.citations,
        line: `${q}\n      ${o.citations - o.correctCitations} of ${o.citations} citations off target: “${truncate(o.quoted[0] ?? '', 110)}”`,
      })
    }
    if (!o.refused && !o.rightFact) {
      misses.push({
        weight: 1.2,
        line: `${q}\n      answered without the fact “${o.q.fact ?? o.q.expected[0]?.contains}”: “${truncate(o.quoted.join(' ‖ '), 140)}”`,
      })
    }
    if (o.refused && o.rank !== null) {
      misses.push({
        weight: 1 - o.confidence,
        line: `${q}\n      handed off although the passage was retrieved at rank ${o.rank} (confidence ${o.confidence})`,
      })
    }
  }
  if (process.env.EVAL_VERBOSE === '1') {
    console.log(
      '\n  every question (rank of the expected passage, handoff, confidence, first quote):'
    )
    for (const o of outcomes) {
      if (o.q.split === 'heldout' && !showHeldout) continue
      console.log(
        `    ${o.rightFact ? '✓' : ' '} ${o.q.id.padEnd(28)} ${o.q.answerable ? 'answerable  ' : 'unanswerable'} rank ${String(o.rank ?? '-').padEnd(2)} ${o.refused ? 'HANDOFF' : 'answer '} ${o.confidence.toFixed(2)} ${o.correctCitations}/${o.citations}  ${truncate(o.quoted.join(' ‖ '), 150)}`
      )
    }
  }
  misses.sort((a, b) => b.weight - a.weight)
  console.log(`\n  worst misses (${misses.length}):`)
  for (const miss of misses.slice(0, 12)) console.log(`    ${miss.line}`)
  if (misses.length > 12) console.log(`    … and ${misses.length - 12} more`)
  console.log('')
}

function truncate(text: string, max: number) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
