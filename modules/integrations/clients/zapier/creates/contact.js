'use strict'

const { apiUrl } = require('../lib/api')
const fields = require('../lib/fields')
const samples = require('../samples.json')

/*
| Create or update a contact by phone (PUT /contacts/by-phone/:phone): a
| Zap that runs twice for the same lead updates it instead of failing. The
| phone goes in the path encoded, so its "+" survives.
*/

function details(input) {
  const body = {}
  for (const key of ['name', 'email', 'notes', 'opt_in']) {
    if (input[key] !== undefined && input[key] !== '') body[key] = input[key]
  }
  if (input.tags && input.tags.length) body.tags = input.tags
  if (input.attributes && Object.keys(input.attributes).length) body.attributes = input.attributes
  return body
}

module.exports = {
  key: 'contact',
  noun: 'Contact',
  display: {
    label: 'Create or Update Contact',
    description: 'Creates a contact, or updates the one with this phone number.',
  },
  operation: {
    inputFields: [
      {
        key: 'phone',
        label: 'Phone',
        required: true,
        helpText: 'International form, e.g. +971501234567.',
      },
      { key: 'name', label: 'Name' },
      { key: 'email', label: 'E-mail' },
      { key: 'tags', label: 'Tags', list: true },
      { key: 'attributes', label: 'Custom fields', dict: true },
      { key: 'notes', label: 'Notes', type: 'text' },
      {
        key: 'opt_in',
        label: 'WhatsApp opt-in',
        choices: { opted_in: 'Opted in', opted_out: 'Opted out', unknown: 'Unknown' },
      },
    ],
    perform: async (z, bundle) => {
      const phone = encodeURIComponent(String(bundle.inputData.phone).trim())
      const response = await z.request({
        url: apiUrl(bundle, `/contacts/by-phone/${phone}`),
        method: 'PUT',
        body: details(bundle.inputData),
      })
      return response.data
    },
    sample: samples['contact.created'],
    outputFields: fields.contact,
  },
}
