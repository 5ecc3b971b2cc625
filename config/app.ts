import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { Secret } from '@adonisjs/core/helpers'
import { defineConfig } from '@adonisjs/core/http'
import { trustConfiguredProxies } from '#app/net/trusted_proxies'

/**
 * The APP_KEY signs cookies and encrypts stored secrets.
 */
export const appKey = new Secret(env.get('APP_KEY'))

/**
 * Load balancers and reverse proxies whose X-Forwarded-* headers are
 * believed (TRUSTED_PROXIES); none by default, so a client cannot name its
 * own address. Under NODE_ENV=test the suite's own client stands in for a
 * load balancer on loopback (tests play visitors from many addresses); the
 * tests of the default set it back to none. Read per request, so a test can
 * change it.
 */
export const trustedProxies = env.get(
  'TRUSTED_PROXIES',
  env.get('NODE_ENV') === 'test' ? 'loopback' : ''
)

export const http = defineConfig({
  generateRequestId: true,
  allowMethodSpoofing: true,
  useAsyncLocalStorage: false,
  trustProxy: trustConfiguredProxies(() => app.config.get<string>('app.trustedProxies', '')),
  cookie: {
    domain: '',
    path: '/',
    maxAge: '2h',
    httpOnly: true,
    secure: app.inProduction,
    sameSite: 'lax',
  },
})
