/*
| The campaigns API (/api/v1/campaigns), documented beside its routes for
| the OpenAPI reference. Segments' API lives with the integrations module.
*/
import router from '@adonisjs/core/services/router'
import { describeApiTag, documentApi, documentSchema } from '#app/http/api/index'
import { apiScope, apiV1 } from '#app/http/api/routes'
import { createCampaignBody } from './validators/campaign_api_validator.js'
import { RECIPIENT_STATUSES } from './services/campaign_service.js'
import { enrollBody } from './validators/sequence_api_validator.js'

const CampaignsApiController = () => import('./controllers/api/campaigns_api_controller.js')
const SequencesApiController = () => import('./controllers/api/sequences_api_controller.js')

apiV1(() => {
  const uuid = router.matchers.uuid()
  router
    .post('/campaigns', [CampaignsApiController, 'store'])
    .use(apiScope('campaigns:write'))
    .as('campaigns.store')
  router
    .get('/campaigns/:id', [CampaignsApiController, 'show'])
    .where('id', uuid)
    .use(apiScope('campaigns:read'))
    .as('campaigns.show')
  router
    .post('/campaigns/:id/launch', [CampaignsApiController, 'launch'])
    .where('id', uuid)
    .use(apiScope('campaigns:write'))
    .as('campaigns.launch')
  router
    .post('/campaigns/:id/pause', [CampaignsApiController, 'pause'])
    .where('id', uuid)
    .use(apiScope('campaigns:write'))
    .as('campaigns.pause')
  router
    .get('/campaigns/:id/recipients', [CampaignsApiController, 'recipients'])
    .where('id', uuid)
    .use(apiScope('campaigns:read'))
    .as('campaigns.recipients')
  router
    .post('/sequences/:id/enrollments', [SequencesApiController, 'enroll'])
    .where('id', uuid)
    .use(apiScope('sequences:write'))
    .as('sequences.enroll')
  router
    .delete('/sequences/:id/enrollments', [SequencesApiController, 'unenroll'])
    .where('id', uuid)
    .use(apiScope('sequences:write'))
    .as('sequences.unenroll')
  router
    .get('/contacts/:id/enrollments', [SequencesApiController, 'ofContact'])
    .where('id', uuid)
    .use(apiScope('sequences:read'))
    .as('contacts.enrollments')
})

const nullableString = { type: ['string', 'null'] }
const nullableTime = { type: ['string', 'null'], format: 'date-time' }
const count = { type: 'integer', minimum: 0 }

describeApiTag(
  'Campaigns',
  'One-off WhatsApp broadcasts of an approved template to a segment, labels or contacts, ' +
    'within the channel’s rate and messaging tier, contacts’ consent and quiet hours.'
)

documentSchema('Campaign', {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    status: {
      type: 'string',
      enum: ['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled'],
    },
    awaiting_approval: { type: 'boolean', description: 'A draft waiting for an owner’s approval' },
    channel_id: { type: 'string', format: 'uuid' },
    template: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        language: { type: 'string' },
        variables: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Body variable number to text with {{contact.<field>}} placeholders',
        },
      },
      required: ['name', 'language', 'variables'],
    },
    audience: {
      type: 'object',
      description: 'Exactly one of segment_id, labels, contact_ids',
      properties: {
        segment_id: { type: 'string', format: 'uuid' },
        labels: { type: 'array', items: { type: 'string' } },
        contact_ids: { type: 'array', items: { type: 'string', format: 'uuid' } },
      },
    },
    schedule_at: {
      type: ['string', 'null'],
      description: 'When it sends (with local_time: the wall-clock time in each contact’s zone)',
    },
    local_time: { type: 'boolean' },
    quiet_hours: {
      type: ['object', 'null'],
      description: 'No sends between start and end (HH:MM) in each contact’s zone; null: none',
      properties: {
        start: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' },
        end: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' },
      },
      required: ['start', 'end'],
    },
    stats: {
      type: 'object',
      properties: {
        targeted: count,
        skipped: count,
        sent: count,
        delivered: count,
        read: count,
        replied: count,
        failed: count,
      },
      required: ['targeted', 'skipped', 'sent', 'delivered', 'read', 'replied', 'failed'],
    },
    started_at: nullableTime,
    completed_at: nullableTime,
    created_at: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'name', 'status', 'channel_id', 'template', 'audience', 'stats', 'created_at'],
})

