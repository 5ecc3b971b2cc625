import type {
  IDataObject,
  IExecuteFunctions,
  INodeExecutionData,
  INodeProperties,
  INodeType,
  INodeTypeDescription,
} from 'n8n-workflow'
import { NodeConnectionTypes } from 'n8n-workflow'
import { apiRequest, CREDENTIAL, idempotencyKey, type ApiCall } from '../../lib/api'

/*
| The FloMastr action node: n8n's resource/operation layout over the REST
| API. What creates or sends carries an Idempotency-Key built from stable
| data (lib/api.ts), so n8n's Retry and a re-run of a failed execution never
| send twice, and each item of one run has its own key.
*/

type Operation = (node: IExecuteFunctions, i: number) => Promise<IDataObject | IDataObject[]>

const param = <T = string>(node: IExecuteFunctions, name: string, i: number, fallback?: T) =>
  node.getNodeParameter(name, i, fallback) as T

/** The fields of a collection parameter that were filled in. */
function given(node: IExecuteFunctions, name: string, i: number): IDataObject {
  const fields = param<IDataObject>(node, name, i, {})
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== '' && value !== undefined)
  )
}

/** Comma-separated text as a list (n8n users type tags and variables so). */
function listOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String)
  return String(value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
}

function contactDetails(node: IExecuteFunctions, i: number) {
  const details = given(node, 'contactFields', i)
  if (details.tags !== undefined) details.tags = listOf(details.tags)
  return details
}

async function call(node: IExecuteFunctions, request: ApiCall) {
  return (await apiRequest(node, request)).body as IDataObject
}

/** A POST that creates or sends, with its per-item Idempotency-Key. */
async function keyed(
  node: IExecuteFunctions,
  i: number,
  operation: string,
  path: string,
  body: IDataObject
) {
  const key = param(node, 'idempotencyKey', i, '') || idempotencyKey(node, i, operation, body)
  return call(node, { method: 'POST', path, body, headers: { 'Idempotency-Key': key } })
}

const page = async (node: IExecuteFunctions, path: string, qs: IDataObject) =>
  ((await call(node, { method: 'GET', path, qs })).data ?? []) as IDataObject[]

const id = (node: IExecuteFunctions, name: string, i: number) =>
  encodeURIComponent(param(node, name, i).trim())

const OPERATIONS: Record<string, Record<string, Operation>> = {
  contact: {
    upsert: (node, i) =>
      call(node, {
        method: 'PUT',
        // Encoded, so the number's "+" is not read as a space.
        path: `/contacts/by-phone/${encodeURIComponent(param(node, 'phone', i).trim())}`,
        body: contactDetails(node, i),
      }),
    create: (node, i) =>
      keyed(node, i, 'contact.create', '/contacts', {
        phone: param(node, 'phone', i).trim(),
        ...contactDetails(node, i),
      }),
    get: (node, i) => call(node, { method: 'GET', path: `/contacts/${id(node, 'contactId', i)}` }),
    find: (node, i) =>
      page(node, '/contacts', {
        ...given(node, 'contactFilters', i),
        limit: param(node, 'limit', i, 50),
      }),
    update: (node, i) =>
      call(node, {
        method: 'PATCH',
        path: `/contacts/${id(node, 'contactId', i)}`,
        body: contactDetails(node, i),
      }),
  },
  conversation: {
    get: (node, i) =>
      call(node, { method: 'GET', path: `/conversations/${id(node, 'conversationId', i)}` }),
    find: (node, i) =>
      page(node, '/conversations', {
        ...given(node, 'conversationFilters', i),
        limit: param(node, 'limit', i, 50),
      }),
    update: (node, i) => {
      const body = given(node, 'conversationFields', i)
      if (body.labels !== undefined) body.labels = listOf(body.labels)
      return call(node, {
        method: 'PATCH',
        path: `/conversations/${id(node, 'conversationId', i)}`,
        body,
      })
    },
    messages: (node, i) =>
      page(node, `/conversations/${id(node, 'conversationId', i)}/messages`, {
        limit: param(node, 'limit', i, 50),
      }),
  },
  message: {
    send: (node, i) => {
      const body: IDataObject = {
        channel_id: param(node, 'channelId', i),
        type: param(node, 'messageType', i),
      }
      const to = param(node, 'to', i, '').trim()
      if (/^[0-9a-f]{8}-/i.test(to)) body.contact_id = to
      else body.to = to
      if (body.type === 'text') body.text = param(node, 'text', i)
      else
        body.template = {
          name: param(node, 'templateName', i),
          language: param(node, 'templateLanguage', i),
          variables: listOf(param(node, 'templateVariables', i, '')),
        }
      return keyed(node, i, 'message.send', '/messages', body)
    },
    get: (node, i) => call(node, { method: 'GET', path: `/messages/${id(node, 'messageId', i)}` }),
  },
  knowledge: {
    addSource: (node, i) => {
      const url = param(node, 'url', i, '').trim()
      const body: IDataObject = url
        ? { url }
        : { title: param(node, 'title', i), text: param(node, 'text', i) }
      return keyed(node, i, 'knowledge.addSource', '/brain/sources', body)
    },
    search: async (node, i) =>
      ((
        await call(node, {
          method: 'POST',
          path: '/brain/search',
          body: { query: param(node, 'query', i), k: param(node, 'limit', i, 5) },
        })
      ).results ?? []) as IDataObject[],
    answer: (node, i) =>
      call(node, {
        method: 'POST',
        path: '/brain/answer',
        body: { question: param(node, 'query', i) },
      }),
  },
}

