import i18nManager from '@adonisjs/i18n/services/main'
import { contentTerms, type DataAnswer, type DataQuestion } from '#modules/brain/index'
import type { TenantContext } from '#modules/tenancy/index'
import type { ListCard } from '#modules/channels/index'
import { displayValue, type DatasetColumn } from './column_types.js'
import { findDataset, findDatasetRow, type Dataset } from './dataset_service.js'
import { searchDataset } from './dataset_search.js'
import { parseQuery } from './query_parser.js'
import type { Filter, RowRecord } from './row_table.js'

/*
| The assistant's answers from datasets. A customer's question that matches
| a dataset the business opened to customers (filters read from it, or its
| name and a filter) is answered from the rows: a WhatsApp list message, one
| section per dataset, ten rows at most, titles and descriptions cut to
| Meta's limits (24 and 72 characters). Picking a row (its id names the
| dataset and the row) answers with the row's details. What matches no
| dataset is left to the knowledge.
*/

/** Meta's limits for list messages (interactive, type list). */
export const LIST_LIMITS = {
  rows: 10,
  rowTitle: 24,
  rowDescription: 72,
  sectionTitle: 24,
  button: 20,
  body: 1024,
}

const ROW_ID = /^dsrow:([0-9a-f-]{36}):(\d+)$/i
const MORE_ID = /^dsmore:([0-9a-f-]{36}):(\d{1,2}):([\w-]*)$/i
/** The furthest a customer can page through one question's rows (the search's own limit). */
const MAX_RESULTS = 50
/** The datasets one question is tried against, newest first. */
const MAX_DATASETS = 20

export function rowChoiceId(datasetId: string, rowId: number) {
  return `dsrow:${datasetId}:${rowId}`
}

/** Cut to `limit` characters (code points), an ellipsis marking the cut. */
export function clip(text: string, limit: number) {
  const chars = [...text.replace(/\s+/g, ' ').trim()]
  return chars.length <= limit ? chars.join('') : `${chars.slice(0, limit - 1).join('')}…`
}

function t(language: DataQuestion['language'], key: string, data?: Record<string, unknown>) {
  return i18nManager
    .locale(language === 'arabic' ? 'ar' : 'en')
    .t(`datasets.assistant.${key}`, data)
}

/** The column that names a row: the key if it is text, else the first shown text column. */
function titleColumn(dataset: Dataset) {
  const texts = dataset.columns.filter((c) => c.shown && ['text', 'choice'].includes(c.type))
  return (
    texts.find((c) => /title|name|اسم|عنوان/i.test(c.name)) ??
    texts.find((c) => c.searchable) ??
    dataset.columns.find((c) => c.name === dataset.keyColumn) ??
    texts[0] ??
    dataset.columns[0]
  )
}

function rowTitle(dataset: Dataset, row: RowRecord) {
  const column = titleColumn(dataset)
  const value = displayValue(column, row.values[column.name] ?? null)
  return value || row.key || `#${row.id}`
}

/** What a row's line says under its title: its other shown values, money first. */
function rowDescription(dataset: Dataset, row: RowRecord) {
  const skip = new Set([titleColumn(dataset).name, dataset.keyColumn])
  const columns = dataset.columns
    .filter((c) => c.shown && !skip.has(c.name) && !['url', 'image_url'].includes(c.type))
    .sort((a, b) => Number(b.type === 'money') - Number(a.type === 'money'))
  return columns
    .map((column) => describe(column, row.values[column.name] ?? null))
    .filter(Boolean)
    .join(' · ')
}

function describe(column: DatasetColumn, value: RowRecord['values'][string]) {
  if (value === null || value === undefined || value === '') return ''
  if (column.type === 'boolean') return value ? column.name : ''
  if (['integer', 'number'].includes(column.type))
    return `${displayValue(column, value)} ${column.name}`
  return displayValue(column, value)
}

