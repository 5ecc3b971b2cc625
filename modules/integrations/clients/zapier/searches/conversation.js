'use strict'

const { apiUrl, listOf } = require('../lib/api')
const fields = require('../lib/fields')
const samples = require('../samples.json')

/*
| Find a contact's latest conversation (GET /conversations?contact_id=),
| optionally only open ones, to reply in it or hand it over.
*/

module.exports = {
  key: 'conversation',
  noun: 'Conversation',
  display: { label: 'Find Conversation', description: "Finds a contact's latest conversation." },
  operation: {
    inputFields: [
      { key: 'contact_id', label: 'Contact ID', required: true },
      {
        key: 'status',
        label: 'Status',
        choices: { open: 'Open', pending: 'Pending', snoozed: 'Snoozed', resolved: 'Resolved' },
      },
    ],
    perform: async (z, bundle) => {
      const params = { contact_id: bundle.inputData.contact_id, limit: 1 }
      if (bundle.inputData.status) params.status = bundle.inputData.status
      const response = await z.request({ url: apiUrl(bundle, '/conversations'), params })
      return listOf(response)
    },
    sample: samples['conversation.created'],
    outputFields: fields.conversation,
  },
}