const on = (resource: string, operation: string[]) => ({
  show: { resource: [resource], operation },
})

const operationsOf = (
  resource: string,
  options: Array<[string, string, string]>
): INodeProperties => ({
  displayName: 'Operation',
  name: 'operation',
  type: 'options',
  noDataExpression: true,
  displayOptions: { show: { resource: [resource] } },
  options: options.map(([value, name, action]) => ({ name, value, action })),
  default: options[0][0],
})

/** A conversation's status, as a filter or a change. */
const conversationStatus = (fallback: string): INodeProperties => ({
  displayName: 'Status',
  name: 'status',
  type: 'options',
  options: ['open', 'pending', 'snoozed', 'resolved'].map((s) => ({ name: s, value: s })),
  default: fallback,
})

const templateOnly = {
  show: { resource: ['message'], operation: ['send'], messageType: ['template'] },
}

const contactFields: INodeProperties = {
  displayName: 'Fields',
  name: 'contactFields',
  type: 'collection',
  placeholder: 'Add Field',
  default: {},
  displayOptions: on('contact', ['upsert', 'create', 'update']),
  options: [
    { displayName: 'Name', name: 'name', type: 'string', default: '' },
    {
      displayName: 'E-Mail',
      name: 'email',
      type: 'string',
      placeholder: 'name@email.com',
      default: '',
    },
    {
      displayName: 'Tags',
      name: 'tags',
      type: 'string',
      default: '',
      description: 'Comma-separated',
    },
    { displayName: 'Notes', name: 'notes', type: 'string', default: '' },
    {
      displayName: 'Opt-In',
      name: 'opt_in',
      type: 'options',
      options: [
        { name: 'Opted In', value: 'opted_in' },
        { name: 'Opted Out', value: 'opted_out' },
        { name: 'Unknown', value: 'unknown' },
      ],
      default: 'opted_in',
    },
  ],
}

