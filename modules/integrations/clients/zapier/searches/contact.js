'use strict'

const { apiUrl, listOf } = require('../lib/api')
const fields = require('../lib/fields')
const samples = require('../samples.json')

/*
| Find a contact by phone or e-mail (GET /contacts?phone= / ?email=). The
| phone travels as a query parameter, encoded, so its "+" is kept.
*/

module.exports = {
  key: 'contact',
  noun: 'Contact',
  display: { label: 'Find Contact', description: 'Finds a contact by phone number or e-mail.' },
  operation: {
    inputFields: [
      { key: 'phone', label: 'Phone', helpText: 'International form, e.g. +971501234567.' },
      { key: 'email', label: 'E-mail' },
    ],
    perform: async (z, bundle) => {
      const { phone, email } = bundle.inputData
      if (!phone && !email)
        throw new z.errors.Error('Give a phone number or an e-mail', 'validation_failed', 422)
      const params = { limit: 1 }
      if (phone) params.phone = String(phone).trim()
      if (email) params.email = String(email).trim()
      const response = await z.request({ url: apiUrl(bundle, '/contacts'), params })
      return listOf(response)
    },
    sample: samples['contact.created'],
    outputFields: fields.contact,
  },
}
