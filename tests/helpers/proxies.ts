import app from '@adonisjs/core/services/app'

/**
 * Names the proxies whose X-Forwarded-For the app believes (TRUSTED_PROXIES)
 * until the returned function restores the previous list. The suite's own
 * client connects from loopback, so `'127.0.0.1'` makes it a load balancer
 * and `''` an ordinary client whose forwarding headers mean nothing.
 */
export function setTrustedProxies(value: string) {
  const before = app.config.get<string>('app.trustedProxies')
  app.config.set('app.trustedProxies', value)
  return () => app.config.set('app.trustedProxies', before)
}
