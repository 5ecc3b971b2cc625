/*
| HTTP server entrypoint (`node bin/server.js` after a build, or through
| `node ace serve` in development). APP_ROLE decides whether this process
| also runs queue workers; see providers/app_role_provider.ts.
*/
import 'reflect-metadata'
import { Ignitor } from '@adonisjs/core'
import { reportFatalStartupError } from '#app/bootstrap/startup_error'
import { createAppServer } from '#app/http/node_server'

const APP_ROOT = new URL('../', import.meta.url)

const IMPORTER = (filePath: string) => {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }
  return import(filePath)
}

const { default: env } = await import('#start/env')

const ignitor = new Ignitor(APP_ROOT, { importer: IMPORTER }).tap((app) => {
  app.booting(async () => {
    await import('#start/env')
  })
  app.listen('SIGTERM', () => app.terminate())
  app.listenIf(app.managedByPm2, 'SIGINT', () => app.terminate())
})

// A worker-only process serves no HTTP; it is the `queue:work` command.
const started =
  env.get('APP_ROLE', 'all') === 'worker'
    ? ignitor.ace().handle(['queue:work'])
    : ignitor.httpServer().start(createAppServer)

started.catch(reportFatalStartupError)
