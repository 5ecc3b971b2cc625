/*
| The flow graph: the one format the runtime runs, the JSON import/export
| carries and the canvas will edit.
|
|   { nodes: Node[], edges: Edge[] }
|
| A node is { id, type, position: {x, y}, data }. `id` is 1–64 of
| [A-Za-z0-9_-]. The first node (nodes[0]) is where a session starts.
| An edge is { from, port, to }: leaving node `from` by its `port` goes to
| node `to`. Ports by type:
|
|   message    `next`; with buttons or a list, one port per button/row id
|              (a button/row without an edge of its own goes to `next`),
|              and `fallback` (the answer was not understood twice).
|              data: { text, buttons?: [{id, title}] (≤ 3, titles ≤ 20),
|                      list?: { button, rows: [{id, title, description?}] }
|                      (≤ 10 rows, titles ≤ 24, descriptions ≤ 72),
|                      url?: { title, url },
|                      media?: { type: image|video|document, link (https),
|                                filename? } (the text is its caption; not
|                                with buttons, a list or a link button),
|                      variable?: the name the picked button's or row's
|                                 title is kept under (default: the node id) }
|              buttons OR list, not both;
|              a url (title ≤ 20, https) goes as WhatsApp's cta_url button.
|   question   `next`, `fallback` (max retries spent).
|              data: { text, kind: text|number|email|phone|date|choice|file,
|                      choices?: string[] (kind choice), variable,
|                      contact_field?: string (where the answer is also saved),
|                      retry_text?, max_retries? (default 1),
|                      min?, max? (number), pattern? (text) }
|              A file question takes a picture, video, audio or document the
|              customer sends; the variable gets its file name (or type) and
|              `answers.<variable>_file` keeps { message_id, type, filename?,
|              caption? }.
|   condition  `true`, `false`.
|              data: { match: all|any, rules: [{ on: variable|field|label|consent,
|                      key, op: eq|neq|contains|exists|not_exists|gt|lt, value? }] }
|   set        `next`. data: { target: variable|field|label_add|label_remove, key, value? }
|   handoff    no ports. data: { text? } (to a person; the session ends handed_off)
|   wait       `next`. data: { minutes } (meanwhile the flow holds nothing:
|              the assistant or the team answers the customer)
|   jump       no ports. data: { to } (a node id)
|   end        no ports. data: { text? }
|   lookup     `next` (found; with `list`, the customer picked a row),
|              `fallback` (nothing found, the connector failed, or the pick
|              was not understood twice).
|              data: { source: dataset|connector, source_id,
|                      query?: text with {{variables}} (a dataset search),
|                      params?: { name: template } (connector parameters),
|                      variable, limit?: 1–10 (default 5),
|                      list?: { text, button, title: template over a row
|                               ("{{name}}"), description?: template } }
|              After it `{{variable}}` is the first (or picked) row's
|              summary, `{{variable.column}}` one of its columns,
|              `{{variable.count}}` how many were found, and the rows are
|              kept as `variable.rows` ([{ summary, ...columns }]).
|   task       `next` (approved), `fallback` (rejected, cancelled, timed out).
|              data: { title, details?, timeout_minutes? (default 1440),
|                      variable? (gets the outcome the person wrote, else
|                      their comment), text? (sent to the customer while
|                      the flow waits) }
|   enroll     `next`. data: { sequence_id } (the step log says whether the
|              contact was enrolled, or why not: consent, cooldown...)
|   booking    `next` (booked), `fallback` (no free slot, the slot was taken
|              meanwhile twice, or the pick was not understood twice).
|              data: { service_id, member_id?, days? (1–31, default 7),
|                      text? (the offer's intro), variable? (default
|                      'booking'), taken_text? (re-offer after a taken
|                      slot), confirm_text? (instead of the booker's
|                      confirmation; may use {{booking.*}}) }
|              After it `{{booking}}` (service and time), `{{booking.start}}`
|              (in the customer's zone), `{{booking.service}}`,
|              `{{booking.time_zone}}`, `{{booking.ics}}`, `{{booking.id}}`,
|              `{{booking.start_iso}}`, `{{booking.end_iso}}`.
|   Ids of datasets, connectors, sequences, services and members must be
|   the workspace's own: see graph_references.ts (checked at publish).
|
| Every text may use {{variable}} and {{contact.field}} (name, phone, email,
| language or a custom field's key); see fillText.
*/

