import type { Availability, Role } from '../models/membership.js'

/**
 * What each tenant role may do, readable at a glance. Policies ask this
 * table; nothing else decides who may do what inside a workspace. Later
 * modules add their rows here.
 */
export const ROLE_MATRIX = {
  'workspace.view': ['owner', 'admin', 'agent', 'viewer'],
  'team.view': ['owner', 'admin', 'agent', 'viewer'],
  'team.invite': ['owner', 'admin'],
  'team.manage': ['owner', 'admin'],
  'branding.manage': ['owner', 'admin'],
  'channels.view': ['owner', 'admin'],
  'channels.manage': ['owner', 'admin'],
  'contacts.view': ['owner', 'admin', 'agent', 'viewer'],
  'contacts.manage': ['owner', 'admin', 'agent'],
  // The team inbox: everyone reads; agents and up reply, assign, resolve.
  'inbox.view': ['owner', 'admin', 'agent', 'viewer'],
  'inbox.reply': ['owner', 'admin', 'agent'],
  // Canned responses and labels are shared team vocabulary.
  'inbox.settings': ['owner', 'admin'],
  'templates.view': ['owner', 'admin', 'agent', 'viewer'],
  'templates.manage': ['owner', 'admin'],
  // The sandbox phone: try the product as a customer would.
  'sandbox.use': ['owner', 'admin', 'agent'],
  // REST API keys open the whole workspace to a program: managers only.
  'apikeys.manage': ['owner', 'admin'],
  // Webhooks send the workspace's events to a URL of their choosing: managers only.
  'webhooks.manage': ['owner', 'admin'],
  // The Business Brain's knowledge: every member reads and asks; managers curate it.
  'knowledge.view': ['owner', 'admin', 'agent', 'viewer'],
  'knowledge.manage': ['owner', 'admin'],
  // Datasets (the Data Engine): every member searches them; managers import and edit.
  'datasets.view': ['owner', 'admin', 'agent', 'viewer'],
  'datasets.manage': ['owner', 'admin'],
  // A channel's AI assistant: managers set it up; whoever replies may hand a conversation back to it.
  'assistant.manage': ['owner', 'admin'],
  // A contact's conversational memory: whoever sees the contact reads it; agents and up correct it.
  'memory.view': ['owner', 'admin', 'agent', 'viewer'],
  'memory.edit': ['owner', 'admin', 'agent'],
  // The plan's usage against its limits: those who add members, channels and knowledge.
  'billing.usage': ['owner', 'admin'],
} as const satisfies Record<string, readonly Role[]>

export type Permission = keyof typeof ROLE_MATRIX

/**
 * The signed-in person's standing in the workspace a request addresses.
 * `impersonatorId` is set while a super admin acts as this member.
 */
export interface WorkspaceAccess {
  tenantId: string
  tenantSlug: string
  userId: string
  role: Role
  impersonatorId: string | null
  /** Whether this member takes new conversations now (round-robin assignment). */
  availability: Availability
}

export function can(access: WorkspaceAccess | null | undefined, permission: Permission) {
  if (!access) return false
  return (ROLE_MATRIX[permission] as readonly Role[]).includes(access.role)
}

/**
 * Only an owner may grant or take away ownership; admins manage everyone else.
 */
export function canAssignRole(access: WorkspaceAccess, role: Role) {
  if (!can(access, 'team.manage')) return false
  return role !== 'owner' || access.role === 'owner'
}

/**
 * Whether `access` may change or remove this member: managers may, except
 * that only owners touch owners.
 */
export function canManageMember(access: WorkspaceAccess, member: { role: Role }) {
  return can(access, 'team.manage') && (member.role !== 'owner' || access.role === 'owner')
}
