import type { Flow, FlowStats } from '../services/flow_service.js'
import type { FlowSession } from '../services/runtime.js'

/** A flow in the API (its draft graph is the export's, not the list's). */
export function presentFlow(flow: Flow, stats?: FlowStats) {
  return {
    id: flow.id,
    name: flow.name,
    status: flow.status,
    version: flow.version,
    triggers: flow.triggers,
    expiry_hours: flow.expiryHours,
    fallback: flow.fallback,
    ...(stats ? { starts: stats.starts, completions: stats.completions } : {}),
    created_at: flow.createdAt.toISO(),
    updated_at: flow.updatedAt.toISO(),
  }
}

/** A session in the API and in `flow.completed`. */
export function presentSession(
  session: FlowSession,
  flow?: { name: string; version: number | null }
) {
  return {
    id: session.id,
    flow_id: session.flowId,
    ...(flow ? { flow_name: flow.name } : {}),
    version_id: session.versionId,
    conversation_id: session.conversationId,
    contact_id: session.contactId,
    status: session.status,
    source: session.source,
    current_node: session.currentNode,
    variables: session.variables,
    answers: session.answers,
    end_reason: session.endReason,
    started_at: session.startedAt.toISO(),
    ended_at: session.endedAt?.toISO() ?? null,
    paused_at: session.pausedAt?.toISO() ?? null,
    expires_at: session.expiresAt.toISO(),
  }
}
