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
import {
  createConnectorBody,
  testConnectorBody,
  updateConnectorBody,
} from './validators/connector_api_validator.js'
import { AUTH_MODES, CONNECTOR_METHODS, PARAMETER_TYPES } from './services/connector_service.js'

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

/*
| /api/v1/connectors: the live API lookups (list, create, read, change,
| delete, and a test call with sample inputs), under connectors:read and
| connectors:write.
*/
const ConnectorsApiController = () => import('./controllers/api/connectors_api_controller.js')

apiV1(() => {
  const uuid = router.matchers.uuid()
  router
    .get('/connectors', [ConnectorsApiController, 'index'])
    .use(apiScope('connectors:read'))
    .as('connectors.index')
  router
    .post('/connectors', [ConnectorsApiController, 'store'])
    .use(apiScope('connectors:write'))
    .as('connectors.store')
  router
    .get('/connectors/:id', [ConnectorsApiController, 'show'])
    .where('id', uuid)
    .use(apiScope('connectors:read'))
    .as('connectors.show')
  router
    .patch('/connectors/:id', [ConnectorsApiController, 'update'])
    .where('id', uuid)
    .use(apiScope('connectors:write'))
    .as('connectors.update')
  router
    .delete('/connectors/:id', [ConnectorsApiController, 'destroy'])
    .where('id', uuid)
    .use(apiScope('connectors:write'))
    .as('connectors.destroy')
  router
    .post('/connectors/:id/test', [ConnectorsApiController, 'test'])
    .where('id', uuid)
    .use(apiScope('connectors:write'))
    .as('connectors.test')
})

const connectorId = {
  id: { type: 'string', format: 'uuid', description: 'The connector', required: true },
} as const

documentSchema('Connector', {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    description: { type: 'string', description: 'What it answers; the chat model reads it' },
    method: { enum: [...CONNECTOR_METHODS] },
    url_template: {
      type: 'string',
      description: 'The address, with {{parameter}} in its path or query',
    },
    headers: {
      type: 'array',
      items: {
        type: 'object',
        properties: { name: { type: 'string' }, value: { type: 'string' } },
      },
    },
    body_template: { type: ['string', 'null'], description: 'POST only; {{parameter}} filled' },
    auth_mode: { enum: [...AUTH_MODES] },
    auth_name: {
      type: ['string', 'null'],
      description: 'The header or query parameter carrying the key',
    },
    auth_username: { type: ['string', 'null'], description: 'basic auth only' },
    has_secret: {
      type: 'boolean',
      description: 'Whether a key or password is stored (it is never shown)',
    },
    parameters: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          type: { enum: [...PARAMETER_TYPES] },
          pattern: {
            type: ['string', 'null'],
            description: 'A regular expression finding the value in a message',
          },
          required: { type: 'boolean' },
          example: { type: 'string' },
        },
      },
    },
    mapping: {
      type: 'array',
      description: 'Named fields read from the JSON answer by JSONPath',
      items: {
        type: 'object',
        properties: { name: { type: 'string' }, path: { type: 'string' } },
      },
    },
    reply_template: { type: 'string', description: 'The reply, with {{field}} filled' },
    triggers: { type: 'array', items: { type: 'string' } },
    timeout_ms: { type: 'integer' },
    cache_seconds: { type: 'integer' },
    answers_customers: { type: 'boolean' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
})

describeApiTag(
  'Connectors',
  'Live lookups in your own APIs (an order’s status, a booking), called by the assistant'
)

const connectorErrors = [
  {
    status: 422,
    code: 'invalid',
    description:
      'A field does not fit the others (a {{variable}} that is no parameter, a missing secret, a bad JSONPath)',
  },
]

documentApi('connectors.index', {
  summary: 'List connectors',
  description: 'Newest first; the workspace has at most 200.',
  tag: 'Connectors',
  scope: 'connectors:read',
  responses: { 200: { description: 'The connectors', schema: 'Connector', page: true } },
})

documentApi('connectors.store', {
  summary: 'Create a connector',
  description:
    'The call (method, `url_template`, headers, `body_template`), its auth (`auth_mode` ' +
    AUTH_MODES.join(', ') +
    '; `auth_secret` is stored encrypted and never shown), the `parameters` it takes, ' +
    'the `mapping` of its JSON answer to named fields and the `reply_template`.',
  tag: 'Connectors',
  scope: 'connectors:write',
  body: createConnectorBody,
  responses: { 201: { description: 'The connector', schema: 'Connector' } },
  errors: connectorErrors,
})

documentApi('connectors.show', {
  summary: 'Read a connector',
  tag: 'Connectors',
  scope: 'connectors:read',
  params: connectorId,
  responses: { 200: { description: 'The connector', schema: 'Connector' } },
  errors: [{ status: 404, code: 'not_found' }],
})

documentApi('connectors.update', {
  summary: 'Change a connector',
  description:
    'Only the fields sent change. Leave `auth_secret` out to keep the stored one; ' +
    '`clear_secret: true` removes it. Cached answers are forgotten.',
  tag: 'Connectors',
  scope: 'connectors:write',
  params: connectorId,
  body: updateConnectorBody,
  responses: { 200: { description: 'The connector', schema: 'Connector' } },
  errors: [{ status: 404, code: 'not_found' }, ...connectorErrors],
})

documentApi('connectors.destroy', {
  summary: 'Delete a connector',
  tag: 'Connectors',
  scope: 'connectors:write',
  params: connectorId,
  responses: { 204: { description: 'Deleted' } },
  errors: [{ status: 404, code: 'not_found' }],
})

documentApi('connectors.test', {
  summary: 'Test a connector',
  description:
    'Calls the API now with `inputs` (by parameter name), through the outbound guard and ' +
    'uncached. A failed call is still 200, with `ok: false` and `error` saying why ' +
    '(missing_parameter, invalid_parameter, blocked_address, timeout, fetch_failed, ' +
    'http_error, bad_json, too_large).',
  tag: 'Connectors',
  scope: 'connectors:write',
  params: connectorId,
  body: testConnectorBody,
  responses: {
    200: {
      description: 'The request as sent (secret masked) and the mapped result',
      schema: {
        type: 'object',
        properties: {
          ok: { type: 'boolean' },
          error: {
            type: ['object', 'null'],
            properties: { code: { type: 'string' }, message: { type: 'string' } },
          },
          request: {
            type: 'object',
            properties: {
              method: { type: 'string' },
              url: { type: 'string' },
              headers: { type: 'object', additionalProperties: { type: 'string' } },
              body: { type: ['string', 'null'] },
            },
          },
          status: { type: ['integer', 'null'], description: 'The API’s HTTP status' },
          fields: {
            type: 'object',
            additionalProperties: { description: 'A mapped value (null: not found)' },
          },
          reply: { type: ['string', 'null'] },
          duration_ms: { type: 'integer' },
        },
      },
    },
  },
  errors: [{ status: 404, code: 'not_found' }],
})