/** "2 bedrooms · JLT · ≤ AED 150,000": the filters a list answers, as the customer reads them. */
export function filterWords(dataset: Dataset, filters: Filter[]) {
  return filters
    .map((filter) => {
      const column = dataset.columns.find((c) => c.name === filter.column)
      if (!column) return ''
      const show = (value: unknown) => displayValue(column, value as any)
      switch (filter.op) {
        case 'eq':
          if (column.type === 'boolean') return filter.value ? column.name : `not ${column.name}`
          if (column.type === 'choice') return show(filter.value)
          return ['integer', 'number'].includes(column.type)
            ? `${show(filter.value)} ${column.name}`
            : show(filter.value)
        case 'in':
          return (filter.value as unknown[]).map(show).join(' / ') + ` ${column.name}`
        case 'contains':
          return show(filter.value)
        case 'between': {
          const [low, high] = filter.value as unknown[]
          return `${show(low)}–${show(high)}`
        }
        case 'lte':
        case 'lt':
          return `≤ ${show(filter.value)}`
        case 'gte':
        case 'gt':
          return `≥ ${show(filter.value)}`
        default:
          return `≠ ${show(filter.value)}`
      }
    })
    .filter(Boolean)
    .join(' · ')
}

/**
 * How strongly a question points at a dataset: its filters, plus one when
 * it names the dataset (its name or description's words). Two or more is a
 * match: "2br in JLT" (two filters), "listings in JLT" (name and a filter).
 */
function matchScore(dataset: Dataset, question: string, filters: Filter[]) {
  const asked = new Set(contentTerms(question))
  const named = contentTerms(`${dataset.name} ${dataset.description}`).some((term) =>
    asked.has(term)
  )
  return filters.length + (named && filters.length ? 1 : 0)
}

interface Section {
  dataset: Dataset
  filters: Filter[]
  rows: RowRecord[]
}

/**
 * The assistant's answer from the tenant's datasets, or null when none
 * matches. `internal`: a team member asks (over WhatsApp, from their own
 * number): every ready dataset is searched, not only those opened to
 * customers, and one filter or the dataset's name is enough to match.
 */
export async function answerFromDatasets(
  question: DataQuestion,
  options: { internal?: boolean } = {}
): Promise<DataAnswer | null> {
  const internal = options.internal ?? false
  const usable = (dataset: Dataset | null): dataset is Dataset =>
    !!dataset && (internal || dataset.answersCustomers) && dataset.status === 'ready'
  const picked = question.choiceId ? ROW_ID.exec(question.choiceId) : null
  if (picked) return rowDetails(question, picked[1], Number(picked[2]), usable)
  const more = question.choiceId ? MORE_ID.exec(question.choiceId) : null
  if (more) {
    const dataset = await findDataset(question.tenant, more[1])
    if (!usable(dataset)) return null
    const asked = Buffer.from(more[3], 'base64url').toString('utf8')
    return listAnswer(question, [dataset], asked, Number(more[2]))
  }

  const open = await customerDatasets(question.tenant, internal)
  const scored = open
    .map((dataset) => {
      const parsed = parseQuery(question.text, dataset.columns)
      return { dataset, score: matchScore(dataset, question.text, parsed.filters) }
    })
    .sort((a, b) => b.score - a.score)
  let candidates = scored.filter((c) => c.score >= 2)
  if (!candidates.length && internal) candidates = scored.filter((c) => c.score >= 1)
  if (!candidates.length) return null
  return listAnswer(
    question,
    candidates.map((c) => c.dataset),
    question.text,
    0
  )
}

/** Code points of `text` whose UTF-8 takes at most `bytes` (a list row id has room for so much). */
function clipBytes(text: string, bytes: number) {
  let out = ''
  for (const char of text) {
    if (Buffer.byteLength(out + char) > bytes) break
    out += char
  }
  return out
}

/**
 * The list of rows matching `asked`, from `offset` on. With one dataset and
 * more rows than a list holds, the last row is "More results": picking it
 * brings the next page (the question rides in its id, WhatsApp hands it back).
 */
