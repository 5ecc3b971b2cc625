import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { invalidateCentralCacheAfterWrite } from '#app/cache/central_cache'
import {
  afterDelete,
  afterSave,
  BaseModel,
  beforeCreate,
  beforeFetch,
  beforeFind,
  beforePaginate,
  column,
} from '@adonisjs/lucid/orm'
import type { ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'

export type TenantStatus = 'provisioning' | 'active' | 'suspended' | 'deleted'

export default class Tenant extends BaseModel {
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare slug: string

  @column()
  declare name: string

  @column()
  declare schemaName: string

  @column()
  declare status: TenantStatus

  @column()
  declare planId: string | null

  @column()
  declare schemaVersion: string | null

  @column.dateTime()
  declare provisionedAt: DateTime | null

  @column.dateTime()
  declare suspendedAt: DateTime | null

  @column.dateTime()
  declare deletedAt: DateTime | null

  /** Branding: the name shown in the workspace, defaulting to `name`. */
  @column()
  declare displayName: string | null

  /** Branding: `#rrggbb`, or null for the product's own colour. */
  @column()
  declare primaryColor: string | null

  /*
   * The logo's bytes (column `logo`) are deliberately not a model column:
   * tenants are loaded on every request, and only the logo route needs them
   * (see modules/tenancy/services/branding_service.ts).
   */
  @column()
  declare logoMime: string | null

  @column.dateTime()
  declare logoUpdatedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  /** The name people see: the branded display name, else the tenant's name. */
  get brandName() {
    return this.displayName || this.name
  }

  /** API requests keep tenants in memory: a suspension, deletion or plan change reaches every process on its next request. */
  @afterSave()
  @afterDelete()
  static async forgetKept(tenant: Tenant) {
    await invalidateCentralCacheAfterWrite(tenant)
  }

  @beforeCreate()
  static assignId(tenant: Tenant) {
    tenant.id ??= randomUUID()
  }

  @beforeFind()
  @beforeFetch()
  static leaveLogoBehind(query: ModelQueryBuilderContract<typeof Tenant>) {
    selectModelColumns(query)
  }

  @beforePaginate()
  static leaveLogoBehindOnPages([, query]: [unknown, ModelQueryBuilderContract<typeof Tenant>]) {
    selectModelColumns(query)
  }
}

/**
 * A query that selects nothing in particular would read `select *`, logo
 * bytes included; it reads the model's columns instead. Queries that choose
 * their own columns or aggregates (counts) are left alone.
 */
function selectModelColumns(query: ModelQueryBuilderContract<typeof Tenant>) {
  const statements = (query.knexQuery as unknown as { _statements?: Array<{ grouping: string }> })
    ._statements
  if (statements?.some((statement) => statement.grouping === 'columns')) return
  const columns = [...Tenant.$columnsDefinitions.values()].map(
    (definition) => `tenants.${definition.columnName}`
  )
  query.select(columns)
}
