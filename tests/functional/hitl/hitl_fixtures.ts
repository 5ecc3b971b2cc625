import { setTimeout as sleep } from 'node:timers/promises'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import type { Group } from '@japa/runner/core'
import type { TenantContext } from '#modules/tenancy/index'
import type webhooksConfig from '#config/webhooks'
import { makeTenant } from '#tests/helpers/tenants'
import { api, makeKey } from '../integrations/api_client.js'

/*
| What the hitl tests share: a workspace with a key, a reply-approval task
| as an n8n workflow would send it, and polling helpers.
*/

export type Cleanup = (fn: () => void | Promise<void>) => void

export async function tenantWithKey(cleanup: Cleanup, prefix = 'hitl') {
  const made = await makeTenant(prefix)
  cleanup(made.cleanup)
  const { token } = await makeKey(made.tenant)
  return { ...made, token }
}

export const DRAFT = 'Your renewal quote is attached: the premium stays at 1,200 AED.'

/** A reply approval: the customer's question, the AI's draft to edit, a choice. */
export function replyTask(extra: Record<string, unknown> = {}) {
  return {
    kind: 'reply_approval',
    title: 'Approve the reply to Omar',
    description: 'Omar asked about his **renewal**.',
    components: [
      { type: 'text', text: 'Omar: *How much is my renewal?*' },
      {
        type: 'editable_text',
        name: 'reply',
        label: 'Reply',
        value: DRAFT,
        max_length: 500,
        required: true,
      },
      {
        type: 'choice',
        name: 'tone',
        label: 'Tone',
        options: [
          { value: 'formal', label: 'Formal' },
          { value: 'friendly', label: 'Friendly' },
        ],
        value: 'formal',
      },
    ],
    ...extra,
  }
}

export async function createTaskViaApi(
  token: string,
  body: unknown,
  headers: Record<string, string> = {}
) {
  return api('POST', '/api/v1/tasks', { token, body, headers })
}

export async function taskCount(context: TenantContext) {
  const row = await db.from('hitl_tasks').withSchema(context.schema).count('* as n').first()
  return Number(row?.n ?? 0)
}

export async function callbackRow(context: TenantContext, taskId: string) {
  return db.from('hitl_callbacks').withSchema(context.schema).where('task_id', taskId).first()
}

/** Polls until the task's callback reaches `status`. */
export async function waitForCallback(context: TenantContext, taskId: string, status: string) {
  const deadline = Date.now() + 6_000
  for (;;) {
    const row = await callbackRow(context, taskId)
    if (row?.status === status) return row
    if (Date.now() > deadline)
      throw new Error(`callback is ${row?.status ?? 'missing'}, expected ${status}`)
    await sleep(25)
  }
}

/** Retries in milliseconds instead of seconds, for a group. */
export function fastRetries(group: Group) {
  group.setup(() => {
    const previous = app.config.get<typeof webhooksConfig>('webhooks')
    app.config.set('webhooks', { ...previous, retryBaseDelayMs: 20, timeoutMs: 2_000 })
    return () => app.config.set('webhooks', previous)
  })
}