async function listAnswer(
  question: DataQuestion,
  datasets: Dataset[],
  asked: string,
  offset: number
): Promise<DataAnswer> {
  const sections: Section[] = []
  let moreId: string | null = null
  for (const dataset of datasets.slice(0, LIST_LIMITS.rows)) {
    const paged = datasets.length === 1
    // With a chat model configured it proposes filters too, merged with the
    // offline parse (none, or a model that fails: the offline parse alone).
    const found = await searchDataset(question.tenant, dataset, asked, {
      k: paged ? Math.min(offset + LIST_LIMITS.rows + 1, MAX_RESULTS) : LIST_LIMITS.rows,
      useModel: true,
    })
    let rows = found.results.map((hit) => hit.row).slice(paged ? offset : 0)
    if (paged && rows.length > LIST_LIMITS.rows && offset + LIST_LIMITS.rows - 1 < MAX_RESULTS) {
      rows = rows.slice(0, LIST_LIMITS.rows - 1)
      const query = Buffer.from(clipBytes(asked, 110)).toString('base64url')
      moreId = `dsmore:${dataset.id}:${offset + rows.length}:${query}`
    }
    sections.push({ dataset, filters: found.filters, rows })
  }
  const withRows = sections.filter((s) => s.rows.length)
  if (!withRows.length) {
    const best = sections[0]
    return {
      mode: 'dataset',
      citations: [],
      content: {
        type: 'text',
        text: t(question.language, 'none', {
          dataset: best.dataset.name,
          filters: filterWords(best.dataset, best.filters),
        }),
      },
    }
  }
  // Ten rows in all (one of them "More results"), shared out between the sections in order of match.
  let room = LIST_LIMITS.rows - (moreId ? 1 : 0)
  const shown = withRows.map((section, i) => {
    const share = Math.max(1, Math.floor(room / (withRows.length - i)))
    const rows = section.rows.slice(0, Math.min(share, room))
    room -= rows.length
    return { ...section, rows }
  })
  const kept = shown.filter((s) => s.rows.length)
  const count = kept.reduce((sum, s) => sum + s.rows.length, 0)
  const lead = kept[0]
  const body = clip(
    t(question.language, moreId ? 'found_more' : count === 1 ? 'found_one' : 'found', {
      count,
      dataset: lead.dataset.name,
      filters: filterWords(lead.dataset, lead.filters),
    }),
    LIST_LIMITS.body
  )
  const citations: DataAnswer['citations'] = []
  const sectionsOut = kept.map((section) => ({
    title: clip(section.dataset.name, LIST_LIMITS.sectionTitle),
    rows: section.rows.map((row) => {
      const title = rowTitle(section.dataset, row)
      const description = rowDescription(section.dataset, row)
      citations.push({
        n: citations.length + 1,
        chunkId: rowChoiceId(section.dataset.id, row.id),
        sourceId: section.dataset.id,
        title: `${section.dataset.name}: ${title}`,
        headingPath: [],
        page: null,
        url: null,
        quote: description,
      })
      return {
        id: rowChoiceId(section.dataset.id, row.id),
        title: clip(title, LIST_LIMITS.rowTitle),
        ...(description ? { description: clip(description, LIST_LIMITS.rowDescription) } : {}),
      }
    }),
  }))
  // Web chat shows the rows as cards (image, title, the shown values, a link);
  // WhatsApp never sees them.
  const cards = kept.flatMap((section) =>
    section.rows.map((row) => rowAsCard(section.dataset, row))
  )
  if (moreId) {
    sectionsOut[0].rows.push({
      id: moreId,
      title: clip(t(question.language, 'more'), LIST_LIMITS.rowTitle),
      description: clip(t(question.language, 'more_description'), LIST_LIMITS.rowDescription),
    })
  }
  return {
    mode: 'dataset',
    citations,
    content: {
      type: 'list',
      body,
      button: clip(t(question.language, 'button'), LIST_LIMITS.button),
      sections: sectionsOut,
      cards,
    },
  }
}

