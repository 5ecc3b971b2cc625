import { ListLoader } from '@adonisjs/core/ace'
import TenantsCreate from './tenants_create.js'
import TenantsList from './tenants_list.js'
import TenantsMigrate from './tenants_migrate.js'
import TenantsMigrateStatus from './tenants_migrate_status.js'
import {
  TenantsDelete,
  TenantsDestroy,
  TenantsPurge,
  TenantsReactivate,
  TenantsRestore,
  TenantsSuspend,
} from './tenants_lifecycle.js'

/**
 * The module's ace commands, registered in adonisrc.ts.
 */
const loader = new ListLoader([
  TenantsCreate,
  TenantsList,
  TenantsMigrate,
  TenantsMigrateStatus,
  TenantsSuspend,
  TenantsReactivate,
  TenantsDelete,
  TenantsRestore,
  TenantsDestroy,
  TenantsPurge,
])

export const getMetaData = () => loader.getMetaData()
export const getCommand = loader.getCommand.bind(loader)
