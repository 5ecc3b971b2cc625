import router from '@adonisjs/core/services/router'

const HealthController = () => import('./health_controller.js')

router.get('/health', [HealthController, 'live']).as('health.live')
router.get('/health/ready', [HealthController, 'ready']).as('health.ready')
