/*
| The segment editor's view model: the rows of conditions (with an empty
| one to add to), the choices of field and operator, and the problems the
| inbox found, as translated messages by row.
*/
import type { HttpContext } from '@adonisjs/core/http'
import {
  FILTER_OPS,
  type ContactField,
  type ContactFilter,
  type FilterProblem,
} from '#modules/inbox/index'

const BUILT_IN_FIELDS = [
  'tag',
  'label',
  'marketing_consent',
  'opt_in',
  'channel',
  'conversation_status',
  'last_inbound',
  'last_outbound',
] as const

export const MIN_ROWS = 3

export function editorView(
  ctx: HttpContext,
  options: {
    filter: ContactFilter
    fields: ContactField[]
    problems: Record<number, FilterProblem>
    extraRow?: boolean
  }
) {
  const t = (key: string, data?: Record<string, unknown>) => ctx.i18n.t(key, data)
  const { filter, fields, problems } = options
  const rows: Array<{
    index: number
    field: string
    op: string
    value: string
    value2: string
    problem: string | null
  }> = filter.conditions.map((condition, index) => ({
    index,
    field: condition.field,
    op: condition.op,
    value: condition.value === null || condition.value === undefined ? '' : String(condition.value),
    value2:
      condition.value2 === null || condition.value2 === undefined ? '' : String(condition.value2),
    problem: problems[index] ? t(`pulse.segments.problems.${problems[index]}`) : null,
  }))
  const wanted = Math.max(
    MIN_ROWS,
    rows.length + (options.extraRow || rows.length >= MIN_ROWS ? 1 : 0)
  )
  while (rows.length < wanted) {
    rows.push({ index: rows.length, field: '', op: '', value: '', value2: '', problem: null })
  }
  return {
    match: filter.match,
    rows,
    fieldChoices: [
      { value: '', label: t('pulse.segments.pick_field') },
      ...BUILT_IN_FIELDS.map((field) => ({
        value: field,
        label: t(`pulse.segments.fields.${field}`),
      })),
      ...fields.map((field) => ({ value: `attr.${field.key}`, label: field.label })),
    ],
    opChoices: FILTER_OPS.map((op) => ({ value: op, label: t(`pulse.segments.ops.${op}`) })),
    tooMany: problems[20] === 'too_many',
  }
}
