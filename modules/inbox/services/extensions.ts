import type { TenantContext } from '#modules/tenancy/index'
import type { WorkspaceAccess } from '#modules/identity/index'

/*
| Where modules built on channels take part in its work without channels
| importing them (they import channels, so the other way would be a cycle).
| They register at boot, from their listeners; channels consults whatever is
| registered, and behaves as plain channels when nothing is.
|
| - An assignment gate may hold round-robin assignment of a conversation
|   back (the assistant answers first, and asks for a person by handing off).
| - An assistant probe says whether the assistant answers on a channel
|   (the inbox shows who owns a conversation, and says when it is off).
| - A thread annotator adds what it knows of a conversation's thread to the
|   inbox's view state (the assistant's evidence for its messages, and
|   whether it or a person has the conversation). Its `threadPanels` (each
|   `{view, ...}`) are rendered under the messages, one Edge view each (the
|   hitl module's pending draft reply with its approve and reject forms);
|   those of several annotators are shown together.
*/

/** True when round-robin assignment of the conversation should wait. */
export type AssignmentGate = (tenant: TenantContext, conversationId: string) => Promise<boolean>

export interface ThreadMessageRef {
  id: string
  authorType: string
}

export interface ThreadShown {
  conversationId: string
  /** The page of messages the inbox is about to show. */
  messages: ThreadMessageRef[]
  /** Who is looking (absent when the thread is read without a member, e.g. the status bar). */
  viewer?: WorkspaceAccess
}

/** A block shown under a thread's messages: an Edge view name and what it reads. */
export interface ThreadPanel {
  view: string
  [key: string]: unknown
}

/** Named values for the thread's views; names must not collide with the inbox's own. */
export type ThreadAnnotator = (
  tenant: TenantContext,
  thread: ThreadShown
) => Promise<Record<string, unknown>>

/**
 * Whether the assistant answers on a channel: null when no module provides
 * an assistant (the inbox then says nothing about one).
 */
export type AssistantProbe = (tenant: TenantContext, channelId: string) => Promise<boolean>

let assistantProbe: AssistantProbe | null = null

export function registerAssistantProbe(probe: AssistantProbe) {
  assistantProbe = probe
}

/** The channels among `channelIds` the assistant answers on (none without an assistant module). */
export async function assistantChannels(tenant: TenantContext, channelIds: string[]) {
  const on = new Set<string>()
  if (!assistantProbe) return on
  for (const id of new Set(channelIds)) {
    if (await assistantProbe(tenant, id)) on.add(id)
  }
  return on
}

/** Whether a module provides an assistant at all. */
export function hasAssistant() {
  return assistantProbe !== null
}

/** True when there is an assistant and it is off on the channel (the pages say so). */
export async function assistantOffOn(tenant: TenantContext, channelId: string) {
  return assistantProbe !== null && !(await assistantProbe(tenant, channelId))
}

// Sets: registering the same function again (a second boot hook) changes nothing.
const assignmentGates = new Set<AssignmentGate>()
const threadAnnotators = new Set<ThreadAnnotator>()

export function registerAssignmentGate(gate: AssignmentGate) {
  assignmentGates.add(gate)
}

export function registerThreadAnnotator(annotator: ThreadAnnotator) {
  threadAnnotators.add(annotator)
}

/** Whether any registered gate holds the conversation's assignment back. */
export async function assignmentWaits(tenant: TenantContext, conversationId: string) {
  for (const gate of assignmentGates) {
    if (await gate(tenant, conversationId)) return true
  }
  return false
}

/** Every registered annotator's values for the thread, merged. */
export async function annotateThread(tenant: TenantContext, thread: ThreadShown) {
  const results = await Promise.all(
    [...threadAnnotators].map((annotate) => annotate(tenant, thread))
  )
  const merged = Object.assign({}, ...results) as Record<string, unknown>
  merged.threadPanels = results.flatMap((result) =>
    Array.isArray(result.threadPanels) ? (result.threadPanels as ThreadPanel[]) : []
  )
  return merged
}
