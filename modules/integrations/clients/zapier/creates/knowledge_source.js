'use strict'

const { apiUrl } = require('../lib/api')
const fields = require('../lib/fields')
const samples = require('../samples.json')

/*
| Teach the assistant (POST /brain/sources): a web page by its address, or
| a text with a title. It is read in the background; "Knowledge Source
| Ready" (or Failed) fires when it is done.
*/

module.exports = {
  key: 'knowledge_source',
  noun: 'Knowledge Source',
  display: {
    label: 'Add Knowledge Source',
    description: 'Adds a web page or a text to what the assistant knows.',
  },
  operation: {
    inputFields: [
      { key: 'url', label: 'Web page address', helpText: 'Either this, or a title and a text.' },
      { key: 'title', label: 'Title' },
      { key: 'text', label: 'Text', type: 'text' },
      { key: 'tags', label: 'Tags', list: true },
    ],
    perform: async (z, bundle) => {
      const input = bundle.inputData
      const body = input.url ? { url: input.url } : { title: input.title, text: input.text }
      if (input.url && input.title) body.title = input.title
      if (input.tags && input.tags.length) body.tags = input.tags
      const response = await z.request({
        url: apiUrl(bundle, '/brain/sources'),
        method: 'POST',
        body,
      })
      return response.data
    },
    sample: samples['knowledge.source_ready'],
    outputFields: fields.knowledgeSource,
  },
}
