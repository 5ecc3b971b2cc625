import vine from '@vinejs/vine'
import { apiBody } from '#app/http/api/index'
import { COLUMN_TYPES } from '../services/column_types.js'
import { FILTER_OPS } from '../services/row_table.js'
import { MAX_API_ROWS, MAX_COLUMNS } from '../services/dataset_service.js'
import { MAX_K } from '../services/dataset_search.js'

/*
| Request bodies of /api/v1/datasets. Row values are any JSON scalar; the
| dataset's column types read them (and report a row they cannot read).
*/

const rows = vine.array(vine.record(vine.any().optional())).maxLength(MAX_API_ROWS)

export const createDatasetBody = apiBody({
  name: vine.string().trim().minLength(1).maxLength(120),
  description: vine.string().trim().maxLength(2000).optional(),
  key_column: vine.string().trim().maxLength(100).optional(),
  columns: vine
    .array(
      vine.object({
        name: vine.string().trim().minLength(1).maxLength(100),
        type: vine.enum(COLUMN_TYPES).optional(),
        currency: vine.string().trim().maxLength(3).optional(),
        filterable: vine.boolean().optional(),
        searchable: vine.boolean().optional(),
        shown: vine.boolean().optional(),
        synonyms: vine.array(vine.string().trim().maxLength(60)).maxLength(30).optional(),
      })
    )
    .minLength(1)
    .maxLength(MAX_COLUMNS)
    .optional(),
  rows: rows.optional(),
})

export const writeRowsBody = apiBody({ rows })

export const searchBody = apiBody({
  query: vine.string().trim().maxLength(500),
  filters: vine
    .array(
      vine.object({
        column: vine.string().trim().maxLength(100),
        op: vine.enum(FILTER_OPS),
        value: vine.any(),
      })
    )
    .maxLength(20)
    .optional(),
  k: vine.number().withoutDecimals().range([1, MAX_K]).optional(),
})