export const NODE_TYPES = [
  'message',
  'question',
  'condition',
  'set',
  'lookup',
  'task',
  'handoff',
  'enroll',
  'booking',
  'wait',
  'jump',
  'end',
] as const
export type NodeType = (typeof NODE_TYPES)[number]

export const QUESTION_KINDS = [
  'text',
  'number',
  'email',
  'phone',
  'date',
  'choice',
  'file',
] as const
export type QuestionKind = (typeof QUESTION_KINDS)[number]

export const CONDITION_OPS = ['eq', 'neq', 'contains', 'exists', 'not_exists', 'gt', 'lt'] as const
export type ConditionOp = (typeof CONDITION_OPS)[number]

export interface Choice {
  id: string
  title: string
  description?: string
}

export const MEDIA_TYPES = ['image', 'video', 'document'] as const

export interface MessageData {
  text: string
  /** A picture, video or file sent with the text as its caption (no buttons, list or link then). */
  media?: { type: (typeof MEDIA_TYPES)[number]; link: string; filename?: string }
  buttons?: Choice[]
  list?: { button: string; rows: Choice[] }
  url?: { title: string; url: string }
  /** Where the picked button's or row's title is kept (default: the node's id). */
  variable?: string
}

export interface QuestionData {
  text: string
  kind: QuestionKind
  variable: string
  choices?: string[]
  contact_field?: string
  retry_text?: string
  max_retries?: number
  min?: number
  max?: number
  pattern?: string
}

export interface ConditionRule {
  on: 'variable' | 'field' | 'label' | 'consent'
  key: string
  op: ConditionOp
  value?: string
}

export interface ConditionData {
  match: 'all' | 'any'
  rules: ConditionRule[]
}

export interface SetData {
  target: 'variable' | 'field' | 'label_add' | 'label_remove'
  key: string
  value?: string
}

export interface LookupData {
  source: 'dataset' | 'connector'
  source_id: string
  query?: string
  params?: Record<string, string>
  variable: string
  limit?: number
  list?: { text: string; button: string; title: string; description?: string }
}

export interface TaskData {
  title: string
  details?: string
  timeout_minutes?: number
  variable?: string
  text?: string
}

export interface EnrollData {
  sequence_id: string
}

export interface BookingData {
  service_id: string
  member_id?: string
  days?: number
  text?: string
  variable?: string
  taken_text?: string
  confirm_text?: string
}

export const LOOKUP_LIMIT = { default: 5, max: 10 }
export const TASK_TIMEOUT = { default: 1440, max: 60 * 24 * 30 }
export const BOOKING_DAYS = { default: 7, max: 31 }

export interface FlowNode {
  id: string
  type: NodeType
  position: { x: number; y: number }
  data: Record<string, any>
}

export interface FlowEdge {
  from: string
  port: string
  to: string
}

export interface FlowGraph {
  nodes: FlowNode[]
  edges: FlowEdge[]
}

/** WhatsApp's limits on interactive messages (the Cloud API's). */
export const WA_LIMITS = {
  buttons: 3,
  buttonTitle: 20,
  listRows: 10,
  rowTitle: 24,
  rowDescription: 72,
  listButton: 20,
  interactiveBody: 1024,
  text: 4096,
}

/** Node types whose runtime is not built yet: a graph using them cannot be published (none now). */
export const UNSUPPORTED_AT_RUNTIME: NodeType[] = []

export interface GraphProblem {
  /** The node the problem is on, or null for the graph as a whole. */
  node: string | null
  code: string
  message: string
}

const ID = /^[A-Za-z0-9_-]{1,64}$/
const VARIABLE = /^[a-z][a-z0-9_]{0,39}$/i
const chars = (value: string) => [...value].length

export function emptyGraph(): FlowGraph {
  return { nodes: [], edges: [] }
}

/**
 * Reads untrusted JSON (an import, a form) as a graph, or the problems that
 * make it no graph at all (shape, types, duplicate ids). What it returns
 * may still be unpublishable: see validateGraph.
 */
