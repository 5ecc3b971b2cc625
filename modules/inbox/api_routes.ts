/*
| The inbox's own REST API routes: CSV import and export of contacts
| (the contacts resource itself is served by integrations). Registered
| before integrations' /contacts/:id so the fixed paths win.
*/
import router from '@adonisjs/core/services/router'
import { documentApi, documentSchema } from '#app/http/api/index'
import { apiScope, apiV1 } from '#app/http/api/routes'
import { BUILT_IN_TARGETS, ROW_ERROR_CODES } from './services/contact_import_rows.js'

const ContactImportsApiController = () =>
  import('./controllers/api/contact_imports_api_controller.js')

apiV1(() => {
  router
    .post('/contacts/import', [ContactImportsApiController, 'store'])
    .use(apiScope('contacts:write'))
    .as('contacts.import')
  router
    .get('/contacts/imports/:id', [ContactImportsApiController, 'show'])
    .where('id', router.matchers.uuid())
    .use(apiScope('contacts:read'))
    .as('contacts.imports.show')
  router
    .get('/contacts/export', [ContactImportsApiController, 'export'])
    .use(apiScope('contacts:read'))
    .as('contacts.export')
})

documentSchema('ContactImport', {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    status: { enum: ['queued', 'running', 'done', 'failed'] },
    file_name: { type: 'string' },
    mapping: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Each column header to the field it fills',
    },
    default_country: { type: ['string', 'null'] },
    label: { type: ['string', 'null'] },
    counts: {
      type: 'object',
      properties: {
        total: {
          type: ['integer', 'null'],
          description: 'Data rows in the file (an estimate until done)',
        },
        processed: { type: 'integer', description: 'Data rows read and written so far' },
        created: { type: 'integer' },
        updated: {
          type: 'integer',
          description: 'Rows merged into a stored contact with the same phone',
        },
        repeated: {
          type: 'integer',
          description: 'Rows merged into an earlier row of the file with the same phone',
        },
        errors: { type: 'integer', description: 'Rows refused' },
      },
    },
    errors: {
      type: 'array',
      description: 'The first 1,000 refused cells, in file order',
      items: {
        type: 'object',
        properties: {
          row: { type: 'integer', description: 'The row as a spreadsheet numbers it (header = 1)' },
          column: { type: ['string', 'null'] },
          code: { enum: [...ROW_ERROR_CODES] },
          value: { type: ['string', 'null'] },
        },
      },
    },
    failure: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    started_at: { type: ['string', 'null'], format: 'date-time' },
    finished_at: { type: ['string', 'null'], format: 'date-time' },
  },
})

const targets = ['ignore', ...BUILT_IN_TARGETS, 'attr.<custom field key>'].join(', ')

documentApi('contacts.import', {
  summary: 'Import contacts from a CSV file',
  description:
    'Multipart: `file` (CSV with a header row, UTF-8, comma, semicolon or tab separated, at most ' +
    '50 MB), `mapping` (a JSON object of column header to field: ' +
    targets +
    '; columns left out are ignored; without it the columns are guessed from English and ' +
    'Arabic headers), `default_country` (ISO code for numbers written without a country ' +
    'code) and `label` (a tag added to every imported contact). Phones become E.164; rows ' +
    'are merged by phone, within the file and with existing contacts: given values replace, ' +
    'empty cells change nothing, tags are added, an opt-out is never undone; marketing ' +
    'consent is recorded with source `import`. Answers 202; poll GET /contacts/imports/{id}.',
  tag: 'Contacts',
  scope: 'contacts:write',
  multipart: {
    file: { description: 'The CSV file', binary: true, required: true },
    mapping: { description: 'JSON object: column header to field' },
    default_country: { description: 'ISO 3166 code, e.g. AE' },
    label: { description: 'A tag for every imported contact' },
  },
  responses: {
    202: {
      description: 'Queued',
      schema: 'ContactImport',
      headers: { Location: 'The import’s status address' },
    },
  },
  errors: [
    { status: 413, code: 'file_too_large' },
    { status: 422, code: 'invalid_file', description: 'Not a CSV with a header row' },
    {
      status: 422,
      code: 'invalid_mapping',
      description:
        'Unknown field, a field twice, no phone column or a required custom field left out',
    },
    { status: 422, code: 'invalid_country' },
    { status: 422, code: 'invalid_label' },
  ],
})

documentApi('contacts.imports.show', {
  summary: 'Read an import’s status',
  description: 'Status, counts and the first refused rows with their reasons.',
  tag: 'Contacts',
  scope: 'contacts:read',
  params: { id: { type: 'string', format: 'uuid', description: 'The import', required: true } },
  responses: { 200: { description: 'The import', schema: 'ContactImport' } },
  errors: [{ status: 404, code: 'not_found' }],
})

documentApi('contacts.export', {
  summary: 'Export contacts as CSV',
  description:
    'text/csv (UTF-8 with a byte order mark, so Excel shows Arabic), streamed: every contact ' +
    'matching the filters, oldest first, with tags, conversation labels, language, time zone, ' +
    'consent per purpose with source and time, and a column per custom field. The headers are ' +
    'the ones the import recognises.',
  tag: 'Contacts',
  scope: 'contacts:read',
  query: {
    q: { type: 'string', description: 'Search in name, phone and e-mail' },
    tag: { type: 'string', description: 'Contacts with this tag' },
    opt_in: {
      type: 'string',
      enum: ['unknown', 'opted_in', 'opted_out'],
      description: 'Service consent',
    },
    segment_id: { type: 'string', format: 'uuid', description: 'Only a segment’s contacts' },
  },
  responses: {
    200: { description: 'The CSV file', mediaType: 'text/csv', schema: { type: 'string' } },
  },
  errors: [{ status: 404, code: 'not_found', description: 'Unknown segment' }],
})
