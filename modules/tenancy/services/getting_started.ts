import { can, type Permission, type WorkspaceAccess } from '#modules/identity/index'
import type { TenantContext } from './tenant_context.js'

/**
 * The dashboard's "getting started" path, built like the navigation: each
 * module adds the steps it owns (channels: the sandbox and a real channel;
 * brain: knowledge and the assistant) from its routes file, and each step
 * says from the workspace's real state whether it is done.
 */
export interface GettingStartedStep {
  key: string
  /** Lower comes first. */
  order: number
  /** Path inside the workspace where the step is taken. */
  path: string
  /** Who may take it; others are told an owner or admin can. */
  permission: Permission
  /** i18n prefix with `.title`, `.body` and `.action`. */
  labels: string
  done: (tenant: TenantContext) => Promise<boolean>
}

const steps: GettingStartedStep[] = []

export function addGettingStartedStep(step: GettingStartedStep) {
  const existing = steps.findIndex((candidate) => candidate.key === step.key)
  if (existing >= 0) steps.splice(existing, 1)
  steps.push(step)
  steps.sort((a, b) => a.order - b.order)
}

export interface ChecklistItem {
  key: string
  labels: string
  done: boolean
  path: string
  /** Whether this member may take the step (else the list only informs). */
  actionable: boolean
}

/** The steps in order, each checked against the workspace as it is now. */
export async function gettingStarted(
  tenant: TenantContext,
  access: WorkspaceAccess
): Promise<ChecklistItem[]> {
  const done = await Promise.all(steps.map((step) => step.done(tenant)))
  return steps.map((step, index) => ({
    key: step.key,
    labels: step.labels,
    done: done[index],
    path: step.path,
    actionable: can(access, step.permission),
  }))
}
