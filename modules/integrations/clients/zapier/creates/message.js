'use strict'

const { apiUrl } = require('../lib/api')
const fields = require('../lib/fields')
const samples = require('../samples.json')

/*
| Send a WhatsApp message (POST /messages): free text inside the 24-hour
| window, or an approved template with its variables ({{1}}, {{2}}, ... in
| order) at any time. The API answers 202 with the queued message; its
| delivery shows in the "Message Status Changed" trigger.
*/

module.exports = {
  key: 'message',
  noun: 'Message',
  display: {
    label: 'Send Message',
    description: 'Sends a WhatsApp text, or an approved template with its variables.',
  },
  operation: {
    inputFields: [
      { key: 'channel_id', label: 'Channel', required: true, dynamic: 'channel_list.id.label' },
      {
        key: 'to',
        label: 'To (phone)',
        helpText: 'International form, e.g. +971501234567. Or give a contact ID.',
      },
      { key: 'contact_id', label: 'Contact ID' },
      {
        key: 'type',
        label: 'Kind',
        required: true,
        default: 'template',
        choices: {
          template: 'Template (any time)',
          text: 'Text (within 24 hours of their last message)',
        },
        altersDynamicFields: true,
      },
      { key: 'text', label: 'Text', type: 'text' },
      {
        key: 'template',
        label: 'Template',
        dynamic: 'template_list.id.label',
        helpText: 'An approved template of the channel.',
      },
      {
        key: 'variables',
        label: 'Template variables',
        list: true,
        helpText: 'In order: {{1}}, {{2}}, ...',
      },
    ],
    perform: async (z, bundle) => {
      const input = bundle.inputData
      const body = { channel_id: input.channel_id, type: input.type }
      if (input.contact_id) body.contact_id = input.contact_id
      else if (input.to) body.to = String(input.to).trim()
      if (input.type === 'text') {
        body.text = input.text
      } else {
        const [name, language] = String(input.template || '').split('|')
        body.template = { name, language: language || 'en_US', variables: input.variables || [] }
      }
      const response = await z.request({ url: apiUrl(bundle, '/messages'), method: 'POST', body })
      return response.data
    },
    sample: samples['message.sent'],
    outputFields: fields.message,
  },
}