export function parseGraph(input: unknown): { graph: FlowGraph | null; problems: GraphProblem[] } {
  const problems: GraphProblem[] = []
  const fail = (code: string, message: string, node: string | null = null) => {
    problems.push({ node, code, message })
    return { graph: null, problems }
  }
  let value = input
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      return fail('invalid_json', 'This is not JSON')
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return fail('invalid_shape', 'A flow is an object with "nodes" and "edges"')
  }
  const raw = value as Record<string, unknown>
  if (!Array.isArray(raw.nodes) || !Array.isArray(raw.edges)) {
    return fail('invalid_shape', 'A flow is an object with "nodes" and "edges"')
  }
  if (raw.nodes.length > 500) return fail('too_many_nodes', 'A flow has at most 500 nodes')
  const nodes: FlowNode[] = []
  const seen = new Set<string>()
  for (const [index, item] of raw.nodes.entries()) {
    const node = item as Record<string, any>
    const id = typeof node?.id === 'string' ? node.id : null
    if (!id || !ID.test(id)) {
      problems.push({
        node: null,
        code: 'invalid_id',
        message: `Node ${index + 1} needs an id of letters, digits, "-" or "_"`,
      })
      continue
    }
    if (seen.has(id)) {
      problems.push({ node: id, code: 'duplicate_id', message: 'Two nodes share this id' })
      continue
    }
    seen.add(id)
    if (!NODE_TYPES.includes(node.type)) {
      problems.push({ node: id, code: 'invalid_type', message: `Unknown node type "${node.type}"` })
      continue
    }
    const x = Number(node.position?.x ?? 0)
    const y = Number(node.position?.y ?? 0)
    const data =
      node.data && typeof node.data === 'object' && !Array.isArray(node.data) ? node.data : {}
    nodes.push({
      id,
      type: node.type,
      position: { x: Number.isFinite(x) ? x : 0, y: Number.isFinite(y) ? y : 0 },
      data,
    })
  }
  const edges: FlowEdge[] = []
  for (const item of raw.edges) {
    const edge = item as Record<string, any>
    if (
      typeof edge?.from !== 'string' ||
      typeof edge?.to !== 'string' ||
      typeof (edge?.port ?? 'next') !== 'string'
    ) {
      problems.push({ node: null, code: 'invalid_edge', message: 'An edge needs "from" and "to"' })
      continue
    }
    edges.push({ from: edge.from, port: edge.port ?? 'next', to: edge.to })
  }
  if (problems.length) return { graph: null, problems }
  return { graph: { nodes, edges }, problems }
}

/** The ports a node leaves by (those an edge may start at). */
export function portsOf(node: FlowNode): string[] {
  switch (node.type) {
    case 'message': {
      const choices = choicesOf(node)
      return choices.length ? ['next', 'fallback', ...choices.map((c) => c.id)] : ['next']
    }
    case 'question':
      return ['next', 'fallback']
    case 'condition':
      return ['true', 'false']
    case 'lookup':
    case 'task':
    case 'booking':
      return ['next', 'fallback']
    case 'set':
    case 'enroll':
    case 'wait':
      return ['next']
    default:
      return []
  }
}

/** Ports that must lead somewhere before a flow is published. */
function requiredPorts(node: FlowNode): string[] {
  switch (node.type) {
    case 'condition':
      return ['true', 'false']
    case 'set':
    case 'wait':
    case 'enroll':
    case 'lookup':
    case 'task':
    case 'booking':
    case 'question':
      return ['next']
    default:
      return []
  }
}

/** A message node's buttons or list rows (what the customer picks from). */
export function choicesOf(node: FlowNode): Choice[] {
  if (node.type !== 'message') return []
  const data = node.data as MessageData
  if (Array.isArray(data.buttons) && data.buttons.length) return data.buttons
  if (Array.isArray(data.list?.rows)) return data.list.rows
  return []
}

/** Whether the node stops for the customer's answer. */
export function waitsForAnswer(node: FlowNode) {
  return node.type === 'question' || choicesOf(node).length > 0
}