documentSchema('CampaignRecipient', {
  type: 'object',
  properties: {
    id: { type: 'string' },
    contact_id: { type: 'string', format: 'uuid' },
    phone: nullableString,
    status: {
      type: 'string',
      enum: ['queued', 'sent', 'delivered', 'read', 'failed', 'skipped'],
    },
    skip_reason: {
      ...nullableString,
      description:
        'opted_out, no_phone, marketing_opted_out, no_marketing_consent, missing_variable:<field>, contact_deleted, cancelled',
    },
    error: {
      type: ['object', 'null'],
      properties: {
        code: { type: ['integer', 'null'] },
        title: nullableString,
        retryable: { type: 'boolean' },
      },
    },
    cost_category: { ...nullableString, description: 'WhatsApp’s pricing category' },
    sent_at: nullableTime,
    delivered_at: nullableTime,
    read_at: nullableTime,
    replied_at: nullableTime,
    failed_at: nullableTime,
    message_id: { type: ['string', 'null'], format: 'uuid' },
  },
  required: ['id', 'contact_id', 'status'],
})

const idParam = { id: { type: 'string' as const, format: 'uuid', description: 'The campaign' } }
const notFound = { status: 404, code: 'not_found', description: 'No such campaign' }
const wrongState = {
  status: 409,
  code: 'invalid_state',
  description: 'Not in a state that allows it',
}

documentApi('campaigns.store', {
  summary: 'Create a campaign',
  description:
    'A draft: launch it with POST /campaigns/{id}/launch. The channel must be a WhatsApp ' +
    'channel of the workspace and the template approved on it; every body variable mapped.',
  tag: 'Campaigns',
  scope: 'campaigns:write',
  body: createCampaignBody,
  bodyFields: {
    'template.variables': '{"1": "{{contact.name|there}}"}: text with contact placeholders',
    'audience': '{segment_id} | {labels: [..]} | {contact_ids: [..]}',
    'local_time': 'Send at schedule_at’s wall-clock time in each contact’s own zone',
    'quiet_hours':
      '{"start": "21:00", "end": "09:00"} (the default when absent), contact-local; null: any hour',
    'allow_unknown_consent':
      'Also send marketing to contacts never asked for consent; refused (422) unless the ' +
      'workspace’s campaign settings allow it',
    'requires_approval':
      'An owner approves it before it sends (always, when the workspace says so)',
  },
  idempotent: true,
  responses: {
    201: {
      description: 'Created (status draft)',
      schema: 'Campaign',
      headers: { Location: 'The campaign’s URL' },
    },
  },
})

documentApi('campaigns.show', {
  summary: 'A campaign with its funnel counts',
  tag: 'Campaigns',
  scope: 'campaigns:read',
  params: idParam,
  responses: { 200: { description: 'The campaign', schema: 'Campaign' } },
  errors: [notFound],
})

documentApi('campaigns.launch', {
  summary: 'Launch a draft',
  description:
    'Writes its recipients and starts sending (scheduled ones wait for their time). In a ' +
    'workspace where campaigns need approval, opens an approval task for the owners instead ' +
    '(awaiting_approval: true) and launches once approved.',
  tag: 'Campaigns',
  scope: 'campaigns:write',
  params: idParam,
  responses: { 200: { description: 'The campaign', schema: 'Campaign' } },
  errors: [notFound, wrongState],
})

documentApi('campaigns.pause', {
  summary: 'Pause a running or scheduled campaign',
  tag: 'Campaigns',
  scope: 'campaigns:write',
  params: idParam,
  responses: { 200: { description: 'The campaign (status paused)', schema: 'Campaign' } },
  errors: [notFound, wrongState],
})

