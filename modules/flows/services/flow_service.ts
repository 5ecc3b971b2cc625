import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { DateTime } from 'luxon'
import { clock } from '#app/clock'
import type { TenantContext } from '#modules/tenancy/index'
import { normalizeKeyword } from '#modules/channels/index'
import { graphProblems } from './graph_references.js'
import { parseGraph, emptyGraph, type FlowGraph, type GraphProblem } from './graph.js'

/*
| Flows and their versions: a flow keeps a draft graph; publishing
| validates it and freezes it as the next version (a session keeps the
| version it started on, whatever is published after).
*/

export type FlowStatus = 'draft' | 'published' | 'archived'
export type FlowFallback = 'handoff' | 'assistant'

export interface FlowTriggers {
  /** Whole-message keywords (normalised like opt-out words). */
  keywords: string[]
  /** The customer's first message on a channel starts it. */
  first_message: boolean
  /** A tapped button's payload or a list row's id. */
  payloads: string[]
  /** Click-to-WhatsApp ad or post ids (a referral's source_id); "*" any. */
  referrals: string[]
  /** The first reply to one of these campaigns (within 72 hours of it); "*" any campaign. */
  campaign_ids: string[]
  /** A web chat visitor's first message. */
  webchat_start: boolean
  /** Only on these channels (empty: every channel). */
  channel_ids: string[]
}

export interface Flow {
  id: string
  name: string
  status: FlowStatus
  graph: FlowGraph
  triggers: FlowTriggers
  expiryHours: number
  expiryMessage: string | null
  fallback: FlowFallback
  publishedVersionId: string | null
  version: number | null
  createdAt: DateTime
  updatedAt: DateTime
}

export interface FlowVersion {
  id: string
  flowId: string
  version: number
  graph: FlowGraph
  publishedAt: DateTime
  /** A snapshot of the draft for "Try it", never published. */
  draft: boolean
}

export class FlowError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 422,
    readonly problems: GraphProblem[] = [],
    readonly field?: string
  ) {
    super(message)
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function json<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

function dt(value: unknown) {
  return DateTime.fromJSDate(value instanceof Date ? value : new Date(value as string))
}

export function triggersOf(value: unknown): FlowTriggers {
  const raw = json<Record<string, any>>(value, {})
  const list = (v: unknown) =>
    Array.isArray(v) ? v.map((x) => String(x).trim()).filter(Boolean) : []
  return {
    keywords: list(raw.keywords).map(normalizeKeyword).filter(Boolean),
    first_message: raw.first_message === true,
    payloads: list(raw.payloads),
    referrals: list(raw.referrals),
    campaign_ids: list(raw.campaign_ids),
    webchat_start: raw.webchat_start === true,
    channel_ids: list(raw.channel_ids),
  }
}

export function flowOf(row: any): Flow {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    graph: json<FlowGraph>(row.graph, emptyGraph()),
    triggers: triggersOf(row.triggers),
    expiryHours: Number(row.expiry_hours),
    expiryMessage: row.expiry_message ?? null,
    fallback: row.fallback,
    publishedVersionId: row.published_version_id ?? null,
    version: row.version === undefined || row.version === null ? null : Number(row.version),
    createdAt: dt(row.created_at),
    updatedAt: dt(row.updated_at),
  }
}

export function versionOf(row: any): FlowVersion {
  return {
    id: row.id,
    flowId: row.flow_id,
    version: Number(row.version),
    graph: json<FlowGraph>(row.graph, emptyGraph()),
    publishedAt: dt(row.published_at),
    draft: row.draft === true,
  }
}

const SELECT = (tenant: TenantContext) =>
  `select f.*, v.version from ${tenant.table('flows')} f
     left join ${tenant.table('flow_versions')} v on v.id = f.published_version_id`

export async function listFlows(tenant: TenantContext): Promise<Flow[]> {
  const result = await db.rawQuery(`${SELECT(tenant)} order by f.created_at desc, f.id`)
  return result.rows.map(flowOf)
}

export async function findFlow(tenant: TenantContext, id: string): Promise<Flow | null> {
  if (!UUID.test(id)) return null
  const result = await db.rawQuery(`${SELECT(tenant)} where f.id = ?`, [id])
  return result.rows[0] ? flowOf(result.rows[0]) : null
}

export async function findFlowOrFail(tenant: TenantContext, id: string) {
  const flow = await findFlow(tenant, id)
  if (!flow) throw new FlowError('not_found', 'No such flow', 404)
  return flow
}

export async function findVersion(tenant: TenantContext, id: string) {
  const result = await db.rawQuery(`select * from ${tenant.table('flow_versions')} where id = ?`, [
    id,
  ])
  return result.rows[0] ? versionOf(result.rows[0]) : null
}

export interface FlowInput {
  name: string
  triggers?: Partial<FlowTriggers>
  expiryHours?: number
  expiryMessage?: string | null
  fallback?: FlowFallback
}

