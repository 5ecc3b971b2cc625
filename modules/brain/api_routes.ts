/*
| The brain's REST API (/api/v1/brain and /api/v1/tools), for n8n, Zapier
| and any program with an API key: sources in and out, the workspace's own
| search and answers, and the building blocks (conversion, a context
| envelope) for a workflow that runs its own model. Each route is
| documented beside it for the OpenAPI reference.
*/
import router from '@adonisjs/core/services/router'
import { describeApiTag, documentApi, documentSchema } from '#app/http/api/index'
import { apiScope, apiV1 } from '#app/http/api/routes'
import {
  answerBody,
  createSourceBody,
  prepareContextBody,
  searchBody,
  urlToMarkdownBody,
} from './validators/brain_api_validator.js'

const SourcesApiController = () => import('./controllers/api/sources_api_controller.js')
const KnowledgeApiController = () => import('./controllers/api/knowledge_api_controller.js')
const ToolsApiController = () => import('./controllers/api/tools_api_controller.js')

apiV1(() => {
  const uuid = router.matchers.uuid()
  router
    .get('/brain/sources', [SourcesApiController, 'index'])
    .use(apiScope('knowledge:read'))
    .as('brain.sources.index')
  router
    .post('/brain/sources', [SourcesApiController, 'store'])
    .use(apiScope('knowledge:write'))
    .as('brain.sources.store')
  router
    .get('/brain/sources/:id', [SourcesApiController, 'show'])
    .where('id', uuid)
    .use(apiScope('knowledge:read'))
    .as('brain.sources.show')
  router
    .delete('/brain/sources/:id', [SourcesApiController, 'destroy'])
    .where('id', uuid)
    .use(apiScope('knowledge:write'))
    .as('brain.sources.destroy')
  router
    .post('/brain/sources/:id/refetch', [SourcesApiController, 'refetch'])
    .where('id', uuid)
    .use(apiScope('knowledge:write'))
    .as('brain.sources.refetch')
  router
    .post('/brain/search', [KnowledgeApiController, 'search'])
    .use(apiScope('knowledge:read'))
    .as('brain.search')
  router
    .post('/brain/answer', [KnowledgeApiController, 'answer'])
    .use(apiScope('knowledge:read'))
    .as('brain.answer')
  router
    .post('/tools/convert/file-to-md', [ToolsApiController, 'fileToMarkdown'])
    .use(apiScope('knowledge:read'))
    .as('tools.convert.file')
  router
    .post('/tools/convert/url-to-md', [ToolsApiController, 'urlToMarkdown'])
    .use(apiScope('knowledge:read'))
    .as('tools.convert.url')
  router
    .post('/tools/prepare/context', [ToolsApiController, 'prepareContext'])
    .use(apiScope('knowledge:read'))
    .as('tools.prepare.context')
})

const sourceId = {
  id: { type: 'string', format: 'uuid', description: 'The source', required: true },
} as const

const string = { type: 'string' }
const nullableString = { type: ['string', 'null'] }
const nullableInteger = { type: ['integer', 'null'] }
const headingFields = {
  chunk_id: { type: 'string', format: 'uuid' },
  source_id: { type: 'string', format: 'uuid' },
  title: string,
  heading: { ...nullableString, description: 'The innermost heading above the passage' },
  heading_path: { type: 'array', items: string },
  page: { ...nullableInteger, description: 'PDF page the passage starts on' },
  url: { ...nullableString, description: 'The web page, for URL sources' },
}

documentSchema('BrainSource', {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    kind: { enum: ['file', 'url', 'text', 'faq'] },
    title: string,
    tags: { type: 'array', items: string },
    language: { enum: ['english', 'arabic', 'simple'] },
    status: { enum: ['queued', 'processing', 'ready', 'failed'] },
    progress: { type: 'integer', minimum: 0, maximum: 100 },
    stage: {
      type: ['string', 'null'],
      enum: ['converting', 'chunking', 'embedding', 'saving', null],
    },
    version: { type: 'integer', description: 'Bumped by every re-upload or refetch' },
    live_version: {
      ...nullableInteger,
      description: 'The version searches answer from (null until the first is ready)',
    },
    chunk_count: { type: 'integer' },
    page_count: nullableInteger,
    file_name: nullableString,
    file_mime: nullableString,
    file_size: nullableInteger,
    url: nullableString,
    final_url: nullableString,
    ingested_at: { ...nullableString, format: 'date-time' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    error: {
      type: ['object', 'null'],
      description: 'Why ingestion failed (status failed), else null',
      properties: { code: string, message: string },
    },
  },
})

