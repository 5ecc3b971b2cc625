import { documentApi } from '#app/http/api/index'
import { contactDetailsBody, createContactBody } from '../validators/contact_api_validator.js'
import { idParam, notFound, unknownField, validationError } from './shared.js'

documentApi('contacts.index', {
  summary: 'List contacts',
  description: 'Newest first.',
  tag: 'Contacts',
  scope: 'contacts:read',
  query: {
    phone: { type: 'string', description: 'Exactly this number (any usual writing)' },
    email: { type: 'string', description: 'Exactly this e-mail address, in any case' },
    tag: { type: 'string', description: 'Contacts with this tag' },
    updated_since: {
      type: 'string',
      format: 'date-time',
      description: 'Changed at or after this time',
    },
  },
  responses: { 200: { description: 'A page of contacts', schema: 'Contact', page: true } },
  errors: [validationError],
})

documentApi('contacts.store', {
  summary: 'Create a contact',
  tag: 'Contacts',
  scope: 'contacts:write',
  body: createContactBody,
  idempotent: true,
  responses: { 201: { description: 'The new contact (Location: its address)', schema: 'Contact' } },
  errors: [
    validationError,
    unknownField,
    { status: 409, code: 'phone_taken', description: 'A contact with this number exists' },
  ],
})

documentApi('contacts.upsert', {
  summary: 'Create or update the contact with a phone number',
  description:
    'Creates the contact (201) or updates it (200). Fields left out stay as they are. Write the number in the path URL-encoded (%2B for +) or as digits with a leading +.',
  tag: 'Contacts',
  scope: 'contacts:write',
  params: {
    phone: {
      type: 'string',
      description: 'The phone number, E.164 (e.g. +971501234567)',
      required: true,
    },
  },
  body: contactDetailsBody,
  responses: {
    200: { description: 'The updated contact', schema: 'Contact' },
    201: { description: 'The new contact', schema: 'Contact' },
  },
  errors: [validationError, unknownField],
})

documentApi('contacts.show', {
  summary: 'Get a contact',
  tag: 'Contacts',
  scope: 'contacts:read',
  params: idParam('contact'),
  responses: { 200: { description: 'The contact', schema: 'Contact' } },
  errors: [notFound('contact')],
})

documentApi('contacts.update', {
  summary: 'Update a contact',
  description: 'Fields left out stay as they are; null clears a nullable field.',
  tag: 'Contacts',
  scope: 'contacts:write',
  params: idParam('contact'),
  body: contactDetailsBody,
  responses: { 200: { description: 'The updated contact', schema: 'Contact' } },
  errors: [notFound('contact'), validationError, unknownField],
})

documentApi('contacts.destroy', {
  summary: 'Delete a contact',
  description:
    'Erases the contact with its conversations, messages and what the assistant remembered of it. Cannot be undone.',
  tag: 'Contacts',
  scope: 'contacts:write',
  params: idParam('contact'),
  responses: { 204: { description: 'Deleted' } },
  errors: [notFound('contact')],
})
