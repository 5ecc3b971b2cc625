import { readFileSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import { runDueNow } from '#modules/pulse/index'
import type { TenantContext } from '#modules/tenancy/index'

/*
| What the flow journeys share: the canvas's texts in a language, and a
| stand-in for the scheduler's worker that runs the workspace's due flow
| steps while the journey goes on (pausable, so a step can wait until the
| sandbox phone's live stream is open).
*/

export function flowLabels(lang: 'en' | 'ar') {
  const all = JSON.parse(readFileSync(app.makePath(`resources/lang/${lang}/flows.json`), 'utf8'))
  return all as { canvas: Record<string, string>; [key: string]: any }
}

export function keepRunningDue(context: TenantContext) {
  let busy = false
  const runner = { paused: false, stop: () => clearInterval(timer) }
  const timer = setInterval(async () => {
    if (busy || runner.paused) return
    busy = true
    try {
      await runDueNow({ tenant: context })
    } finally {
      busy = false
    }
  }, 250)
  return runner
}