documentSchema('BrainPassage', {
  type: 'object',
  properties: { ...headingFields, text: string, score: { type: 'number' } },
})

const conversionResult = {
  type: 'object',
  properties: {
    title: nullableString,
    markdown: { type: 'string', description: 'PDFs mark each page with <!-- page: N -->' },
    pages: { ...nullableInteger, description: 'PDFs only' },
    language: { enum: ['english', 'arabic', 'simple'] },
  },
}

const sourceErrors = [
  {
    status: 402,
    code: 'plan_limit_reached',
    description: "More than the plan's knowledge storage (`limit`: knowledge_bytes)",
  },
  { status: 413, code: 'too_large', description: 'Larger than the size limit' },
  {
    status: 422,
    code: 'unsupported_type',
    description: 'Not PDF, DOCX, HTML, Markdown, text or CSV',
  },
  { status: 422, code: 'invalid_url', description: 'Not an http(s) address' },
  { status: 422, code: 'empty', description: 'Nothing to learn from' },
]

describeApiTag(
  'Knowledge',
  'What the assistant knows: sources (files, web pages, text, FAQs) and searches and answers over them'
)
describeApiTag(
  'Tools',
  'Conversions and context for your own AI steps (n8n, Zapier): nothing is stored'
)

documentApi('brain.sources.index', {
  summary: 'List knowledge sources',
  description: 'Newest first, a page at a time.',
  tag: 'Knowledge',
  scope: 'knowledge:read',
  query: {
    status: {
      type: 'string',
      enum: ['queued', 'processing', 'ready', 'failed'],
      description: 'Only sources in this state',
    },
    kind: {
      type: 'string',
      enum: ['file', 'url', 'text', 'faq'],
      description: 'Only sources of this kind',
    },
    tag: { type: 'string', description: 'Only sources with this tag' },
  },
  responses: { 200: { description: 'A page of sources', schema: 'BrainSource', page: true } },
})

documentApi('brain.sources.store', {
  summary: 'Add a knowledge source',
  description:
    'A multipart upload (field `file`, optional `title` and `tags`), or JSON: `{url}` for a web ' +
    'page, `{title, text}` for pasted text, or `{title, pairs: [{question, answer}]}` for an FAQ. ' +
    'Answers 202 with the queued source; poll GET /brain/sources/{id} until it is ready or failed.',
  tag: 'Knowledge',
  scope: 'knowledge:write',
  body: createSourceBody,
  multipart: {
    file: { description: 'PDF, DOCX, HTML, Markdown, text or CSV', binary: true, required: true },
    title: { description: 'The title (else the document’s own)' },
    tags: { description: 'Tags, repeated or comma-separated' },
  },
  idempotent: true,
  responses: { 202: { description: 'Queued for ingestion', schema: 'BrainSource' } },
  errors: sourceErrors,
})

documentApi('brain.sources.show', {
  summary: 'Read a knowledge source',
  description: 'Its status, progress, version, chunk count and, when it failed, why.',
  tag: 'Knowledge',
  scope: 'knowledge:read',
  params: sourceId,
  responses: { 200: { description: 'The source', schema: 'BrainSource' } },
  errors: [{ status: 404, code: 'not_found' }],
})

documentApi('brain.sources.destroy', {
  summary: 'Delete a knowledge source',
  description: 'The source, its stored file and all its passages go in one transaction.',
  tag: 'Knowledge',
  scope: 'knowledge:write',
  params: sourceId,
  responses: { 204: { description: 'Deleted' } },
  errors: [{ status: 404, code: 'not_found' }],
})

documentApi('brain.sources.refetch', {
  summary: 'Ingest a source again',
  description:
    'A web page is fetched anew, other kinds re-read. Searches keep answering from the ' +
    'current version until the new one is ready.',
  tag: 'Knowledge',
  scope: 'knowledge:write',
  params: sourceId,
  responses: { 202: { description: 'Queued', schema: 'BrainSource' } },
  errors: [{ status: 404, code: 'not_found' }],
})

