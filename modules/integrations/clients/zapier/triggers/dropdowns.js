'use strict'

const { apiUrl, listOf } = require('../lib/api')

/*
| Hidden triggers that fill the "Send Message" action's dropdowns: the
| workspace's channels and its approved templates (a template's id is
| "name|language", the two things a send names it by).
*/

const channels = {
  key: 'channel_list',
  noun: 'Channel',
  display: { label: 'Channels', description: 'Lists the channels, for dropdowns.', hidden: true },
  operation: {
    perform: async (z, bundle) => {
      const response = await z.request({ url: apiUrl(bundle, '/channels'), params: { limit: 100 } })
      return listOf(response).map((channel) => ({
        ...channel,
        label: [channel.name || channel.type, channel.display_number].filter(Boolean).join(' '),
      }))
    },
    sample: {
      id: 'c0ffee00-1234-4abc-8def-0123456789ab',
      type: 'whatsapp',
      label: 'Sales +15550001234',
    },
    outputFields: [
      { key: 'id', label: 'Channel ID' },
      { key: 'label', label: 'Channel' },
    ],
  },
}

const templates = {
  key: 'template_list',
  noun: 'Template',
  display: {
    label: 'Templates',
    description: 'Lists approved templates, for dropdowns.',
    hidden: true,
  },
  operation: {
    perform: async (z, bundle) => {
      const params = { status: 'APPROVED', limit: 100 }
      if (bundle.inputData.channel_id) params.channel_id = bundle.inputData.channel_id
      const response = await z.request({ url: apiUrl(bundle, '/templates'), params })
      return listOf(response).map((template) => ({
        id: `${template.name}|${template.language}`,
        label: `${template.name} (${template.language}, ${template.body_variables} variables)`,
      }))
    },
    sample: { id: 'renewal_reminder|en_US', label: 'renewal_reminder (en_US, 1 variables)' },
    outputFields: [
      { key: 'id', label: 'Template' },
      { key: 'label', label: 'Name' },
    ],
  },
}

module.exports = [channels, templates]
