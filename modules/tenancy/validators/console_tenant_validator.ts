import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { findPlan } from '#modules/billing/index'
import Tenant from '../models/tenant.js'
import { checkSlug } from '../services/tenant_slug.js'

/**
 * The console's forms. Messages of our own rules are translated through
 * the request's `t`, passed as validation metadata; the standard ones come
 * from resources/lang/<locale>/validator.json.
 */
type Translate = (key: string, data?: Record<string, unknown>) => string

interface ConsoleMeta {
  t: Translate
}

interface ConfirmMeta extends ConsoleMeta {
  expected: string
}

/**
 * The slug rules every entry point shares (checkSlug), then uniqueness over
 * every tenant, deleted ones included: their slug is kept until hard delete.
 */
const tenantSlug = vine.createRule(
  async (value: unknown, _options: undefined, field: FieldContext) => {
    if (typeof value !== 'string' || !field.isValid) return
    const { t } = field.meta as ConsoleMeta
    const problem = checkSlug(value)
    if (problem) {
      field.report(t(`console.validation.${problem.code}`, { slug: value }), problem.code, field)
      return
    }
    if (await Tenant.findBy('slug', value)) {
      field.report(t('console.validation.slug_taken', { slug: value }), 'slug_taken', field)
    }
  }
)

const knownPlan = vine.createRule(
  async (value: unknown, _options: undefined, field: FieldContext) => {
    if (typeof value !== 'string' || !field.isValid) return
    const { t } = field.meta as ConsoleMeta
    if (!(await findPlan(value))) {
      field.report(t('console.validation.plan_unknown'), 'plan_unknown', field)
    }
  }
)

/** The typed confirmation of a destructive action must be the tenant's slug. */
const matchesExpected = vine.createRule(
  (value: unknown, _options: undefined, field: FieldContext) => {
    if (typeof value !== 'string' || !field.isValid) return
    const { t, expected } = field.meta as ConfirmMeta
    if (value !== expected) {
      field.report(
        t('console.validation.confirm_mismatch', { expected }),
        'confirm_mismatch',
        field
      )
    }
  }
)

const planId = () => vine.string().trim().uuid().use(knownPlan()).optional()

export const createTenantValidator = vine.withMetaData<ConsoleMeta>().compile(
  vine.object({
    name: vine.string().trim().minLength(1).maxLength(120),
    slug: vine.string().trim().toLowerCase().use(tenantSlug()),
    plan_id: planId(),
    owner_email: vine.string().trim().email().maxLength(255),
    owner_name: vine.string().trim().minLength(1).maxLength(120),
    // Named `password` so a failed submission never flashes it into the session.
    password: vine.string().minLength(10).maxLength(200),
  })
)

export const changePlanValidator = vine
  .withMetaData<ConsoleMeta>()
  .compile(vine.object({ plan_id: planId() }))

export const suspendTenantValidator = vine.withMetaData<ConfirmMeta>().compile(
  vine.object({
    confirm_suspend: vine.string().trim().use(matchesExpected()),
    reason: vine.string().trim().maxLength(500).optional(),
  })
)

export const deleteTenantValidator = vine
  .withMetaData<ConfirmMeta>()
  .compile(vine.object({ confirm_delete: vine.string().trim().use(matchesExpected()) }))

export const destroyTenantValidator = vine
  .withMetaData<ConfirmMeta>()
  .compile(vine.object({ confirm_destroy: vine.string().trim().use(matchesExpected()) }))
