import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { fixClock } from '#app/clock'
import { runDueNow } from '#modules/pulse/index'
import {
  createFlow,
  findFlow,
  importGraph,
  publishFlow,
  startSession,
  type FlowGraph,
  type FlowInput,
} from '#modules/flows/index'
import { readAssistantSettings, saveAssistantSettings } from '#modules/brain/index'
import type { TenantContext } from '#modules/tenancy/index'
import { campaignTenant } from '#tests/functional/pulse/campaign_fixtures'
import {
  customer,
  postWebhook,
  startInboundWorkers,
  unix,
  waitFor,
  waId,
  wamid,
  webhook,
} from '#tests/helpers/whatsapp'

type Cleanup = (fn: () => void | Promise<void>) => void

/** A WhatsApp workspace whose inbound pipeline runs, with the assistant on (a flow keeps it silent). */
export async function flowTenant(cleanup: Cleanup, prefix = 'flw') {
  const made = await campaignTenant(cleanup as any, {}, prefix)
  const workers = await startInboundWorkers()
  cleanup(() => workers.stop())
  // The assistant is on: the flow must keep it silent.
  const current = await readAssistantSettings(made.context, made.channel.id)
  await saveAssistantSettings(made.context, made.channel.id, { ...current, enabled: true }, null)
  return made
}

/** The conversation (and contact) of the customer writing from `from`. */
export async function conversationOf(context: TenantContext, from: string) {
  const result = await db.rawQuery(
    `select c.id, c.contact_id from ${context.table('conversations')} c
       join ${context.table('contacts')} p on p.id = c.contact_id where p.wa_id = ?`,
    [from]
  )
  return result.rows[0] as { id: string; contact_id: string }
}

/**
 * The intake of the tests: buttons, a validated question with a retry,
 * a condition, a contact field set from an answer, and two ends.
 */
export function intakeGraph(greeting = 'Hi {{contact.name}}! What cover do you need?'): FlowGraph {
  return {
    nodes: [
      {
        id: 'welcome',
        type: 'message',
        position: { x: 0, y: 0 },
        data: {
          text: greeting,
          variable: 'cover',
          buttons: [
            { id: 'car', title: 'Car' },
            { id: 'home', title: 'Home' },
            { id: 'health', title: 'Health' },
          ],
        },
      },
      {
        id: 'age',
        type: 'question',
        position: { x: 0, y: 120 },
        data: {
          text: 'How old are you, {{contact.name}}?',
          kind: 'number',
          min: 18,
          max: 99,
          variable: 'age',
          retry_text: 'Please send your age as a number, e.g. 34.',
          max_retries: 1,
        },
      },
      {
        id: 'check',
        type: 'condition',
        position: { x: 0, y: 240 },
        data: { match: 'all', rules: [{ on: 'variable', key: 'age', op: 'gt', value: '25' }] },
      },
      {
        id: 'save',
        type: 'set',
        position: { x: 0, y: 360 },
        data: { target: 'field', key: 'area', value: '{{cover}}' },
      },
      {
        id: 'done',
        type: 'end',
        position: { x: 0, y: 480 },
        data: { text: 'Thanks! Your {{cover}} quote is on its way.' },
      },
      {
        id: 'young',
        type: 'end',
        position: { x: 200, y: 360 },
        data: { text: 'A colleague will call you about our youth plans.' },
      },
    ],
    edges: [
      { from: 'welcome', port: 'next', to: 'age' },
      { from: 'age', port: 'next', to: 'check' },
      { from: 'check', port: 'true', to: 'save' },
      { from: 'check', port: 'false', to: 'young' },
      { from: 'save', port: 'next', to: 'done' },
    ],
  }
}

/** A flow with the graph, published. */
export async function publishedFlow(
  context: TenantContext,
  graph: FlowGraph = intakeGraph(),
  input: Partial<FlowInput> = {}
) {
  const flow = await createFlow(
    context,
    { name: 'Intake', triggers: { keywords: ['insurance'] }, ...input },
    null
  )
  await importGraph(context, flow.id, graph)
  return publishFlow(context, flow.id, null)
}

/** Runs every due step at `at` (the clock moved there for the run, as a worker would see it). */
export async function runAt(context: TenantContext, at: DateTime) {
  const release = fixClock(at.toISO()!)
  try {
    return await runDueNow({ tenant: context, now: at })
  } finally {
    release()
  }
}