/** Where leaving `node` by `port` goes (a choice's own port, else `next`), or null. */
export function targetOf(graph: FlowGraph, node: FlowNode, port: string): string | null {
  const edge = graph.edges.find((e) => e.from === node.id && e.port === port)
  if (edge) return edge.to
  if (node.type === 'message' && port !== 'next' && port !== 'fallback') {
    return targetOf(graph, node, 'next')
  }
  return null
}

export function nodeById(graph: FlowGraph, id: string | null | undefined) {
  return id ? (graph.nodes.find((n) => n.id === id) ?? null) : null
}

function text(value: unknown) {
  return typeof value === 'string' ? value : ''
}

/**
 * Everything that stops a graph from being published, per node:
 * unreachable nodes, ports with no target (or a target that is not a
 * node), a node's own data (missing text, WhatsApp's interactive limits)
 * and node types the runtime cannot run yet. Empty: publishable.
 */
export function validateGraph(graph: FlowGraph): GraphProblem[] {
  const problems: GraphProblem[] = []
  const add = (node: string | null, code: string, message: string) =>
    problems.push({ node, code, message })
  if (!graph.nodes.length) {
    add(null, 'empty', 'A flow needs at least one node')
    return problems
  }
  const ids = new Set(graph.nodes.map((n) => n.id))

  for (const edge of graph.edges) {
    const from = nodeById(graph, edge.from)
    if (!from) {
      add(null, 'edge_from_missing', `An edge leaves "${edge.from}", which is not a node`)
      continue
    }
    if (!ids.has(edge.to)) {
      add(
        from.id,
        'edge_to_missing',
        `Port "${edge.port}" leads to "${edge.to}", which is not a node`
      )
    }
    if (!portsOf(from).includes(edge.port)) {
      add(from.id, 'unknown_port', `This ${from.type} node has no port "${edge.port}"`)
    }
  }
  const seenPorts = new Set<string>()
  for (const edge of graph.edges) {
    const key = `${edge.from}\u0000${edge.port}`
    if (seenPorts.has(key)) add(edge.from, 'duplicate_port', `Port "${edge.port}" has two edges`)
    seenPorts.add(key)
  }

  for (const node of graph.nodes) {
    for (const port of requiredPorts(node)) {
      if (!graph.edges.some((e) => e.from === node.id && e.port === port)) {
        add(node.id, 'port_without_target', `Port "${port}" leads nowhere`)
      }
    }
    if (node.type === 'message' && choicesOf(node).length) {
      const choices = choicesOf(node)
      const unrouted = choices.filter(
        (c) => !graph.edges.some((e) => e.from === node.id && e.port === c.id)
      )
      if (unrouted.length && !graph.edges.some((e) => e.from === node.id && e.port === 'next')) {
        add(
          node.id,
          'port_without_target',
          `"${unrouted.map((c) => c.title).join('", "')}" leads nowhere (connect it or "next")`
        )
      }
    }
    if (UNSUPPORTED_AT_RUNTIME.includes(node.type)) {
      add(node.id, 'unsupported', `${node.type} nodes cannot run yet`)
    }
    checkData(node, ids, add)
  }

  // Reachability from the start node, following every edge and jump.
  const reached = new Set<string>([graph.nodes[0].id])
  const queue = [graph.nodes[0].id]
  while (queue.length) {
    const node = nodeById(graph, queue.shift())!
    const next = graph.edges.filter((e) => e.from === node.id).map((e) => e.to)
    if (node.type === 'jump' && typeof node.data.to === 'string') next.push(node.data.to)
    for (const id of next) {
      if (ids.has(id) && !reached.has(id)) {
        reached.add(id)
        queue.push(id)
      }
    }
  }
  for (const node of graph.nodes) {
    if (!reached.has(node.id))
      add(node.id, 'unreachable', 'No path from the start reaches this node')
  }
  return problems
}

