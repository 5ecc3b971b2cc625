/**
 * The data engine's rows of the role matrix (also in
 * modules/identity/policies/role_matrix.ts until modules register their own).
 */
export const dataEnginePermissions = {
  'datasets.view': ['owner', 'admin', 'agent', 'viewer'],
  'datasets.manage': ['owner', 'admin'],
} as const
