/*
| Replays the extractive answerer over the passages a run of eval:brain gave
| it (EVAL_DUMP=<file> npm run eval:brain), without a database: for quick
| iteration on the answerer. Retrieval changes need a new dump.
|   node --import=ts-node-maintained/register/esm tests/eval/brain_replay.ts <file>
| Held-out questions are counted, never listed (EVAL_HELDOUT=1 lists them).
| Q=<part of an id> lists the matching tuning questions (Q= lists all),
| T=<threshold> answers at another threshold, SWEEP=1 counts the tuning
| split's right facts and refusals over a range of thresholds, MISSES=1 says
| for each missed tuning question whether its passage was given at all,
| IDS=<a questions.json> keeps only the questions it holds.
*/
import { readFileSync } from 'node:fs'
import { answerExtractively } from '../../modules/brain/services/answers/extractive_answerer.js'
import { foldText } from '../../modules/brain/services/text_toolkit.js'

// As eval:brain judges a right fact (a number as the whole number).
function statesFact(answer: string, fact: string) {
  const escaped = fact.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const before = /^\d/.test(fact) ? '(?<![\\d.])' : ''
  const after = /\d$/.test(fact) ? '(?![\\d])' : ''
  return new RegExp(`${before}${escaped}${after}`, 'u').test(answer)
}

const everything = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Array<{
  q: any
  rank: number | null
  hits: any[]
}>
// IDS=<questions.json of another version>: only the questions it holds (before/after on one set).
const only = process.env.IDS
  ? new Set(JSON.parse(readFileSync(process.env.IDS, 'utf8')).map((q: any) => q.id))
  : null
const dump = only ? everything.filter((d) => only.has(d.q.id)) : everything
const norm = (t: string) => t.replace(/\s+/g, ' ').toLowerCase()
const rows = dump.map(({ q, rank, hits }) => {
  const answer = answerExtractively(
    q.question,
    hits,
    process.env.T ? { threshold: Number(process.env.T) } : {}
  )
  const holds = (c: any) => {
    const hit = hits.find((h) => h.chunkId === c.chunkId)
    return q.expected.some(
      (e: any) => hit?.file === e.source && norm(hit.text).includes(norm(e.contains))
    )
  }
  const facts = q.fact ? [q.fact] : q.expected.map((e: any) => e.contains)
  return {
    q,
    rank,
    answer,
    refused: answer.handoff,
    right:
      !answer.handoff && facts.some((f: string) => statesFact(foldText(answer.text), foldText(f))),
    cites: answer.citations.length,
    good: answer.citations.filter(holds).length,
  }
})
const pct = (n: number, d: number) => (d ? ((100 * n) / d).toFixed(1) + '%' : 'n/a')
function line(name: string, set: typeof rows) {
  const a = set.filter((r) => r.q.answerable)
  const u = set.filter((r) => !r.q.answerable)
  const right = a.filter((r) => r.right).length
  const ref = u.filter((r) => r.refused).length
  const c = a.reduce((s, r) => s + r.cites, 0)
  const g = a.reduce((s, r) => s + r.good, 0)
  console.log(
    `${name.padEnd(8)} right ${pct(right, a.length)} (${right}/${a.length})  refused ${pct(ref, u.length)} (${ref}/${u.length})  citations ${pct(g, c)} (${g}/${c})`
  )
}
const show = process.env.EVAL_HELDOUT === '1'
if (process.env.Q !== undefined) {
  for (const r of rows) {
    if (r.q.split === 'heldout' && !show) continue
    if (process.env.Q && !r.q.id.includes(process.env.Q)) continue
    const mark = r.q.answerable ? (r.right ? '✓' : r.refused ? 'H' : '✗') : r.refused ? '✓' : 'A'
    console.log(
      `${mark} ${r.q.id.padEnd(26)} r${r.rank ?? '-'} ${r.answer.confidence.toFixed(2)} ${r.good}/${r.cites} ${r.answer.citations
        .map((c) => c.quote)
        .join(' ‖ ')
        .slice(0, 170)}`
    )
  }
}
line('all', rows)
line(
  'en',
  rows.filter((r) => r.q.language === 'en')
)
line(
  'ar',
  rows.filter((r) => r.q.language === 'ar')
)
line(
  'tune',
  rows.filter((r) => r.q.split === 'tune')
)
line(
  'heldout',
  rows.filter((r) => r.q.split === 'heldout')
)
if (process.env.SWEEP) {
  // Right facts and refusals of the tuning split at other thresholds.
  for (const threshold of [0.2, 0.22, 0.24, 0.26, 0.28, 0.3, 0.32, 0.34, 0.35, 0.36, 0.38, 0.4]) {
    const tune = dump.filter((d) => d.q.split === 'tune')
    let right = 0
    let refused = 0
    for (const { q, hits } of tune) {
      const answer = answerExtractively(q.question, hits, { threshold })
      const facts = q.fact ? [q.fact] : q.expected.map((e: any) => e.contains)
      if (
        q.answerable &&
        !answer.handoff &&
        facts.some((f: string) => statesFact(foldText(answer.text), foldText(f)))
      )
        right++
      if (!q.answerable && answer.handoff) refused++
    }
    console.log(
      `threshold ${threshold}: right ${right}/${tune.filter((d) => d.q.answerable).length} refused ${refused}/${tune.filter((d) => !d.q.answerable).length}`
    )
  }
}
if (process.env.MISSES) {
  // Tuning misses: is the expected passage among the passages the answerer was given?
  for (const r of rows) {
    if (r.q.split === 'heldout' || !r.q.answerable || r.right) continue
    const { hits } = dump.find((d) => d.q.id === r.q.id)!
    const at = hits.findIndex((h: any) =>
      r.q.expected.some((e: any) => h.file === e.source && norm(h.text).includes(norm(e.contains)))
    )
    console.log(
      `${at < 0 ? 'NOT GIVEN' : `given #${at + 1}`}  ${r.refused ? 'handoff' : 'wrong  '} ${r.answer.confidence.toFixed(2)} ${r.q.id}`
    )
  }
}
