import { defineConfig } from '@adonisjs/shield'
import { isMachineRequest } from '#app/http/machine_routes'

/**
 * Only our own origin may run scripts or load styles: htmx and Alpine (its
 * CSP build, which needs no eval) are served from /assets/vendor, tenant
 * colours come from a stylesheet route, and no page carries inline script.
 */
const shieldConfig = defineConfig({
  csp: {
    enabled: true,
    directives: {
      defaultSrc: [`'self'`],
      scriptSrc: [`'self'`],
      styleSrc: [`'self'`],
      imgSrc: [`'self'`, 'data:'],
      connectSrc: [`'self'`],
      fontSrc: [`'self'`],
      objectSrc: [`'none'`],
      baseUri: [`'self'`],
      formAction: [`'self'`],
      frameAncestors: [`'none'`],
    },
    reportOnly: false,
  },
  csrf: {
    enabled: true,
    // Machine callers authenticate by signature or bearer token, not cookies.
    // (shield does not even run for them: see app/http/machine_routes.ts).
    exceptRoutes: isMachineRequest,
    enableXsrfCookie: false,
    methods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  },
  xFrame: { enabled: true, action: 'DENY' },
  hsts: { enabled: true, maxAge: '180 days' },
  contentTypeSniffing: { enabled: true },
})

export default shieldConfig
