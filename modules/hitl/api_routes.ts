/*
| The tasks API (/api/v1/tasks) for n8n, Zapier and any program with a key,
| documented beside its routes for the OpenAPI reference, and the task's
| single-use resume link (/webhooks/tasks/<slug>/<token>), which needs no
| key: its token is the credential.
*/
import router from '@adonisjs/core/services/router'
import { describeApiTag, documentApi, documentSchema } from '#app/http/api/index'
import { apiScope, apiV1 } from '#app/http/api/routes'
import { createTaskBody, resolveTaskBody, cancelTaskBody } from './validators/task_validator.js'
import { componentJsonSchema } from './services/components.js'
import { ON_TIMEOUT, SOURCE_TYPES, TASK_PRIORITIES, TASK_STATUSES } from './models/task.js'

const TasksApiController = () => import('./controllers/api/tasks_api_controller.js')
const TaskResumeController = () => import('./controllers/task_resume_controller.js')
const QuotesApiController = () => import('./controllers/api/quotes_api_controller.js')

apiV1(() => {
  const uuid = router.matchers.uuid()
  router.get('/tasks', [TasksApiController, 'index']).use(apiScope('tasks:read')).as('tasks.index')
  router
    .post('/tasks', [TasksApiController, 'store'])
    .use(apiScope('tasks:write'))
    .as('tasks.store')
  router
    .get('/tasks/:id', [TasksApiController, 'show'])
    .where('id', uuid)
    .use(apiScope('tasks:read'))
    .as('tasks.show')
  router
    .post('/tasks/:id/resolve', [TasksApiController, 'resolve'])
    .where('id', uuid)
    .use(apiScope('tasks:write'))
    .as('tasks.resolve')
  router
    .post('/tasks/:id/cancel', [TasksApiController, 'cancel'])
    .where('id', uuid)
    .use(apiScope('tasks:write'))
    .as('tasks.cancel')
  router
    .post('/quotes/analyze', [QuotesApiController, 'analyze'])
    .use(apiScope('tasks:write'))
    .as('quotes.analyze')
  router
    .get('/quotes/runs/:id', [QuotesApiController, 'run'])
    .where('id', uuid)
    .use(apiScope('tasks:read'))
    .as('quotes.runs.show')
})

router
  .post('/webhooks/tasks/:slug/:token', [TaskResumeController, 'resume'])
  .as('hitl.tasks.resume')

const string = { type: 'string' }
const nullableString = { type: ['string', 'null'] }
const time = { type: 'string', format: 'date-time' }
const nullableTime = { type: ['string', 'null'], format: 'date-time' }

documentSchema('TaskComponent', componentJsonSchema())

documentSchema('Task', {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    kind: {
      ...string,
      description: 'Your name for the kind of task (reply_approval, quote_review…)',
    },
    title: string,
    description: { ...nullableString, description: 'Markdown' },
    status: { enum: TASK_STATUSES },
    priority: { enum: TASK_PRIORITIES },
    due_at: nullableTime,
    expires_at: nullableTime,
    on_timeout: { enum: ON_TIMEOUT },
    assignee: {
      type: ['object', 'null'],
      description: 'A member or a role; null when unassigned',
      properties: { user_id: { type: ['string', 'null'], format: 'uuid' }, role: nullableString },
    },
    contact_id: { type: ['string', 'null'], format: 'uuid' },
    conversation_id: { type: ['string', 'null'], format: 'uuid' },
    components: { type: 'array', items: { $ref: '#/components/schemas/TaskComponent' } },
    action: {
      type: 'object',
      properties: {
        type: { enum: ['callback', 'send_message', 'none'] },
        text_from: {
          ...string,
          description: 'send_message: the editable_text whose value is sent',
        },
      },
    },
    allowed: {
      type: 'object',
      properties: {
        edit: { type: 'boolean' },
        reject_reasons: { type: 'array', items: string },
      },
    },
    response: {
      type: ['object', 'null'],
      description: 'The decision, once made',
      properties: {
        decision: { enum: ['approved', 'rejected', 'expired', 'cancelled'] },
        values: { type: 'object', description: 'The submitted values by component name' },
        original_values: {
          type: 'object',
          description: 'The values as the task proposed them (the AI’s)',
        },
        edited: {
          type: 'array',
          items: string,
          description: 'Names of the values the person changed',
        },
        reason: nullableString,
        comment: nullableString,
        by: {
          type: 'object',
          properties: {
            type: { enum: ['user', 'api', 'system', 'link'] },
            id: nullableString,
            name: nullableString,
          },
        },
        at: time,
        message_id: {
          type: ['string', 'null'],
          description: 'send_message: the message approval sent',
        },
      },
    },
    source: {
      type: 'object',
      properties: { type: { enum: SOURCE_TYPES }, ref: nullableString },
    },
    callback_url: nullableString,
    created_at: time,
    resolved_at: nullableTime,
  },
})