documentApi('campaigns.recipients', {
  summary: 'A campaign’s recipients',
  description: 'In the order they were targeted, a page at a time.',
  tag: 'Campaigns',
  scope: 'campaigns:read',
  params: idParam,
  query: {
    status: {
      type: 'string',
      enum: [...RECIPIENT_STATUSES.filter((s) => s !== 'sending' && s !== 'accepted'), 'replied'],
      description: 'Only recipients at this step',
    },
    skip_reason: { type: 'string', description: 'Only recipients skipped for this reason' },
    error_code: { type: 'integer', description: 'Only failures with this WhatsApp code' },
  },
  responses: {
    200: { description: 'A page of recipients', schema: 'CampaignRecipient', page: true },
  },
  errors: [notFound],
})

describeApiTag(
  'Sequences',
  'Drip sequences: timed steps per contact (messages in the 24-hour window or by template, ' +
    'waits in the contact’s own time zone, replies, conditions, tasks). Enroll and remove ' +
    'contacts; build sequences in the app.'
)

documentSchema('SequenceEnrollment', {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    sequence_id: { type: 'string', format: 'uuid' },
    sequence_name: nullableString,
    contact_id: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['active', 'completed', 'exited'] },
    source: {
      type: 'string',
      enum: ['label', 'segment', 'keyword', 'campaign_reply', 'api', 'manual', 'sequence', 'flow'],
    },
    current_step: { ...nullableString, description: 'The step the contact is at (while active)' },
    waiting_for_reply: { type: 'boolean' },
    exit_reason: {
      ...nullableString,
      description: 'replied, opted_out, handoff, goal, removed, sequence_archived, contact_deleted',
    },
    enrolled_at: { type: 'string', format: 'date-time' },
    ended_at: nullableTime,
  },
  required: ['id', 'sequence_id', 'contact_id', 'status', 'source', 'enrolled_at'],
})

const sequenceParam = {
  id: { type: 'string' as const, format: 'uuid', description: 'The sequence' },
}
const noSequence = { status: 404, code: 'not_found', description: 'No such sequence' }

documentApi('sequences.enroll', {
  summary: 'Enroll a contact in a sequence',
  description:
    'Its first step is due at once. Refused (409) when the sequence is not on ' +
    '(sequence_not_active), the contact is in it already (already_enrolled), opted out ' +
    '(contact_opted_out), or its re-entry rule or cooldown forbids another round ' +
    '(reentry_refused, cooldown).',
  tag: 'Sequences',
  scope: 'sequences:write',
  params: sequenceParam,
  body: enrollBody,
  idempotent: true,
  responses: { 201: { description: 'Enrolled', schema: 'SequenceEnrollment' } },
  errors: [
    noSequence,
    { status: 409, code: 'already_enrolled', description: 'Enrollment refused by the rules' },
  ],
})

documentApi('sequences.unenroll', {
  summary: 'Remove a contact from a sequence',
  description:
    'Ends the contact’s active enrollment (exit_reason removed) and cancels its pending steps. ' +
    'The contact is given as {"contact_id"} in a JSON body or as ?contact_id=.',
  tag: 'Sequences',
  scope: 'sequences:write',
  params: sequenceParam,
  query: {
    contact_id: { type: 'string', format: 'uuid', description: 'The contact (or in the body)' },
  },
  responses: { 200: { description: 'The ended enrollment', schema: 'SequenceEnrollment' } },
  errors: [noSequence],
})

documentApi('contacts.enrollments', {
  summary: 'A contact’s sequence enrollments',
  description: 'Newest first, active and ended (up to 100).',
  tag: 'Sequences',
  scope: 'sequences:read',
  params: { id: { type: 'string' as const, format: 'uuid', description: 'The contact' } },
  responses: {
    200: { description: 'The enrollments', schema: 'SequenceEnrollment', page: true },
  },
  errors: [{ status: 404, code: 'not_found', description: 'No such contact' }],
})