async function customerDatasets(tenant: TenantContext, all = false) {
  const result = await tenant.transaction((trx) =>
    trx.rawQuery(
      `select id from datasets where ${all ? 'true' : 'answers_customers'} and status = 'ready'
        order by updated_at desc limit ${MAX_DATASETS}`
    )
  )
  const datasets = await Promise.all(
    result.rows.map((row: { id: string }) => findDataset(tenant, row.id))
  )
  return datasets.filter((d): d is Dataset => d !== null)
}

/** A row as a card: its title, and every other shown column on its own line, links last. */
export function rowCard(dataset: Dataset, row: RowRecord) {
  const title = rowTitle(dataset, row)
  const lines = dataset.columns
    .filter((c) => c.shown && c.name !== titleColumn(dataset).name)
    .sort(
      (a, b) =>
        Number(['url', 'image_url'].includes(a.type)) -
        Number(['url', 'image_url'].includes(b.type))
    )
    .map((column) => {
      const value = row.values[column.name] ?? null
      if (value === null || value === '') return ''
      return `${column.name}: ${displayValue(column, value)}`
    })
    .filter(Boolean)
  return { title, lines, text: [`*${title}*`, ...lines].join('\n') }
}

const HTTPS = /^https:\/\/\S+$/

/** A row as a web chat card: its first image and link (https only), its other shown values as lines. */
export function rowAsCard(dataset: Dataset, row: RowRecord): ListCard {
  const title = rowTitle(dataset, row)
  const valueOf = (column: DatasetColumn) => {
    const value = row.values[column.name]
    return value === null || value === undefined ? '' : String(value)
  }
  const shown = dataset.columns.filter((c) => c.shown)
  const image = shown
    .filter((c) => c.type === 'image_url')
    .map(valueOf)
    .find((v) => HTTPS.test(v))
  const link = shown
    .filter((c) => c.type === 'url')
    .map(valueOf)
    .find((v) => HTTPS.test(v))
  const lines = shown
    .filter((c) => c.name !== titleColumn(dataset).name && !['url', 'image_url'].includes(c.type))
    .map((column) => {
      const value = row.values[column.name] ?? null
      if (value === null || value === '') return ''
      return clip(`${column.name}: ${displayValue(column, value)}`, 120)
    })
    .filter(Boolean)
    .slice(0, 6)
  return {
    id: rowChoiceId(dataset.id, row.id),
    title: clip(title, 120),
    image: image ?? null,
    lines,
    link: link ?? null,
  }
}

/** A picked row's details, every shown column on its own line, links last. */
async function rowDetails(
  question: DataQuestion,
  datasetId: string,
  rowId: number,
  usable: (dataset: Dataset | null) => dataset is Dataset
): Promise<DataAnswer | null> {
  const dataset = await findDataset(question.tenant, datasetId)
  // A row of a dataset since closed to customers (or deleted) is not shown.
  if (!usable(dataset)) return null
  const row = await findDatasetRow(question.tenant, dataset, rowId)
  if (!row) {
    return {
      mode: 'dataset',
      citations: [],
      content: { type: 'text', text: t(question.language, 'gone', { dataset: dataset.name }) },
    }
  }
  const { title, lines } = rowCard(dataset, row)
  const text = [`*${title}*`, ...lines, '', t(question.language, 'details_follow_up')].join('\n')
  return {
    mode: 'dataset',
    citations: [
      {
        n: 1,
        chunkId: rowChoiceId(dataset.id, row.id),
        sourceId: dataset.id,
        title: `${dataset.name}: ${title}`,
        headingPath: [],
        page: null,
        url: null,
        quote: lines.join(' · ').slice(0, 500),
      },
    ],
    content: { type: 'text', text: text.slice(0, 4096) },
  }
}