describeApiTag(
  'Tasks',
  'Human approval: a task built from components (text, an editable draft, choices, a table…) ' +
    'that a person approves, edits, or rejects in the task inbox; the answer comes back by ' +
    'a signed callback, a webhook event or polling'
)

const taskId = {
  id: { type: 'string', format: 'uuid', description: 'The task', required: true },
} as const

documentApi('tasks.index', {
  summary: 'List tasks',
  description: 'Newest first, a page at a time.',
  tag: 'Tasks',
  scope: 'tasks:read',
  query: {
    status: { type: 'string', enum: TASK_STATUSES, description: 'Only tasks in this state' },
    kind: { type: 'string', description: 'Only tasks of this kind' },
    contact_id: { type: 'string', description: 'Only tasks about this contact' },
    assignee: {
      type: 'string',
      description: 'A member’s user id, a role (owner, admin, agent), or none for unassigned',
    },
  },
  responses: { 200: { description: 'A page of tasks', schema: 'Task', page: true } },
})

documentApi('tasks.store', {
  summary: 'Open a task',
  description:
    'Components tell the task inbox what to show; an unknown type, a missing required ' +
    'property or an oversized value is 422 naming the component and the field ' +
    '(`components.<index>.<field>`), and nothing is stored. With `callback_url`, the answer ' +
    'carries `callback_secret` (shown once): the callback is signed with it as webhooks are ' +
    '(`X-FloMastr-Signature: t=…,v1=…`). `resume_url` is a single-use link that resolves the ' +
    'task with a POST `{decision, values?, comment?}` and no API key.',
  tag: 'Tasks',
  scope: 'tasks:write',
  body: createTaskBody,
  bodyFields: {
    components:
      'The components, in order: a list of TaskComponent (schema below), each {type, name?, label?, …}',
    action:
      '{type: callback | send_message | none}; send_message may name text_from, the editable_text sent',
    assignee: '{user_id} of a member, or {role} (owner, admin, agent); none means unassigned',
  },
  idempotent: true,
  responses: {
    201: {
      description: 'Opened (status pending)',
      schema: {
        allOf: [
          { $ref: '#/components/schemas/Task' },
          {
            type: 'object',
            properties: {
              callback_secret: { ...nullableString, description: 'Signs the callback; shown once' },
              resume_url: { ...string, description: 'Single-use link that resolves the task' },
            },
          },
        ],
      },
    },
  },
  errors: [
    { status: 422, code: 'invalid_component', description: 'A component is wrong: fields name it' },
    { status: 404, code: 'contact_not_found' },
    { status: 404, code: 'conversation_not_found' },
  ],
})

documentApi('tasks.show', {
  summary: 'Read a task',
  description: 'Its components, status and, once decided, the response.',
  tag: 'Tasks',
  scope: 'tasks:read',
  params: taskId,
  responses: { 200: { description: 'The task', schema: 'Task' } },
  errors: [{ status: 404, code: 'not_found' }],
})

documentApi('tasks.resolve', {
  summary: 'Resolve a task',
  description:
    'For a decision made elsewhere (Slack through n8n). `values` holds edited values by ' +
    'component name. A task resolves once: a second decision is 409 task_already_resolved. ' +
    'Approving a send_message task outside the 24-hour window needs `template`.',
  tag: 'Tasks',
  scope: 'tasks:write',
  params: taskId,
  body: resolveTaskBody,
  responses: { 200: { description: 'The resolved task', schema: 'Task' } },
  errors: [
    { status: 404, code: 'not_found' },
    { status: 409, code: 'task_already_resolved' },
    {
      status: 422,
      code: 'window_closed',
      description: 'Outside the 24-hour window: give a template',
    },
    { status: 422, code: 'contact_opted_out' },
    { status: 422, code: 'edit_not_allowed' },
  ],
})

