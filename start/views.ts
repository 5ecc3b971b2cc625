/*
| Each module's views are an Edge disk named after the module, so a template
| reads `tenancy::errors/not_found`. Shared layouts and components stay on the
| default disk under resources/views.
*/
import edge from 'edge.js'
import app from '@adonisjs/core/services/app'

const modulesWithViews = ['tenancy', 'identity', 'billing', 'channels', 'brain', 'integrations']

for (const name of modulesWithViews) {
  edge.mount(name, app.makeURL(`modules/${name}/views`))
}