function checkInput(input: FlowInput) {
  if (!input.name?.trim()) throw new FlowError('invalid', 'Give the flow a name', 422, [], 'name')
  if (input.name.trim().length > 120) {
    throw new FlowError('invalid', 'A name is at most 120 characters', 422, [], 'name')
  }
  const hours = input.expiryHours ?? 24
  if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 30) {
    throw new FlowError('invalid', 'Expiry is 1 to 720 hours', 422, [], 'expiry_hours')
  }
  if (input.fallback && !['handoff', 'assistant'].includes(input.fallback)) {
    throw new FlowError('invalid', 'Fall back to a person or the assistant', 422, [], 'fallback')
  }
}

export async function createFlow(
  tenant: TenantContext,
  input: FlowInput & { graph?: FlowGraph },
  userId: string | null
): Promise<Flow> {
  checkInput(input)
  const result = await db.rawQuery(
    `insert into ${tenant.table('flows')}
       (name, graph, triggers, expiry_hours, expiry_message, fallback, created_by)
     values (?, ?::jsonb, ?::jsonb, ?, ?, ?, ?) returning id`,
    [
      input.name.trim(),
      JSON.stringify(input.graph ?? emptyGraph()),
      JSON.stringify(triggersOf(input.triggers ?? {})),
      input.expiryHours ?? 24,
      input.expiryMessage?.trim() || null,
      input.fallback ?? 'handoff',
      userId,
    ]
  )
  return (await findFlow(tenant, result.rows[0].id))!
}

export async function updateFlow(tenant: TenantContext, id: string, input: FlowInput) {
  await findFlowOrFail(tenant, id)
  checkInput(input)
  await db.rawQuery(
    `update ${tenant.table('flows')}
        set name = ?, triggers = ?::jsonb, expiry_hours = ?, expiry_message = ?, fallback = ?,
            updated_at = now()
      where id = ?`,
    [
      input.name.trim(),
      JSON.stringify(triggersOf(input.triggers ?? {})),
      input.expiryHours ?? 24,
      input.expiryMessage?.trim() || null,
      input.fallback ?? 'handoff',
      id,
    ]
  )
  return findFlowOrFail(tenant, id)
}

/**
 * Replaces the draft graph with imported JSON. Refused (with the problems
 * per node) when it is no graph at all; a graph that is one but not yet
 * publishable is saved, and its problems are returned to show.
 */
export async function importGraph(tenant: TenantContext, id: string, input: unknown) {
  await findFlowOrFail(tenant, id)
  const { graph, problems } = parseGraph(input)
  if (!graph) throw new FlowError('invalid_graph', 'The JSON is not a flow', 422, problems)
  await db.rawQuery(
    `update ${tenant.table('flows')} set graph = ?::jsonb, updated_at = now() where id = ?`,
    [JSON.stringify(graph), id]
  )
  return { flow: await findFlowOrFail(tenant, id), problems: await graphProblems(tenant, graph) }
}

/** How long a fresh draft snapshot is kept for the trial about to start on it. */
const SNAPSHOT_GRACE_MS = 60_000

/**
 * Freezes the draft as a version row marked `draft` (version 0) for "Try
 * it": a trial session runs it like a published version, and keeps it
 * whatever the draft becomes. Refused when the draft has no node.
 *
 * Trying again without a change reuses the latest snapshot of the same
 * graph (a version is immutable, so sessions may share it as they share a
 * published one); its time is renewed so no other trial prunes it. Older
 * snapshots no session runs on are deleted (sessions cascade with their
 * version, so a referenced one, like every published version, stays), once
 * older than a minute: a trial that has just made one has that long to
 * start its session on it.
 */
export async function snapshotDraft(tenant: TenantContext, id: string, userId: string | null) {
  const flow = await findFlowOrFail(tenant, id)
  if (!flow.graph.nodes.length) {
    throw new FlowError('invalid_graph', 'A flow needs at least one node', 422, [
      { node: null, code: 'empty', message: 'A flow needs at least one node' },
    ])
  }
  const now = clock.now().toJSDate()
  const graph = JSON.stringify(flow.graph)
  const versionId = await tenant.transaction(async (trx) => {
    const reused = await trx.rawQuery(
      `update flow_versions set published_at = ?, published_by = coalesce(?, published_by)
        where id = (select id from flow_versions
                     where flow_id = ? and draft and graph = ?::jsonb
                     order by published_at desc, id desc limit 1)
        returning id`,
      [now, userId, id, graph] as any[]
    )
    let kept = reused.rows[0]?.id as string | undefined
    if (!kept) {
      const inserted = await trx.rawQuery(
        `insert into flow_versions (flow_id, version, graph, published_at, published_by, draft)
         values (?, 0, ?::jsonb, ?, ?, true) returning id`,
        [id, graph, now, userId] as any[]
      )
      kept = inserted.rows[0].id as string
    }
    await trx.rawQuery(
      `delete from flow_versions v
        where v.flow_id = ? and v.draft and v.id <> ? and v.published_at < ?
          and not exists (select 1 from flow_sessions s where s.version_id = v.id)`,
      [id, kept, new Date(now.getTime() - SNAPSHOT_GRACE_MS)]
    )
    return kept
  })
  return { flow, versionId }
}

