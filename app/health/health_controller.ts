import type { HttpContext } from '@adonisjs/core/http'
import { checkReadiness } from '#app/health/readiness'

export default class HealthController {
  /**
   * Liveness: the process answers. No dependency is touched, so a database
   * outage does not get healthy processes restarted.
   */
  async live({ response }: HttpContext) {
    return response.json({ status: 'ok', uptime_s: Math.round(process.uptime()) })
  }

  /**
   * Readiness: 200 when the database, Redis and migrations are all fine,
   * 503 with the failing check otherwise.
   */
  async ready({ response }: HttpContext) {
    const { ok, checks } = await checkReadiness()
    return response.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not_ready', checks })
  }
}
