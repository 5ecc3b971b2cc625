/*
| The brain module's rows of the workspace role matrix (see definePermissions).
*/
import { definePermissions, type PermissionNames } from '#modules/identity/index'

export const brainPermissions = definePermissions('brain', {
  // The Business Brain's knowledge: every member reads and asks; managers curate it.
  'knowledge.view': ['owner', 'admin', 'agent', 'viewer'],
  'knowledge.manage': ['owner', 'admin'],
  // A channel's AI assistant: managers set it up; whoever replies may hand a conversation back to it.
  'assistant.manage': ['owner', 'admin'],
  // A contact's conversational memory: whoever sees the contact reads it; agents and up correct it.
  'memory.view': ['owner', 'admin', 'agent', 'viewer'],
  'memory.edit': ['owner', 'admin', 'agent'],
})

declare module '#modules/identity/index' {
  interface PermissionRows extends PermissionNames<typeof brainPermissions> {}
}
