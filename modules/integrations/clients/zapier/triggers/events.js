'use strict'

const { apiUrl } = require('../lib/api')
const { EVENTS, recordOf, triggerKey, staticSample, eventFields } = require('../lib/events')

/*
| REST-hook triggers: turning a Zap on subscribes its URL to one event
| (POST /hooks), turning it off unsubscribes (DELETE /hooks/:id, which
| answers 200 also when the hook is already gone), and the editor's "test
| trigger" loads the workspace's newest record of the kind (GET
| /hooks/samples/:event, with the id its real delivery has).
*/

function hookTrigger([type, noun, label, description, fields]) {
  return {
    key: triggerKey(type),
    noun,
    display: {
      label,
      description: `Triggers when ${description.charAt(0).toLowerCase()}${description.slice(1)}`,
    },
    operation: {
      type: 'hook',
      performSubscribe: async (z, bundle) => {
        const response = await z.request({
          url: apiUrl(bundle, '/hooks'),
          method: 'POST',
          body: { target_url: bundle.targetUrl, event: type },
        })
        return response.data
      },
      performUnsubscribe: async (z, bundle) => {
        const response = await z.request({
          url: apiUrl(bundle, `/hooks/${encodeURIComponent(bundle.subscribeData.id)}`),
          method: 'DELETE',
        })
        return response.data
      },
      perform: (z, bundle) => [recordOf(bundle.cleanedRequest)],
      performList: async (z, bundle) => {
        const response = await z.request({
          url: apiUrl(bundle, `/hooks/samples/${encodeURIComponent(type)}`),
        })
        return [recordOf(response.data)]
      },
      sample: staticSample(type),
      outputFields: [...eventFields, ...fields],
    },
  }
}

module.exports = EVENTS.map(hookTrigger)
