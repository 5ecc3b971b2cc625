import { Exception } from '@adonisjs/core/exceptions'
import {
  BaseModel,
  beforeFetch,
  beforeFind,
  beforePaginate,
  beforeSave,
  beforeDelete,
} from '@adonisjs/lucid/orm'
import type { LucidRow, ModelQueryBuilderContract, LucidModel } from '@adonisjs/lucid/types/model'
import { isSchemaNamed, isTenantScoped } from '../services/tenant_context.js'

/**
 * Base for models whose table lives in a tenant schema. Every read and write
 * must go through a TenantContext transaction (`{ client: trx }` or
 * `useTransaction(trx)`), or for a single read name the schema
 * (`tenant.query(Model)`); anything else fails loudly instead of reaching
 * the wrong schema.
 */
export class TenantModel extends BaseModel {
  @beforeFind()
  @beforeFetch()
  static requireScopeForQuery(query: ModelQueryBuilderContract<LucidModel>) {
    if (isSchemaNamed(query)) return
    assertScoped(query.client)
  }

  @beforePaginate()
  static requireScopeForPage([countQuery]: [ModelQueryBuilderContract<LucidModel>, unknown]) {
    assertScoped(countQuery.client)
  }

  @beforeSave()
  @beforeDelete()
  static requireScopeForWrite(row: LucidRow) {
    assertScoped(row.$trx)
  }
}

function assertScoped(client: unknown) {
  if (!isTenantScoped(client)) {
    throw new Exception(
      'A tenant model was used outside tenant.transaction(); pass { client: trx } from the tenant context',
      { code: 'E_TENANT_SCOPE_REQUIRED', status: 500 }
    )
  }
}
