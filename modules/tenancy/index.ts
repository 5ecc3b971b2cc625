/*
| Tenancy owns tenants: their schemas and tenant migrations, provisioning and
| lifecycle, resolution from the URL, the audit log, and the TenantContext
| through which every module reads and writes a tenant's tables.
*/
import './permissions.js'
import Tenant from './models/tenant.js'
import AuditLog from './models/audit_log.js'

export { Tenant, AuditLog }
export type { TenantStatus } from './models/tenant.js'
export { TenantModel } from './models/tenant_model.js'
export { TenantContext, isTenantScoped } from './services/tenant_context.js'
export {
  contextFor,
  findUsableTenant,
  usableTenantContext,
  forgetTenantContext,
} from './services/tenant_registry.js'
export { tenantRoutes } from './services/tenant_routes.js'
export {
  findTenant,
  findLiveTenantBySlug,
  tenantsInStatus,
  tenantCountsByPlan,
  tenantPlanIdQuery,
} from './services/tenant_directory.js'
export {
  TenantJob,
  dispatchTenantJob,
  dispatchTenantJobInBatch,
  type TenantJobPayload,
} from './jobs/tenant_job.js'
export { TenancyError } from './services/tenancy_errors.js'
export { checkSlug, schemaNameFor, RESERVED_SLUGS } from './services/tenant_slug.js'
export { tenantMigrator, TenantMigrator } from './services/tenant_migrator.js'
export { provisionTenant, type ProvisionTenantInput } from './services/provisioning_service.js'
export {
  findTenantOrFail,
  suspendTenant,
  reactivateTenant,
  softDeleteTenant,
  restoreTenant,
  hardDeleteTenant,
  purgeExpiredTenants,
} from './services/lifecycle_service.js'
export {
  recordAudit,
  cliActor,
  systemActor,
  type AuditActor,
} from './services/audit_log_service.js'
export {
  addWorkspaceNavItem,
  workspaceBase,
  workspaceLayout,
  workspaceNav,
  brandingAssets,
  type WorkspaceNavItem,
  type NavLink,
} from './services/workspace_nav.js'
export { addGettingStartedStep, type GettingStartedStep } from './services/getting_started.js'
export { consoleNav, type ConsoleSection, type ConsoleNavItem } from './services/console_nav.js'
export { readLogo, type StoredLogo } from './services/branding_service.js'
export { sendLogo, brandingCacheControl } from './services/branding_http.js'
export { brandingStylesheet, isHexColor, DEFAULT_BRAND_COLOR } from './services/branding_css.js'
export { ProgressBar } from './commands/progress_bar.js'
