import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { tenantRoutes } from './services/tenant_routes.js'

const TenantHomeController = () => import('./controllers/tenant_home_controller.js')
const WorkspaceController = () => import('./controllers/workspace_controller.js')
const BrandingController = () => import('./controllers/branding_controller.js')

tenantRoutes(() => {
  router.get('/health', [TenantHomeController, 'health']).as('health')

  // Public: a tenant's sign-in page and invitations wear its branding too.
  router.get('/branding.css', [BrandingController, 'stylesheet']).as('branding.css')
  router.get('/branding/logo', [BrandingController, 'logo']).as('branding.logo')

  router
    .group(() => {
      router.get('/', [WorkspaceController, 'show']).as('home')
      router.get('/dashboard/stats', [WorkspaceController, 'stats']).as('dashboard.stats')
      router.get('/settings/branding', [BrandingController, 'edit']).as('branding.edit')
      router.post('/settings/branding', [BrandingController, 'update']).as('branding.update')
      router
        .post('/settings/branding/logo/remove', [BrandingController, 'removeLogo'])
        .as('branding.logo.remove')
    })
    .use([middleware.auth(), middleware.workspace()])
})
import './console_routes.js'