/**
 * Freezes the draft as the next version and makes it the one new sessions
 * start on. Refused with the validator's problems when there are any.
 */
export async function publishFlow(tenant: TenantContext, id: string, userId: string | null) {
  const flow = await findFlowOrFail(tenant, id)
  const problems = await graphProblems(tenant, flow.graph)
  if (problems.length) {
    throw new FlowError('invalid_graph', 'Fix these problems before publishing', 422, problems)
  }
  await tenant.transaction(async (trx) => {
    await trx.rawQuery(`select id from flows where id = ? for update`, [id])
    const next = await trx.rawQuery(
      `select coalesce(max(version), 0) + 1 as version from flow_versions where flow_id = ? and not draft`,
      [id]
    )
    const inserted = await trx.rawQuery(
      `insert into flow_versions (flow_id, version, graph, published_at, published_by)
       values (?, ?, ?::jsonb, ?, ?) returning id`,
      [id, next.rows[0].version, JSON.stringify(flow.graph), clock.now().toJSDate(), userId]
    )
    await trx.rawQuery(
      `update flows set status = 'published', published_version_id = ?, updated_at = now() where id = ?`,
      [inserted.rows[0].id, id]
    )
  })
  return findFlowOrFail(tenant, id)
}

export async function setFlowStatus(
  tenant: TenantContext,
  id: string,
  status: 'archived' | 'draft'
) {
  const flow = await findFlowOrFail(tenant, id)
  const next = status === 'draft' && flow.publishedVersionId ? 'published' : status
  await db.rawQuery(
    `update ${tenant.table('flows')} set status = ?, updated_at = now() where id = ?`,
    [next, id]
  )
  return findFlowOrFail(tenant, id)
}

export interface FlowStats {
  starts: number
  completions: number
  active: number
  /** Sessions paused while a person has the conversation. */
  paused: number
  /** Per node: sessions that reached it, and sessions that stopped there without completing. */
  nodes: Array<{ nodeId: string; reached: number; dropped: number }>
}

export async function flowStats(tenant: TenantContext, flowIds: string[]) {
  const stats = new Map<string, FlowStats>()
  for (const id of flowIds) {
    stats.set(id, { starts: 0, completions: 0, active: 0, paused: 0, nodes: [] })
  }
  if (!flowIds.length) return stats
  const totals = await db.rawQuery(
    `select flow_id, count(*)::int as starts,
            count(*) filter (where status = 'completed')::int as completions,
            count(*) filter (where status = 'active')::int as active,
            count(*) filter (where status = 'paused')::int as paused
       from ${tenant.table('flow_sessions')}
      where flow_id = any(?::uuid[]) and source <> 'try' group by flow_id`,
    [flowIds]
  )
  for (const row of totals.rows) {
    Object.assign(stats.get(row.flow_id)!, {
      starts: row.starts,
      completions: row.completions,
      active: row.active,
      paused: row.paused,
    })
  }
  return stats
}

/** Reached and dropped per node of one flow (all its versions together, by node id; trials left out). */
export async function nodeStats(tenant: TenantContext, flowId: string) {
  const result = await db.rawQuery(
    `with reached as (
        select node_id, count(distinct session_id)::int as reached
          from ${tenant.table('flow_steps')}
         where flow_id = ? and event = 'entered' and node_id is not null
           and session_id not in (select id from ${tenant.table('flow_sessions')}
                                   where flow_id = ? and source = 'try')
         group by node_id),
      dropped as (
        select current_node as node_id, count(*)::int as dropped
          from ${tenant.table('flow_sessions')}
         where flow_id = ? and status in ('expired', 'stopped', 'handed_off') and source <> 'try'
         group by current_node)
      select coalesce(r.node_id, d.node_id) as node_id, coalesce(r.reached, 0) as reached,
             coalesce(d.dropped, 0) as dropped
        from reached r full join dropped d on d.node_id = r.node_id`,
    [flowId, flowId, flowId]
  )
  return new Map<string, { reached: number; dropped: number }>(
    result.rows.map((r: any) => [r.node_id, { reached: r.reached, dropped: r.dropped }])
  )
}

/** Published flows (for triggers), newest first. */
export async function publishedFlows(
  tenant: TenantContext,
  client?: TransactionClientContract
): Promise<Flow[]> {
  const result = await (client ?? db).rawQuery(
    `${SELECT(tenant)} where f.status = 'published' and f.published_version_id is not null
      order by f.updated_at desc`
  )
  return result.rows.map(flowOf)
}
