import { documentApi } from '#app/http/api/index'
import { validationError } from './shared.js'

documentApi('me', {
  summary: 'The workspace and key a token belongs to',
  description:
    'The first call a connection (n8n, Zapier) makes to test its credentials, and which of ' +
    'our integrations the key’s scopes are enough for.',
  tag: 'Account',
  responses: {
    200: {
      description: 'The tenant and the API key (never its token)',
      schema: {
        type: 'object',
        properties: {
          tenant: {
            type: 'object',
            properties: {
              id: { type: 'string', format: 'uuid' },
              slug: { type: 'string' },
              name: { type: 'string' },
              status: { type: 'string' },
            },
          },
          api_key: {
            type: 'object',
            properties: {
              id: { type: 'string', format: 'uuid' },
              name: { type: 'string' },
              prefix: { type: 'string' },
              scopes: { type: 'array', items: { type: 'string' } },
              expires_at: { type: ['string', 'null'], format: 'date-time' },
            },
          },
          integrations: {
            type: 'object',
            description:
              'Per ready-made integration (zapier, n8n): whether the key’s scopes are enough, ' +
              'the scopes it lacks, and which parts work as it is',
            additionalProperties: {
              type: 'object',
              properties: {
                sufficient: { type: 'boolean' },
                missing_scopes: { type: 'array', items: { type: 'string' } },
                features: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      name: { type: 'string' },
                      scopes: { type: 'array', items: { type: 'string' } },
                      sufficient: { type: 'boolean' },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
})

documentApi('channels.index', {
  summary: 'List channels',
  description: 'The workspace’s WhatsApp numbers, web chat and sandbox, oldest first.',
  tag: 'Channels',
  scope: 'channels:read',
  responses: { 200: { description: 'A page of channels', schema: 'Channel', page: true } },
  errors: [validationError],
})

documentApi('templates.index', {
  summary: 'List WhatsApp templates',
  description:
    'The templates of the workspace’s numbers as of the last sync, oldest first. Send an APPROVED one with POST /messages (type template).',
  tag: 'Templates',
  scope: 'templates:read',
  query: {
    status: { type: 'string', description: 'WhatsApp’s status, e.g. APPROVED (any case)' },
    language: { type: 'string', description: 'A language code, e.g. en_US' },
    channel_id: { type: 'string', format: 'uuid', description: 'One number’s templates' },
  },
  responses: { 200: { description: 'A page of templates', schema: 'Template', page: true } },
  errors: [validationError],
})
