/*
| The super-admin console (/admin): tenants, lifecycle, audit log,
| impersonation. Plans are billing's (modules/billing/routes.ts).
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'

const TenantsController = () => import('./controllers/console/tenants_controller.js')
const TenantLifecycleController = () =>
  import('./controllers/console/tenant_lifecycle_controller.js')
const AuditController = () => import('./controllers/console/audit_controller.js')
const ImpersonationController = () => import('./controllers/console/impersonation_controller.js')

router
  .group(() => {
    router.get('/', ({ response }) => response.redirect('/admin/tenants')).as('home')
    router.get('/tenants', [TenantsController, 'index']).as('tenants.index')
    router.get('/tenants/create', [TenantsController, 'create']).as('tenants.create')
    router.post('/tenants', [TenantsController, 'store']).as('tenants.store')
    router.get('/tenants/:id', [TenantsController, 'show']).as('tenants.show')
    router.get('/tenants/:id/progress', [TenantsController, 'progress']).as('tenants.progress')
    router.post('/tenants/:id/retry', [TenantsController, 'retry']).as('tenants.retry')
    router.post('/tenants/:id/plan', [TenantsController, 'updatePlan']).as('tenants.plan')

    router
      .post('/tenants/:id/suspend', [TenantLifecycleController, 'suspend'])
      .as('tenants.suspend')
    router
      .post('/tenants/:id/reactivate', [TenantLifecycleController, 'reactivate'])
      .as('tenants.reactivate')
    router.post('/tenants/:id/delete', [TenantLifecycleController, 'delete']).as('tenants.delete')
    router
      .post('/tenants/:id/restore', [TenantLifecycleController, 'restore'])
      .as('tenants.restore')
    router
      .post('/tenants/:id/destroy', [TenantLifecycleController, 'destroy'])
      .as('tenants.destroy')

    router
      .post('/tenants/:tenantId/members/:userId/impersonate', [ImpersonationController, 'start'])
      .as('impersonation.start')

    router.get('/audit', [AuditController, 'index']).as('audit.index')
  })
  .prefix('/admin')
  .as('admin')
  .where('id', router.matchers.uuid())
  .where('tenantId', router.matchers.uuid())
  .where('userId', router.matchers.uuid())
  .use([middleware.auth(), middleware.superAdmin()])

// Signed in as the impersonated member at this point, so `auth` only.
router
  .post('/admin/impersonation/stop', [ImpersonationController, 'stop'])
  .as('admin.impersonation.stop')
  .use(middleware.auth())
