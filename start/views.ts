/*
| Each module's views are an Edge disk named after the module, so a template
| reads `tenancy::errors/not_found`. Shared layouts and components stay on the
| default disk under resources/views.
*/
import edge from 'edge.js'
import app from '@adonisjs/core/services/app'
import { safeAttrs } from '#app/view/safe_attributes'
import { ownUrl } from '#app/view/own_url'

const modulesWithViews = [
  'tenancy',
  'identity',
  'billing',
  'channels',
  'inbox',
  'brain',
  'integrations',
  'hitl',
  'data_engine',
  'pulse',
  'flows',
]

for (const name of modulesWithViews) {
  edge.mount(name, app.makeURL(`modules/${name}/views`))
}

/*
| Attributes built from values go through safeAttrs, which escapes them
| (Edge's $props.toAttrs() does not); see app/view/safe_attributes.ts.
*/
edge.global('safeAttrs', safeAttrs)

/* Our own absolute addresses (APP_URL) shown as paths: see app/view/own_url.ts. */
edge.global('ownUrl', ownUrl)

/*
| Edge's components plugin lists every disk's components/ folder again each
| time a renderer is made, and Adonis makes one per request (the auth and
| bouncer middleware share helpers with `ctx.view`), even for a webhook that
| renders nothing. Only a developer editing views adds components while the
| app runs, so outside development the list is read once per set of mounted
| disks. This directory walk was a sixth of a webhook's CPU time.
*/
if (!app.inDev) {
  const loader = edge.loader
  const listComponents = loader.listComponents.bind(loader)
  const mount = loader.mount.bind(loader)
  const unmount = loader.unmount.bind(loader)
  let listed: ReturnType<typeof listComponents> | null = null
  loader.listComponents = () => (listed ??= listComponents())
  loader.mount = (...args: Parameters<typeof mount>) => {
    listed = null
    return mount(...args)
  }
  loader.unmount = (...args: Parameters<typeof unmount>) => {
    listed = null
    return unmount(...args)
  }
}
