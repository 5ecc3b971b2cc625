import type { HttpContext } from '@adonisjs/core/http'
import { findDefaultPlan, listPlans } from '#modules/billing/index'
import { actorFromRequest } from '#modules/identity/index'
import Tenant from '../../models/tenant.js'
import { consoleNav } from '../../services/console_nav.js'
import {
  TENANT_STATUSES,
  changeTenantPlan,
  lifecycleActionsFor,
  listTenants,
  tenantDetail,
  tenantFiltersFrom,
} from '../../services/console_tenant_service.js'
import {
  provisioningState,
  requestProvisioning,
  retryProvisioning,
  PROVISIONING_STEPS,
} from '../../services/console_provisioning.js'
import { TenancyError } from '../../services/tenancy_errors.js'
import {
  changePlanValidator,
  createTenantValidator,
} from '../../validators/console_tenant_validator.js'
import { wantsFragment } from '#app/http/htmx'

export default class TenantsController {
  async index({ request, view, i18n }: HttpContext) {
    const filters = tenantFiltersFrom(request.qs())
    const { tenants, rows } = await listTenants(filters, '/admin/tenants')
    const data = { filters, tenants, rows, statuses: TENANT_STATUSES }
    if (wantsFragment(request, 'tenant-results')) {
      return view.render('tenancy::console/tenants/results', data)
    }
    return view.render('tenancy::console/tenants/index', {
      ...data,
      nav: consoleNav((key) => i18n.t(key), 'tenants'),
    })
  }

  async create({ view, i18n }: HttpContext) {
    const [plans, defaultPlan] = await Promise.all([listPlans(), findDefaultPlan()])
    return view.render('tenancy::console/tenants/create', {
      plans,
      defaultPlanId: defaultPlan?.id ?? '',
      nav: consoleNav((key) => i18n.t(key), 'tenants'),
    })
  }

  async store(ctx: HttpContext) {
    const { request, response, session, i18n } = ctx
    const data = await request.validateUsing(createTenantValidator, {
      meta: { t: (key, values) => i18n.t(key, values) },
    })
    try {
      const tenant = await requestProvisioning(
        {
          name: data.name,
          slug: data.slug,
          planId: data.plan_id ?? null,
          owner: { email: data.owner_email, name: data.owner_name, password: data.password },
        },
        actorFromRequest(ctx)
      )
      return response.redirect(`/admin/tenants/${tenant.id}/progress`)
    } catch (error) {
      // Another admin took the slug between validation and insert.
      if (!(error instanceof TenancyError)) throw error
      session.flashExcept(['password', '_csrf', '_method'])
      session.flash('inputErrorsBag', {
        slug: [i18n.t('console.validation.slug_taken', { slug: data.slug })],
      })
      return response.redirect('/admin/tenants/create')
    }
  }

  async show({ params, view, i18n }: HttpContext) {
    const detail = await tenantDetail(params.id)
    return view.render('tenancy::console/tenants/show', {
      ...detail,
      can: lifecycleActionsFor(detail.tenant.status),
      nav: consoleNav((key) => i18n.t(key), 'tenants'),
    })
  }

  async progress({ params, request, view, i18n }: HttpContext) {
    const tenant = await Tenant.findOrFail(params.id)
    const state = await provisioningState(tenant)
    const data = { tenant, run: state, steps: PROVISIONING_STEPS }
    if (wantsFragment(request, 'provisioning')) {
      return view.render('tenancy::console/tenants/progress_panel', data)
    }
    return view.render('tenancy::console/tenants/progress', {
      ...data,
      nav: consoleNav((key) => i18n.t(key), 'tenants'),
    })
  }

  async retry({ params, response, session, i18n }: HttpContext) {
    const tenant = await Tenant.findOrFail(params.id)
    try {
      await retryProvisioning(tenant.id)
      session.flash('info', i18n.t('console.progress.retrying'))
    } catch (error) {
      if (!(error instanceof TenancyError)) throw error
      session.flash('error', i18n.t('console.progress.not_retryable'))
    }
    return response.redirect(`/admin/tenants/${tenant.id}/progress`)
  }

  async updatePlan(ctx: HttpContext) {
    const { params, request, response, session, i18n } = ctx
    const tenant = await Tenant.findOrFail(params.id)
    const { plan_id: planId } = await request.validateUsing(changePlanValidator, {
      meta: { t: (key, values) => i18n.t(key, values) },
    })
    await changeTenantPlan(tenant, planId ?? null, actorFromRequest(ctx))
    session.flash('success', i18n.t('console.detail.plan_changed'))
    return response.redirect(`/admin/tenants/${tenant.id}`)
  }
}
