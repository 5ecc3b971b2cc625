import router from '@adonisjs/core/services/router'
import { tenantRoutes } from './services/tenant_routes.js'

const TenantHomeController = () => import('./controllers/tenant_home_controller.js')

tenantRoutes(() => {
  router.get('/', [TenantHomeController, 'show']).as('home')
  router.get('/health', [TenantHomeController, 'health']).as('health')
})
import './console_routes.js'
