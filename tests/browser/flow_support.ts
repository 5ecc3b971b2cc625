import { readFileSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import type { Page } from 'playwright-core'
import { runDueNow } from '#modules/pulse/index'
import type { TenantContext } from '#modules/tenancy/index'

/*
| What the flow journeys share: the canvas's texts in a language, a
| stand-in for the scheduler's worker that runs the workspace's due flow
| steps while the journey goes on, and a way to hold a page's live stream
| back (as a slow network would) until the flow has already spoken.
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

/**
 * Holds the page's live stream (the workspace's event stream request)
 * until `release()`: whatever happens meanwhile is announced to nobody,
 * so the page must find it by itself once the stream opens.
 */
export async function holdLiveStream(page: Page) {
  let release = () => {}
  const released = new Promise<void>((resolve) => (release = resolve))
  let held = 0
  await page.route(/\/inbox\/events(\?|$)/, async (route) => {
    held++
    await released
    await route.continue()
  })
  return {
    release: () => release(),
    /** How many stream requests were held back. */
    held: () => held,
  }
}

/** Waits until the business has sent a message containing `text` (at most `ms`). */
export async function waitForOutbound(context: TenantContext, text: string, ms = 15_000) {
  const until = Date.now() + ms
  while (Date.now() < until) {
    const result = await db.rawQuery(
      `select 1 from ${context.table('messages')}
        where direction = 'outbound' and position(? in coalesce(body, '')) > 0 limit 1`,
      [text]
    )
    if (result.rows.length) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`No outbound message with "${text}" within ${ms} ms`)
}
