'use strict'

const { version: platformVersion } = require('zapier-platform-core')
const { version } = require('./package.json')
const authentication = require('./authentication')
const { addApiKey, raiseApiErrors } = require('./lib/api')
const eventTriggers = require('./triggers/events')
const dropdowns = require('./triggers/dropdowns')
const contact = require('./creates/contact')
const message = require('./creates/message')
const knowledgeSource = require('./creates/knowledge_source')
const findContact = require('./searches/contact')
const findConversation = require('./searches/conversation')

/*
| FloMastr's Zapier app: a trigger for every webhook event (REST hooks),
| actions that create contacts, send messages and add knowledge, and
| searches for contacts and conversations. Pushed as a private integration
| with `zapier push` (see the README).
*/

const byKey = (items) => Object.fromEntries(items.map((item) => [item.key, item]))

module.exports = {
  version,
  platformVersion,
  authentication,
  beforeRequest: [addApiKey],
  afterResponse: [raiseApiErrors],
  triggers: byKey([...eventTriggers, ...dropdowns]),
  creates: byKey([contact, message, knowledgeSource]),
  searches: byKey([findContact, findConversation]),
  searchOrCreates: {
    contact: {
      key: 'contact',
      display: {
        label: 'Find or Create Contact',
        description: 'Finds a contact by phone, or creates it.',
      },
      search: 'contact',
      create: 'contact',
    },
  },
}