function checkData(
  node: FlowNode,
  ids: Set<string>,
  add: (node: string | null, code: string, message: string) => void
) {
  const data = node.data
  const problem = (code: string, message: string) => add(node.id, code, message)
  switch (node.type) {
    case 'message': {
      const body = text(data.text)
      if (!body.trim()) problem('text_missing', 'Write the message')
      const buttons = Array.isArray(data.buttons) ? (data.buttons as Choice[]) : []
      const rows = Array.isArray(data.list?.rows) ? (data.list.rows as Choice[]) : []
      if (buttons.length && rows.length)
        problem('buttons_and_list', 'Use buttons or a list, not both')
      if (buttons.length > WA_LIMITS.buttons) {
        problem('too_many_buttons', `WhatsApp allows at most ${WA_LIMITS.buttons} reply buttons`)
      }
      if (data.list && !rows.length) problem('list_empty', 'A list needs at least one row')
      if (rows.length > WA_LIMITS.listRows) {
        problem('too_many_rows', `WhatsApp allows at most ${WA_LIMITS.listRows} list rows`)
      }
      if (data.list && !text(data.list.button).trim()) {
        problem('list_button_missing', 'Name the button that opens the list')
      } else if (data.list && chars(text(data.list.button)) > WA_LIMITS.listButton) {
        problem(
          'list_button_too_long',
          `The list button's name is at most ${WA_LIMITS.listButton} characters`
        )
      }
      const interactive = buttons.length > 0 || rows.length > 0 || !!data.url
      if (data.media) {
        if (!MEDIA_TYPES.includes(data.media.type))
          problem('media_type_invalid', 'Send a picture, a video or a file')
        if (!/^https:\/\/\S+$/.test(text(data.media.link)))
          problem('media_link_invalid', 'The file’s link must start with https://')
        if (data.media.filename !== undefined && chars(text(data.media.filename)) > 240)
          problem('media_filename_too_long', 'The file name is at most 240 characters')
        if (interactive)
          problem(
            'media_and_choices',
            'A picture or file goes on a message without reply buttons, a list or a link button'
          )
      }
      const limit = interactive || data.media ? WA_LIMITS.interactiveBody : WA_LIMITS.text
      if (chars(body) > limit) {
        problem(
          'text_too_long',
          `The message is at most ${limit} characters${interactive ? ' with buttons or a list' : ''}`
        )
      }
      if (
        data.variable !== undefined &&
        data.variable !== '' &&
        !VARIABLE.test(text(data.variable))
      ) {
        problem('variable_invalid', 'Name the variable (letters, digits, _)')
      }
      const choiceIds = new Set<string>()
      for (const button of buttons) {
        const title = text(button?.title)
        if (!title.trim()) problem('button_title_missing', 'Every button needs a title')
        else if (chars(title) > WA_LIMITS.buttonTitle) {
          problem(
            'button_title_too_long',
            `Button "${title}" is over ${WA_LIMITS.buttonTitle} characters`
          )
        }
        checkChoiceId(button, choiceIds, problem)
      }
      for (const row of rows) {
        const title = text(row?.title)
        if (!title.trim()) problem('row_title_missing', 'Every list row needs a title')
        else if (chars(title) > WA_LIMITS.rowTitle) {
          problem('row_title_too_long', `Row "${title}" is over ${WA_LIMITS.rowTitle} characters`)
        }
        if (row?.description && chars(text(row.description)) > WA_LIMITS.rowDescription) {
          problem(
            'row_description_too_long',
            `Row "${title}"'s description is over ${WA_LIMITS.rowDescription} characters`
          )
        }
        checkChoiceId(row, choiceIds, problem)
      }
      const titles = [...buttons, ...rows].map((c) => text(c?.title).trim().toLowerCase())
      if (new Set(titles).size !== titles.length)
        problem('duplicate_title', 'Two choices share a title')
      if (data.url) {
        if (!/^https:\/\/\S+$/.test(text(data.url.url)))
          problem('url_invalid', 'The link must start with https://')
        if (!text(data.url.title).trim()) problem('url_title_missing', 'Name the link button')
        else if (chars(text(data.url.title)) > WA_LIMITS.buttonTitle) {
          problem(
            'url_title_too_long',
            `The link button's name is at most ${WA_LIMITS.buttonTitle} characters`
          )
        }
        if (buttons.length || rows.length)
          problem(
            'url_and_choices',
            'A link button goes on a message without reply buttons or a list'
          )
      }
      break
    }
    case 'question': {
      if (!text(data.text).trim()) problem('text_missing', 'Write the question')
      if (chars(text(data.text)) > WA_LIMITS.text)
        problem('text_too_long', 'The question is too long')
      if (!QUESTION_KINDS.includes(data.kind))
        problem('kind_invalid', 'Choose what kind of answer to expect')
      if (!VARIABLE.test(text(data.variable))) {
        problem('variable_invalid', 'Name the variable the answer goes in (letters, digits, _)')
      }
      if (data.kind === 'choice' && (!Array.isArray(data.choices) || !data.choices.length)) {
        problem('choices_missing', 'List the choices')
      }
      if (
        data.max_retries !== undefined &&
        !(Number.isInteger(data.max_retries) && data.max_retries >= 0 && data.max_retries <= 5)
      ) {
        problem('max_retries_invalid', 'Retries are a whole number from 0 to 5')
      }
      if (data.pattern) {
        try {
          new RegExp(data.pattern)
        } catch {
          problem('pattern_invalid', 'The pattern is not a valid regular expression')
        }
      }
      break
    }
    case 'condition': {
      const rules = Array.isArray(data.rules) ? (data.rules as ConditionRule[]) : []
      if (!rules.length) problem('rules_missing', 'Add at least one rule')
      if (data.match !== undefined && data.match !== 'all' && data.match !== 'any') {
        problem('match_invalid', 'Match all or any of the rules')
      }
      for (const rule of rules) {
        if (!['variable', 'field', 'label', 'consent'].includes(rule?.on)) {
          problem('rule_invalid', 'A rule reads a variable, a contact field, a label or consent')
        } else if (!CONDITION_OPS.includes(rule.op)) {
          problem('rule_invalid', `Unknown comparison "${rule.op}"`)
        } else if (!text(rule.key).trim() && rule.on !== 'label') {
          problem('rule_invalid', 'A rule needs the name of what it reads')
        }
      }
      break
    }
    case 'set':
      if (!['variable', 'field', 'label_add', 'label_remove'].includes(data.target)) {
        problem('target_invalid', 'Set a variable, a contact field or a label')
      }
      if (!text(data.key).trim()) problem('key_missing', 'Name what to set')
      break
    case 'wait': {
      const minutes = Number(data.minutes)
      if (!Number.isFinite(minutes) || minutes < 1 || minutes > 60 * 24 * 30) {
        problem('minutes_invalid', 'Wait between 1 minute and 30 days')
      }
      break
    }
    case 'jump':
      if (typeof data.to !== 'string' || !ids.has(data.to))
        problem('jump_target_missing', 'Choose a node to jump to')
      else if (data.to === node.id) problem('jump_to_itself', 'A jump cannot lead to itself')
      break
    case 'lookup':
      checkLookup(data as LookupData, problem)
      break
    case 'task': {
      const title = text(data.title)
      if (!title.trim()) problem('title_missing', 'Give the task a title')
      else if (chars(title) > 200)
        problem('title_too_long', 'A task title is at most 200 characters')
      if (data.details !== undefined && chars(text(data.details)) > 4000) {
        problem('details_too_long', 'The details are at most 4,000 characters')
      }
      if (
        data.timeout_minutes !== undefined &&
        !wholeBetween(data.timeout_minutes, 1, TASK_TIMEOUT.max)
      ) {
        problem('timeout_invalid', 'The timeout is a whole number of minutes, 1 to 30 days')
      }
      if (
        data.variable !== undefined &&
        data.variable !== '' &&
        !VARIABLE.test(text(data.variable))
      ) {
        problem('variable_invalid', 'Name the variable (letters, digits, _)')
      }
      if (data.text !== undefined && chars(text(data.text)) > WA_LIMITS.text) {
        problem('text_too_long', 'The message is too long')
      }
      break
    }
    case 'enroll':
      if (!text(data.sequence_id).trim()) problem('sequence_id_missing', 'Choose a sequence')
      break
    case 'booking': {
      if (!text(data.service_id).trim()) problem('service_id_missing', 'Choose a service')
      if (data.days !== undefined && !wholeBetween(data.days, 1, BOOKING_DAYS.max)) {
        problem('days_invalid', `Offer times 1 to ${BOOKING_DAYS.max} days ahead`)
      }
      if (
        data.variable !== undefined &&
        data.variable !== '' &&
        !VARIABLE.test(text(data.variable))
      ) {
        problem('variable_invalid', 'Name the variable (letters, digits, _)')
      }
      for (const key of ['text', 'taken_text'] as const) {
        if (data[key] !== undefined && chars(text(data[key])) > WA_LIMITS.interactiveBody) {
          problem(
            'text_too_long',
            `The message is at most ${WA_LIMITS.interactiveBody} characters with a list`
          )
        }
      }
      if (data.confirm_text !== undefined && chars(text(data.confirm_text)) > WA_LIMITS.text) {
        problem('text_too_long', 'The message is too long')
      }
      break
    }
    case 'handoff':
    case 'end':
      if (data.text !== undefined && chars(text(data.text)) > WA_LIMITS.text) {
        problem('text_too_long', 'The message is too long')
      }
      break
  }
}

