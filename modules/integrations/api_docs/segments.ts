import { describeApiTag, documentApi, documentSchema } from '#app/http/api/index'
import { FILTER_OPS } from '#modules/inbox/index'
import { createSegmentBody } from '../validators/segment_api_validator.js'
import { idParam, notFound, unknownField, validationError } from './shared.js'

describeApiTag(
  'Segments',
  'Saved audiences: contacts matching conditions on tags, labels, custom fields, consent, channel, activity and conversation status'
)

const scalar = { type: ['string', 'number', 'boolean', 'null'] }

documentSchema('Segment', {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    filter: {
      type: 'object',
      properties: {
        match: { type: 'string', enum: ['all', 'any'] },
        conditions: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              field: {
                type: 'string',
                description:
                  'tag, label, marketing_consent, opt_in, channel, conversation_status, last_inbound, last_outbound, or attr.<custom field key>',
              },
              op: { type: 'string', enum: [...FILTER_OPS] },
              value: scalar,
              value2: { ...scalar, description: 'The upper bound of between' },
            },
          },
        },
      },
    },
    contact_count: { type: 'integer', description: 'How many contacts match now' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'name', 'filter', 'contact_count', 'created_at', 'updated_at'],
})

documentApi('segments.store', {
  summary: 'Create a segment',
  description:
    'Conditions are joined by filter.match (all: AND, any: OR). Days operators (next_days, last_days, older_than_days) take a whole number; dates are YYYY-MM-DD.',
  tag: 'Segments',
  scope: 'campaigns:write',
  body: createSegmentBody,
  idempotent: true,
  responses: { 201: { description: 'The new segment with its count', schema: 'Segment' } },
  errors: [validationError, unknownField],
})

documentApi('segments.show', {
  summary: 'Get a segment',
  tag: 'Segments',
  scope: 'campaigns:read',
  params: idParam('segment'),
  responses: { 200: { description: 'The segment with its count', schema: 'Segment' } },
  errors: [notFound('segment')],
})

documentApi('segments.contacts', {
  summary: "List a segment's contacts",
  description: 'The contacts matching the filter now, newest first.',
  tag: 'Segments',
  scope: 'campaigns:read',
  params: idParam('segment'),
  responses: { 200: { description: 'A page of contacts', schema: 'Contact', page: true } },
  errors: [notFound('segment'), validationError],
})
