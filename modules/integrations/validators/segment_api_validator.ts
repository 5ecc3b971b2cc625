import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { apiBody } from '#app/http/api/index'
import { FILTER_OPS, MAX_CONDITIONS } from '#modules/inbox/index'

const scalarValue = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (value === null || value === undefined) return
  const ok =
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value)) ||
    (typeof value === 'string' && value.length <= 500)
  if (!ok)
    field.report('Give a text of at most 500 characters, a number or true/false', 'scalar', field)
})

/** A text, number or boolean; what fits each field and operator is the inbox's to say. */
const conditionValue = () => vine.any().use(scalarValue()).optional()

/**
 * POST /segments: a name and a contact filter. Each condition's field,
 * operator and value are then checked by the inbox against the
 * workspace's custom fields (errors as filter.conditions.<i>).
 */
export const createSegmentBody = apiBody({
  name: vine.string().trim().minLength(1).maxLength(120),
  filter: vine.object({
    match: vine.enum(['all', 'any'] as const).optional(),
    conditions: vine
      .array(
        vine.object({
          field: vine.string().trim().minLength(1).maxLength(60),
          op: vine.enum(FILTER_OPS),
          value: conditionValue(),
          value2: conditionValue(),
        })
      )
      .maxLength(MAX_CONDITIONS),
  }),
})