function wholeBetween(value: unknown, min: number, max: number) {
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= max
}

function checkLookup(data: LookupData, problem: (code: string, message: string) => void) {
  if (data.source !== 'dataset' && data.source !== 'connector') {
    problem('source_invalid', 'Look up in a dataset or an API connector')
  }
  if (!text(data.source_id).trim()) {
    problem('source_id_missing', 'Choose the dataset or connector to look up in')
  }
  if (!VARIABLE.test(text(data.variable))) {
    problem('variable_invalid', 'Name the variable the results go in (letters, digits, _)')
  }
  if (data.limit !== undefined && !wholeBetween(data.limit, 1, LOOKUP_LIMIT.max)) {
    problem('limit_invalid', `Keep 1 to ${LOOKUP_LIMIT.max} results`)
  }
  if (data.query !== undefined && (typeof data.query !== 'string' || chars(data.query) > 500)) {
    problem('query_invalid', 'The search is a text of at most 500 characters')
  }
  if (
    data.params !== undefined &&
    (!data.params ||
      typeof data.params !== 'object' ||
      Array.isArray(data.params) ||
      Object.values(data.params).some((v) => typeof v !== 'string'))
  ) {
    problem('params_invalid', 'Each connector parameter is a text (it may use {{variables}})')
  }
  if (data.list !== undefined) {
    const list = (data.list ?? {}) as NonNullable<LookupData['list']>
    const body = text(list.text)
    if (!body.trim()) problem('text_missing', 'Write the text above the list')
    else if (chars(body) > WA_LIMITS.interactiveBody) {
      problem(
        'text_too_long',
        `The message is at most ${WA_LIMITS.interactiveBody} characters with a list`
      )
    }
    if (!text(list.button).trim())
      problem('list_button_missing', 'Name the button that opens the list')
    else if (chars(text(list.button)) > WA_LIMITS.listButton) {
      problem(
        'list_button_too_long',
        `The list button's name is at most ${WA_LIMITS.listButton} characters`
      )
    }
    if (!text(list.title).trim()) {
      problem('row_title_missing', 'Say what each row shows as its title, e.g. {{name}}')
    }
  }
}