export function typed(from: string, body: string) {
  return { from, id: wamid(), timestamp: unix(), type: 'text', text: { body } }
}

export function tapped(from: string, id: string, title: string) {
  return {
    from,
    id: wamid(),
    timestamp: unix(),
    type: 'interactive',
    interactive: { type: 'button_reply', button_reply: { id, title } },
  }
}

/** A row picked from a list message. */
export function picked(from: string, id: string, title: string) {
  return {
    from,
    id: wamid(),
    timestamp: unix(),
    type: 'interactive',
    interactive: { type: 'list_reply', list_reply: { id, title } },
  }
}

/**
 * The customer's message through a real webhook, at `at` on the app clock;
 * resolves once it was handed on (its listeners, the flow's among them,
 * have run). Returns the stored message's id.
 */
export async function say(
  made: { context: TenantContext; phoneNumberId: string; wabaId: string; appSecret: string },
  message: { from: string; id: string } & Record<string, unknown>,
  at: DateTime,
  profile = 'Layla'
) {
  const release = fixClock(at.toISO()!)
  try {
    const response = await postWebhook(
      webhook(made, { messages: [message as any], profiles: { [message.from]: profile } }),
      made.appSecret
    )
    if (response.status !== 200) throw new Error(`webhook answered ${response.status}`)
    return await waitFor(async () => {
      const result = await db.rawQuery(
        `select id from ${made.context.table('messages')} where external_id = ? and processed_at is not null`,
        [message.id]
      )
      return result.rows[0]?.id as string | undefined
    })
  } finally {
    release()
  }
}

export async function sessionsOf(context: TenantContext, flowId: string) {
  const result = await db.rawQuery(
    `select * from ${context.table('flow_sessions')} where flow_id = ? order by started_at, id`,
    [flowId]
  )
  return result.rows as Array<Record<string, any>>
}

/** What the flow sent (system messages), oldest first. */
export async function flowMessages(context: TenantContext, conversationId: string) {
  const result = await db.rawQuery(
    `select id, type, body, payload, idempotency_key from ${context.table('messages')}
      where conversation_id = ? and author_type = 'system' and direction = 'outbound'
      order by created_at, seq`,
    [conversationId]
  )
  return result.rows as Array<Record<string, any>>
}

/** The fixed clock's start of a test: now, to the second. */
export function start() {
  return DateTime.now().startOf('second')
}

/**
 * The preamble of most runtime tests: a new customer writes the flow's
 * keyword at `t0` through a real webhook and its first step runs at `t0`.
 * Returns who wrote, their conversation and contact, and what the flow sent.
 */
export async function startByKeyword(
  made: { context: TenantContext; phoneNumberId: string; wabaId: string; appSecret: string },
  t0: DateTime,
  keyword = 'insurance'
) {
  const from = waId()
  const messageId = await say(made, typed(from, keyword), t0)
  await runAt(made.context, t0)
  const { id: conversationId, contact_id: contactId } = await conversationOf(made.context, from)
  const sent = await flowMessages(made.context, conversationId)
  return { from, messageId, conversationId, contactId, sent }
}

/**
 * Starts the flow for a new customer of the channel (the API's start),
 * named Layla, and runs its first step at `t` (unless `run: false`).
 */
export async function startByApi(
  made: { context: TenantContext; channel: { id: string } },
  flowId: string,
  t: DateTime,
  options: {
    timeZone?: string
    optedOut?: boolean
    variables?: Record<string, unknown>
    run?: boolean
  } = {}
) {
  const person = await customer(made.context, made.channel, { optedOut: options.optedOut })
  await db.rawQuery(
    `update ${made.context.table('contacts')} set name = ?, time_zone = ? where id = ?`,
    ['Layla', options.timeZone ?? null, person.contactId]
  )
  const session = await startSession(made.context, (await findFlow(made.context, flowId))!, {
    conversationId: person.conversationId,
    contactId: person.contactId,
    source: 'api',
    variables: options.variables,
    now: t,
  })
  if (options.run !== false) await runAt(made.context, t)
  return { ...person, from: person.phone.slice(1), sessionId: session!.id }
}