export class FloMastr implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'FloMastr',
    name: 'floMastr',
    icon: 'file:flomastr.svg',
    group: ['output'],
    version: 1,
    subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
    description: 'Contacts, conversations, WhatsApp messages and knowledge in FloMastr',
    defaults: { name: 'FloMastr' },
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: CREDENTIAL, required: true }],
    properties: [
      {
        displayName: 'Resource',
        name: 'resource',
        type: 'options',
        noDataExpression: true,
        options: [
          { name: 'Contact', value: 'contact' },
          { name: 'Conversation', value: 'conversation' },
          { name: 'Knowledge', value: 'knowledge' },
          { name: 'Message', value: 'message' },
        ],
        default: 'contact',
      },
      operationsOf('contact', [
        ['upsert', 'Create or Update', 'Create or update a contact by phone'],
        ['create', 'Create', 'Create a contact'],
        ['get', 'Get', 'Get a contact'],
        ['find', 'Get Many', 'Find contacts by phone, e-mail or tag'],
        ['update', 'Update', 'Update a contact'],
      ]),
      operationsOf('conversation', [
        ['find', 'Get Many', 'Find conversations'],
        ['get', 'Get', 'Get a conversation'],
        ['update', 'Update', 'Assign, resolve, label or snooze a conversation'],
        ['messages', 'Get Messages', "Get a conversation's messages"],
      ]),
      operationsOf('message', [
        ['send', 'Send', 'Send a WhatsApp message'],
        ['get', 'Get', 'Get a message'],
      ]),
      operationsOf('knowledge', [
        ['addSource', 'Add Source', 'Add a web page or text to the knowledge'],
        ['search', 'Search', 'Search the knowledge'],
        ['answer', 'Answer', 'Answer a question from the knowledge'],
      ]),
      {
        displayName: 'Phone',
        name: 'phone',
        type: 'string',
        required: true,
        default: '',
        placeholder: '+971501234567',
        displayOptions: on('contact', ['upsert', 'create']),
      },
      {
        displayName: 'Contact ID',
        name: 'contactId',
        type: 'string',
        required: true,
        default: '',
        displayOptions: on('contact', ['get', 'update']),
      },
      contactFields,
      {
        displayName: 'Filters',
        name: 'contactFilters',
        type: 'collection',
        placeholder: 'Add Filter',
        default: {},
        displayOptions: on('contact', ['find']),
        options: [
          { displayName: 'Phone', name: 'phone', type: 'string', default: '' },
          {
            displayName: 'E-Mail',
            name: 'email',
            type: 'string',
            placeholder: 'name@email.com',
            default: '',
          },
          { displayName: 'Tag', name: 'tag', type: 'string', default: '' },
        ],
      },
      {
        displayName: 'Conversation ID',
        name: 'conversationId',
        type: 'string',
        required: true,
        default: '',
        displayOptions: on('conversation', ['get', 'update', 'messages']),
      },
      {
        displayName: 'Filters',
        name: 'conversationFilters',
        type: 'collection',
        placeholder: 'Add Filter',
        default: {},
        displayOptions: on('conversation', ['find']),
        options: [
          { displayName: 'Contact ID', name: 'contact_id', type: 'string', default: '' },
          conversationStatus('open'),
          { displayName: 'Label', name: 'label', type: 'string', default: '' },
        ],
      },
      {
        displayName: 'Fields',
        name: 'conversationFields',
        type: 'collection',
        placeholder: 'Add Field',
        default: {},
        displayOptions: on('conversation', ['update']),
        options: [
          conversationStatus('resolved'),
          { displayName: 'Assignee ID', name: 'assignee_id', type: 'string', default: '' },
          {
            displayName: 'Labels',
            name: 'labels',
            type: 'string',
            default: '',
            description: 'Comma-separated; replaces the labels',
          },
          {
            displayName: 'Priority',
            name: 'priority',
            type: 'options',
            options: ['none', 'low', 'medium', 'high', 'urgent'].map((s) => ({
              name: s,
              value: s,
            })),
            default: 'none',
          },
        ],
      },
      {
        displayName: 'Channel ID',
        name: 'channelId',
        type: 'string',
        required: true,
        default: '',
        displayOptions: on('message', ['send']),
      },
      {
        displayName: 'To',
        name: 'to',
        type: 'string',
        required: true,
        default: '',
        description: 'A phone number (+971501234567) or a contact ID',
        displayOptions: on('message', ['send']),
      },
      {
        displayName: 'Type',
        name: 'messageType',
        type: 'options',
        options: [
          { name: 'Template (Any Time)', value: 'template' },
          { name: 'Text (Within 24 Hours of Their Last Message)', value: 'text' },
        ],
        default: 'template',
        displayOptions: on('message', ['send']),
      },
      {
        displayName: 'Text',
        name: 'text',
        type: 'string',
        typeOptions: { rows: 3 },
        default: '',
        displayOptions: {
          show: { resource: ['message', 'knowledge'], operation: ['send', 'addSource'] },
        },
      },
      {
        displayName: 'Template Name',
        name: 'templateName',
        type: 'string',
        default: '',
        displayOptions: templateOnly,
      },
      {
        displayName: 'Template Language',
        name: 'templateLanguage',
        type: 'string',
        default: 'en_US',
        displayOptions: templateOnly,
      },
      {
        displayName: 'Template Variables',
        name: 'templateVariables',
        type: 'string',
        default: '',
        description: 'Comma-separated, in order: {{1}}, {{2}}, ...',
        displayOptions: templateOnly,
      },
      {
        displayName: 'Message ID',
        name: 'messageId',
        type: 'string',
        required: true,
        default: '',
        displayOptions: on('message', ['get']),
      },
      {
        displayName: 'Web Page URL',
        name: 'url',
        type: 'string',
        default: '',
        description: 'Either this, or a title and a text',
        displayOptions: on('knowledge', ['addSource']),
      },
      {
        displayName: 'Title',
        name: 'title',
        type: 'string',
        default: '',
        displayOptions: on('knowledge', ['addSource']),
      },
      {
        displayName: 'Query',
        name: 'query',
        type: 'string',
        required: true,
        default: '',
        displayOptions: on('knowledge', ['search', 'answer']),
      },
      {
        displayName: 'Limit',
        name: 'limit',
        type: 'number',
        typeOptions: { minValue: 1, maxValue: 100 },
        default: 50,
        description: 'Max number of results to return',
        displayOptions: { show: { operation: ['find', 'messages', 'search'] } },
      },
      {
        displayName: 'Idempotency Key',
        name: 'idempotencyKey',
        type: 'string',
        default: '',
        description:
          'Leave empty for a key made from this workflow and node, the triggering FloMastr event (when the item carries its ID) and what is sent, so a retried run repeats nothing. Give one (e.g. an ID from your own system) to decide yourself what counts as the same request.',
        displayOptions: {
          show: {
            resource: ['contact', 'message', 'knowledge'],
            operation: ['create', 'send', 'addSource'],
          },
        },
      },
    ],
  }

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData()
    const out: INodeExecutionData[] = []
    for (let i = 0; i < items.length; i++) {
      try {
        const resource = this.getNodeParameter('resource', i) as string
        const operation = this.getNodeParameter('operation', i) as string
        const result = await OPERATIONS[resource][operation](this, i)
        for (const json of ([] as IDataObject[]).concat(result))
          out.push({ json, pairedItem: { item: i } })
      } catch (error) {
        if (!this.continueOnFail()) throw error
        out.push({ json: { error: (error as Error).message }, pairedItem: { item: i } })
      }
    }
    return [out]
  }
}