function checkChoiceId(
  choice: Choice,
  ids: Set<string>,
  problem: (code: string, message: string) => void
) {
  const id = typeof choice?.id === 'string' ? choice.id : ''
  if (!ID.test(id) || ['next', 'fallback'].includes(id)) {
    problem(
      'choice_id_invalid',
      `Choice "${choice?.title ?? ''}" needs an id (letters, digits, - or _; not next or fallback)`
    )
  } else if (ids.has(id)) {
    problem('duplicate_choice_id', `Two choices share the id "${id}"`)
  }
  ids.add(id)
}

/**
 * Fills {{variable}} and {{contact.field}} in a text. Unknown names become
 * empty: a customer never sees a raw placeholder.
 */
export function fillText(
  template: string,
  variables: Record<string, unknown>,
  contact: Record<string, unknown>
) {
  return template.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (_, name: string) => {
    const value = name.startsWith('contact.') ? contact[name.slice(8)] : variables[name]
    return shown(value)
  })
}

/** A value as a text shows it: a list by its items (a row by its summary), an object as JSON. */
function shown(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (Array.isArray(value)) return value.map(shown).filter(Boolean).join(', ')
  if (typeof value === 'object') {
    const summary = (value as Record<string, unknown>).summary
    return typeof summary === 'string' ? summary : JSON.stringify(value)
  }
  return String(value)
}