documentApi('brain.search', {
  summary: 'Search the knowledge',
  description:
    'Hybrid retrieval (full text and vectors, fused by reciprocal rank), the same the ' +
    'workspace and the assistant use. `k` is 1 to 50 (5).',
  tag: 'Knowledge',
  scope: 'knowledge:read',
  body: searchBody,
  responses: {
    200: {
      description: 'Passages, best first',
      schema: {
        type: 'object',
        properties: {
          results: { type: 'array', items: { $ref: '#/components/schemas/BrainPassage' } },
        },
      },
    },
  },
})

documentApi('brain.answer', {
  summary: 'Answer a question from the knowledge',
  description:
    'An answer with numbered citations, by the configured chat model or, without one, by ' +
    'quoting the best passages (`mode`). When the knowledge does not cover the question the ' +
    'answer says so and `handoff` is true. With `contact_id` (the key also needs contacts:read) ' +
    'what is remembered about the contact is used.',
  tag: 'Knowledge',
  scope: 'knowledge:read',
  body: answerBody,
  responses: {
    200: {
      description: 'The answer',
      schema: {
        type: 'object',
        properties: {
          answer: string,
          citations: {
            type: 'array',
            items: {
              type: 'object',
              properties: { n: { type: 'integer' }, ...headingFields, quote: string },
            },
          },
          confidence: { type: 'number', minimum: 0, maximum: 1 },
          handoff: { type: 'boolean' },
          mode: { enum: ['llm', 'extractive'] },
          reason: {
            type: ['string', 'null'],
            enum: ['not_covered', 'low_confidence', 'no_knowledge', 'model_error', null],
          },
        },
      },
    },
  },
  errors: [
    { status: 404, code: 'contact_not_found' },
    {
      status: 402,
      code: 'plan_limit_reached',
      description: "Past the plan's AI answers this month (`limit`: ai_answers)",
    },
  ],
})

documentApi('tools.convert.file', {
  summary: 'Convert a document to Markdown',
  description: 'PDF, DOCX, HTML, Markdown, text or CSV; nothing is stored.',
  tag: 'Tools',
  scope: 'knowledge:read',
  multipart: { file: { description: 'The document', binary: true, required: true } },
  responses: { 200: { description: 'The Markdown', schema: conversionResult } },
  errors: [
    { status: 413, code: 'too_large' },
    { status: 422, code: 'unsupported_type' },
    { status: 422, code: 'corrupt' },
    { status: 422, code: 'encrypted', description: 'Password-protected' },
    { status: 422, code: 'too_many_pages' },
  ],
})

documentApi('tools.convert.url', {
  summary: 'Convert a web page to Markdown',
  description:
    'Fetched as URL sources are (no private or local addresses, size and time limits), its ' +
    'main content kept; nothing is stored.',
  tag: 'Tools',
  scope: 'knowledge:read',
  body: urlToMarkdownBody,
  responses: {
    200: {
      description: 'The Markdown',
      schema: {
        ...conversionResult,
        properties: {
          ...conversionResult.properties,
          final_url: { type: 'string', description: 'After redirects' },
        },
      },
    },
  },
  errors: [
    { status: 422, code: 'invalid_url' },
    { status: 422, code: 'blocked_address', description: 'A private or local address' },
    { status: 422, code: 'not_html' },
    { status: 502, code: 'fetch_failed' },
    { status: 504, code: 'timeout' },
  ],
})

documentApi('tools.prepare.context', {
  summary: 'Prepare a prompt context',
  description:
    'Retrieved passages and, with `contact_id` (the key also needs contacts:read), the ' +
    'contact’s memory, as data and as one text ready to paste into a prompt. `k` is 1 to 20 (5).',
  tag: 'Tools',
  scope: 'knowledge:read',
  body: prepareContextBody,
  responses: {
    200: {
      description: 'The context envelope',
      schema: {
        type: 'object',
        properties: {
          query: string,
          passages: { type: 'array', items: { $ref: '#/components/schemas/BrainPassage' } },
          memory: {
            type: ['object', 'null'],
            properties: {
              summary: nullableString,
              facts: {
                type: 'array',
                items: { type: 'object', properties: { kind: string, value: string } },
              },
            },
          },
          text: string,
        },
      },
    },
  },
  errors: [{ status: 404, code: 'contact_not_found' }],
})
