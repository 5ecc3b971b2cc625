/*
| Billing's routes: plans in the super-admin console.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'

const PlansController = () => import('./controllers/plans_controller.js')

router
  .group(() => {
    router.get('/plans', [PlansController, 'index']).as('index')
    router.get('/plans/create', [PlansController, 'create']).as('create')
    router.post('/plans', [PlansController, 'store']).as('store')
    router.get('/plans/:id/edit', [PlansController, 'edit']).as('edit')
    router.put('/plans/:id', [PlansController, 'update']).as('update')
  })
  .prefix('/admin')
  .as('admin.plans')
  .where('id', router.matchers.uuid())
  .use([middleware.auth(), middleware.superAdmin()])
