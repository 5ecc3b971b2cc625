/*
| The data engine's REST API (/api/v1/datasets): datasets made and filled
| by programs, their rows a page at a time, and natural-language search.
| Each route is documented beside it for the OpenAPI reference.
*/
import router from '@adonisjs/core/services/router'
import { describeApiTag, documentApi, documentSchema } from '#app/http/api/index'
import { apiScope, apiV1 } from '#app/http/api/routes'
import { COLUMN_TYPES } from './services/column_types.js'
import { FILTER_OPS } from './services/row_table.js'
import { createDatasetBody, searchBody, writeRowsBody } from './validators/dataset_api_validator.js'

const DatasetsApiController = () => import('./controllers/api/datasets_api_controller.js')

apiV1(() => {
  const uuid = router.matchers.uuid()
  router
    .get('/datasets', [DatasetsApiController, 'index'])
    .use(apiScope('datasets:read'))
    .as('datasets.index')
  router
    .post('/datasets', [DatasetsApiController, 'store'])
    .use(apiScope('datasets:write'))
    .as('datasets.store')
  router
    .get('/datasets/:id', [DatasetsApiController, 'show'])
    .where('id', uuid)
    .use(apiScope('datasets:read'))
    .as('datasets.show')
  router
    .delete('/datasets/:id', [DatasetsApiController, 'destroy'])
    .where('id', uuid)
    .use(apiScope('datasets:write'))
    .as('datasets.destroy')
  router
    .get('/datasets/:id/rows', [DatasetsApiController, 'rows'])
    .where('id', uuid)
    .use(apiScope('datasets:read'))
    .as('datasets.rows.index')
  router
    .post('/datasets/:id/rows', [DatasetsApiController, 'writeRows'])
    .where('id', uuid)
    .use(apiScope('datasets:write'))
    .as('datasets.rows.write')
  router
    .post('/datasets/:id/search', [DatasetsApiController, 'search'])
    .where('id', uuid)
    .use(apiScope('datasets:read'))
    .as('datasets.search')
})

const datasetId = {
  id: { type: 'string', format: 'uuid', description: 'The dataset', required: true },
} as const

const filterSchema = {
  type: 'object',
  properties: {
    column: { type: 'string' },
    op: { enum: [...FILTER_OPS] },
    value: { description: 'A number, text, true/false, or [low, high] for between, a list for in' },
  },
}

const rowErrors = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      row: { type: 'integer', description: 'Index of the row in the request (0-based)' },
      column: { type: ['string', 'null'] },
      message: { type: 'string' },
    },
  },
}

documentSchema('Dataset', {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    description: { type: 'string' },
    key_column: { type: ['string', 'null'], description: 'Rows with the same key are updated' },
    status: { enum: ['draft', 'importing', 'ready', 'failed'] },
    row_count: { type: 'integer' },
    size_bytes: { type: 'integer', description: 'Rows and indexes, as the plan counts storage' },
    columns: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          type: { enum: [...COLUMN_TYPES] },
          currency: { type: ['string', 'null'] },
          filterable: { type: 'boolean' },
          searchable: { type: 'boolean' },
          shown: { type: 'boolean' },
          synonyms: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
})

describeApiTag(
  'Datasets',
  'Your own tables (listings, products), filled by upload or API and searched in natural language'
)

documentApi('datasets.index', {
  summary: 'List datasets',
  description: 'Newest first, a page at a time.',
  tag: 'Datasets',
  scope: 'datasets:read',
  responses: { 200: { description: 'A page of datasets', schema: 'Dataset', page: true } },
})

documentApi('datasets.store', {
  summary: 'Create a dataset',
  description:
    '`columns` gives each column a name and type (' +
    COLUMN_TYPES.join(', ') +
    '); without them the columns are guessed from `rows`, which are also written. ' +
    '`key_column` names the column whose value identifies a row for upserts.',
  tag: 'Datasets',
  scope: 'datasets:write',
  body: createDatasetBody,
  responses: {
    201: {
      description: 'The dataset (with inserted, updated and errors when rows were sent)',
      schema: 'Dataset',
    },
  },
  errors: [{ status: 422, code: 'invalid', description: 'A column or the key column is wrong' }],
})

documentApi('datasets.show', {
  summary: 'Read a dataset',
  tag: 'Datasets',
  scope: 'datasets:read',
  params: datasetId,
  responses: { 200: { description: 'The dataset', schema: 'Dataset' } },
  errors: [{ status: 404, code: 'not_found' }],
})

documentApi('datasets.destroy', {
  summary: 'Delete a dataset',
  description: 'The dataset, its rows and their indexes.',
  tag: 'Datasets',
  scope: 'datasets:write',
  params: datasetId,
  responses: { 204: { description: 'Deleted' } },
  errors: [{ status: 404, code: 'not_found' }],
})

documentApi('datasets.rows.index', {
  summary: 'List rows',
  description: 'In the order they were added, a page at a time; `_id` is the row’s id.',
  tag: 'Datasets',
  scope: 'datasets:read',
  params: datasetId,
  responses: {
    200: {
      description: 'A page of rows',
      schema: { type: 'object', additionalProperties: { description: 'A value by column name' } },
      page: true,
    },
  },
  errors: [{ status: 404, code: 'not_found' }],
})

documentApi('datasets.rows.write', {
  summary: 'Upsert rows',
  description:
    'Up to 5,000 rows of `{column: value}`. With a key column a row whose key exists is ' +
    'updated, else inserted. Rows that do not fit the columns are not written and are ' +
    'reported in `errors` by their index.',
  tag: 'Datasets',
  scope: 'datasets:write',
  params: datasetId,
  body: writeRowsBody,
  responses: {
    200: {
      description: 'What was written',
      schema: {
        type: 'object',
        properties: {
          inserted: { type: 'integer' },
          updated: { type: 'integer' },
          errors: rowErrors,
        },
      },
    },
  },
  errors: [{ status: 404, code: 'not_found' }],
})

documentApi('datasets.search', {
  summary: 'Search a dataset in natural language',
  description:
    'The query ("2br sea view JLT under 150k", Arabic too) becomes filters read from the ' +
    'dataset’s columns, synonyms and values (`parsed_filters`); `filters` adds your own. The ' +
    'matching rows are ranked by full text and vectors over the searchable columns, fused ' +
    'by reciprocal rank. Filters that cannot apply are left out and listed in `dropped`. ' +
    '`k` is 1 to 50 (10).',
  tag: 'Datasets',
  scope: 'datasets:read',
  params: datasetId,
  body: searchBody,
  responses: {
    200: {
      description: 'The filters understood and the rows, best first',
      schema: {
        type: 'object',
        properties: {
          mode: {
            enum: ['offline', 'model'],
            description: 'model: the configured chat model proposed filters too',
          },
          parsed_filters: { type: 'array', items: filterSchema },
          filters: { type: 'array', items: filterSchema, description: 'All filters applied' },
          dropped: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                text: { type: 'string' },
                reason: { enum: ['not_numeric', 'no_column', 'unknown_column', 'invalid_value'] },
                column: { type: ['string', 'null'] },
              },
            },
          },
          results: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                row: {
                  type: 'object',
                  additionalProperties: { description: 'A value by column name' },
                },
                score: { type: 'number' },
              },
            },
          },
        },
      },
    },
  },
  errors: [{ status: 404, code: 'not_found' }],
})
