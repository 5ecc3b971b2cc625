import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import type aiConfig from '#config/ai'
import { openAiClient } from '#modules/brain/index'
import { NUMERIC_TYPES, type DatasetColumn } from './column_types.js'
import type { Dataset } from './dataset_service.js'
import type { Filter } from './row_table.js'
import { checkFilter, isDropped, type DroppedFilter } from './query_parser.js'

/*
| With a chat model configured, the model reads the question too and
| proposes filters as JSON, held to a JSON Schema made from the dataset's
| columns (their names, the operators each type allows, the values of
| choice columns). Every proposal is checked again here as if typed by a
| stranger; what does not hold is dropped and said.
*/

const MAX_FILTERS = 10

function opsFor(column: DatasetColumn) {
  if (NUMERIC_TYPES.includes(column.type) || column.type === 'date') {
    return ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'between']
  }
  if (column.type === 'boolean') return ['eq']
  if (column.type === 'choice') return ['eq', 'neq', 'in']
  return ['eq', 'neq', 'contains']
}

/** The JSON Schema the model's answer must follow: one branch per filterable column. */
export function filterSchema(columns: DatasetColumn[]) {
  const branches = columns
    .filter((column) => column.filterable)
    .map((column) => {
      const scalar: Record<string, unknown> = NUMERIC_TYPES.includes(column.type)
        ? { type: 'number' }
        : column.type === 'boolean'
          ? { type: 'boolean' }
          : column.type === 'choice' && column.choices.length
            ? { type: 'string', enum: column.choices }
            : { type: 'string' }
      return {
        type: 'object',
        additionalProperties: false,
        required: ['column', 'op', 'value'],
        properties: {
          column: { const: column.name },
          op: { enum: opsFor(column) },
          value: { anyOf: [scalar, { type: 'array', items: scalar, maxItems: 20 }] },
        },
      }
    })
  return {
    type: 'object',
    additionalProperties: false,
    required: ['filters'],
    properties: {
      filters: { type: 'array', maxItems: MAX_FILTERS, items: { anyOf: branches } },
    },
  }
}

function describeColumns(columns: DatasetColumn[]) {
  return columns
    .filter((column) => column.filterable)
    .map((column) => {
      const parts = [
        `- ${column.name} (${column.type}${column.currency ? `, ${column.currency}` : ''})`,
      ]
      if (column.synonyms.length) parts.push(`also called: ${column.synonyms.join(', ')}`)
      if (column.choices.length) parts.push(`values: ${column.choices.slice(0, 50).join(', ')}`)
      return parts.join('; ')
    })
    .join('\n')
}

const FILTER_TIMEOUT_MS = 6_000

/** The model's filters for a question, checked; null without a model or when it fails. */
export async function proposeFilters(
  dataset: Pick<Dataset, 'name' | 'description' | 'columns'>,
  question: string
): Promise<{ filters: Filter[]; dropped: DroppedFilter[] } | null> {
  const config = app.config.get<typeof aiConfig>('ai')
  if (!config.baseUrl || !config.chatModel) return null
  let content: string | null = null
  try {
    // The offline parse answers on its own, so a failing model costs one
    // try, never the client's retries with their back-off, on a customer's reply.
    const client = openAiClient({
      ...config,
      maxRetries: 0,
      timeoutMs: Math.min(config.timeoutMs, FILTER_TIMEOUT_MS),
    })
    const completion = await client.chat.completions.create({
      model: config.chatModel,
      temperature: 0,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'dataset_filters', schema: filterSchema(dataset.columns) },
      },
      messages: [
        {
          role: 'system',
          content:
            'You turn a search request into filters over a table. Answer only JSON ' +
            '{"filters":[{"column","op","value"}]}. Use only the columns listed and only what the ' +
            'request states; amounts as plain numbers (150k is 150000); "under" is lte, "over" ' +
            'and "at least" are gte, "between" gives [low, high]. No filter for words that only ' +
            'describe (those are searched as text).',
        },
        {
          role: 'user',
          content: `Table: ${dataset.name}${dataset.description ? ` — ${dataset.description}` : ''}\nColumns:\n${describeColumns(dataset.columns)}\n\nRequest: ${question.slice(0, 500)}`,
        },
      ],
    })
    content = completion.choices?.[0]?.message?.content ?? null
  } catch (error) {
    logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'datasets: the chat model failed; filters parsed offline only'
    )
    return null
  }
  let reply: unknown
  try {
    reply = JSON.parse(content ?? '')
  } catch {
    logger.warn('datasets: the chat model gave no JSON; filters parsed offline only')
    return null
  }
  const proposed = (reply as any)?.filters
  if (!Array.isArray(proposed)) return null
  const filters: Filter[] = []
  const dropped: DroppedFilter[] = []
  for (const item of proposed.slice(0, MAX_FILTERS)) {
    const checked = checkFilter(dataset.columns, (item ?? {}) as any)
    if (isDropped(checked)) dropped.push(checked)
    else filters.push(checked)
  }
  return { filters, dropped }
}