documentApi('tasks.cancel', {
  summary: 'Cancel a task',
  description: 'When the answer is no longer needed. The callback says cancelled.',
  tag: 'Tasks',
  scope: 'tasks:write',
  params: taskId,
  body: cancelTaskBody,
  responses: { 200: { description: 'The cancelled task', schema: 'Task' } },
  errors: [
    { status: 404, code: 'not_found' },
    { status: 409, code: 'task_already_resolved' },
  ],
})

const quoteRunSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['queued', 'running', 'done', 'failed'] },
    done: { type: 'integer', description: 'Quotes read so far' },
    total: { type: 'integer', description: 'Quotes sent' },
    contact_id: { type: ['string', 'null'] },
    language: { type: 'string', enum: ['en', 'ar'] },
    task_id: { type: ['string', 'null'], description: 'The comparison task, once done' },
    error: { type: ['string', 'null'], description: 'Why it failed (e.g. a file is not a PDF)' },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const

documentApi('quotes.analyze', {
  summary: 'Analyze insurer quotes',
  description:
    'Multipart form: `files` (2 to 6 quote PDFs, 10 MB each), `contact_id` (optional: approving ' +
    "sends the summary to this contact) and `language` (en or ar, for the task's labels and " +
    'summary). Each quote is read offline from its text (labelled lines and simple tables, ' +
    'English and Arabic labels): insurer, product, premium and currency, period, coverage limit, ' +
    'deductible, main exclusions, each with the page it came from; a field it could not read is ' +
    '`missing: true` with a null value, never guessed. Opens a `quote_comparison` task: a table ' +
    '(best value highlighted), the PDFs as documents (their first pages as images) and an ' +
    'editable summary. With `Prefer: respond-async` the quotes are read by a background job: ' +
    'the answer is 202 with the run, and `GET /api/v1/quotes/runs/{id}` tells its progress.',
  tag: 'Tasks',
  scope: 'tasks:write',
  headers: {
    Prefer: {
      type: 'string',
      description: '`respond-async`: answer 202 at once and read the quotes in the background',
    },
  },
  responses: {
    202: {
      description: 'With Prefer: respond-async, the queued run',
      schema: { type: 'object', properties: { run: quoteRunSchema } },
      headers: { Location: 'The run: GET it for its progress and, when done, its task' },
    },
    201: {
      description: "The task, the best value's index and the fields read from each quote",
      schema: {
        type: 'object',
        properties: {
          task: { $ref: '#/components/schemas/Task' },
          best_index: { type: ['integer', 'null'] },
          quotes: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                document_id: { type: 'string', format: 'uuid' },
                filename: string,
                pages: { type: 'integer' },
                fields: {
                  type: 'object',
                  description:
                    'insurer, product, premium, currency, period, coverage_limit, deductible, ' +
                    'exclusions: each {value, page, source, missing}',
                },
              },
            },
          },
        },
      },
    },
  },
  errors: [
    { status: 415, code: 'unsupported_media_type', description: 'Not multipart/form-data' },
    { status: 422, code: 'validation_failed', description: 'Fewer than 2 or more than 6 files' },
    {
      status: 422,
      code: 'invalid_file',
      description: 'A file is not a readable PDF: fields name it',
    },
    { status: 413, code: 'too_large' },
    { status: 404, code: 'contact_not_found' },
  ],
})

documentApi('quotes.runs.show', {
  summary: 'Read a quote analysis run',
  description:
    'The progress of an analysis started with `Prefer: respond-async`: quotes read of total, ' +
    'then `done` with the comparison task, or `failed` with the reason.',
  tag: 'Tasks',
  scope: 'tasks:read',
  params: { id: { type: 'string', format: 'uuid', description: 'The run', required: true } },
  responses: {
    200: {
      description: 'The run and, once done, its task',
      schema: {
        type: 'object',
        properties: {
          run: quoteRunSchema,
          task: { oneOf: [{ $ref: '#/components/schemas/Task' }, { type: 'null' }] },
        },
      },
    },
  },
  errors: [{ status: 404, code: 'not_found' }],
})
