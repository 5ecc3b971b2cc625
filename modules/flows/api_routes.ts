/*
| The flows API (/api/v1/flows), documented beside its routes for the
| OpenAPI reference.
*/
import router from '@adonisjs/core/services/router'
import { describeApiTag, documentApi, documentSchema } from '#app/http/api/index'
import { apiScope, apiV1 } from '#app/http/api/routes'
import { startSessionBody } from './validators/flow_api_validator.js'

const FlowsApiController = () => import('./controllers/api/flows_api_controller.js')

apiV1(() => {
  router.get('/flows', [FlowsApiController, 'index']).use(apiScope('flows:read')).as('flows.index')
  router
    .post('/flows/:id/sessions', [FlowsApiController, 'start'])
    .where('id', router.matchers.uuid())
    .use(apiScope('flows:write'))
    .as('flows.sessions.store')
})

const nullableString = { type: ['string', 'null'] }
const nullableTime = { type: ['string', 'null'], format: 'date-time' }
const count = { type: 'integer', minimum: 0 }

describeApiTag(
  'Flows',
  'Guided WhatsApp flows: buttons, lists, questions with validation, branches. List them ' +
    'with their figures and start one for a contact; build and publish them in the app.'
)

documentSchema('Flow', {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    status: { type: 'string', enum: ['draft', 'published', 'archived'] },
    version: {
      type: ['integer', 'null'],
      description: 'The published version new sessions start on',
    },
    triggers: { type: 'object' },
    expiry_hours: { type: 'integer' },
    fallback: { type: 'string', enum: ['handoff', 'assistant'] },
    starts: count,
    completions: count,
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'name', 'status', 'version', 'starts', 'completions'],
})

documentSchema('FlowSession', {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    flow_id: { type: 'string', format: 'uuid' },
    flow_name: { type: 'string' },
    version_id: { type: 'string', format: 'uuid' },
    conversation_id: { type: 'string', format: 'uuid' },
    contact_id: { type: 'string', format: 'uuid' },
    status: {
      type: 'string',
      enum: ['active', 'paused', 'completed', 'expired', 'stopped', 'handed_off'],
      description: 'paused: a person has the conversation; it resumes when handed back',
    },
    source: {
      type: 'string',
      enum: [
        'keyword',
        'first_message',
        'payload',
        'referral',
        'campaign_reply',
        'webchat_start',
        'api',
      ],
    },
    current_node: nullableString,
    variables: { type: 'object' },
    answers: { type: 'object', description: 'The customer’s answers by variable name' },
    end_reason: nullableString,
    started_at: { type: 'string', format: 'date-time' },
    ended_at: nullableTime,
    paused_at: nullableTime,
    expires_at: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'flow_id', 'contact_id', 'status', 'answers', 'started_at'],
})

documentApi('flows.index', {
  summary: 'List flows',
  description: 'Every flow of the workspace, newest first, with its starts and completions.',
  tag: 'Flows',
  scope: 'flows:read',
  responses: { 200: { description: 'The flows', schema: 'Flow', page: true } },
})

documentApi('flows.sessions.store', {
  summary: 'Start a flow for a contact',
  description:
    'Starts the published version in the contact’s latest conversation; its first step runs ' +
    'at once (free-form messages need the 24-hour window). Refused (409) when the flow is not ' +
    'published (not_published), the conversation is already in a flow (session_active) or the ' +
    'contact has no conversation (no_conversation).',
  tag: 'Flows',
  scope: 'flows:write',
  params: { id: { type: 'string' as const, format: 'uuid', description: 'The flow' } },
  body: startSessionBody,
  idempotent: true,
  responses: { 201: { description: 'Started', schema: 'FlowSession' } },
  errors: [
    { status: 404, code: 'not_found', description: 'No such flow' },
    { status: 409, code: 'session_active', description: 'The conversation is already in a flow' },
  ],
})
