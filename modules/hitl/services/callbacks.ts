import db from '@adonisjs/lucid/services/db'
import { dispatchTenantJob, type TenantContext } from '#modules/tenancy/index'
import {
  SIGNATURE_HEADER,
  WEBHOOKS_QUEUE,
  postWebhook,
  retryDelayMs,
  signatureHeader,
  webhookSettings,
} from '#modules/integrations/index'
import Task from '../models/task.js'
import { callbackSecretOf } from './task_service.js'

/*
| A resolved task's callback: one signed POST to the task's callback_url,
| signed like outbound webhooks (`X-FloMastr-Signature: t=<unix>,v1=<hex>`,
| HMAC-SHA256 of "<t>.<body>" with the task's callback_secret) and retried
| on the webhooks' schedule (exponential backoff with jitter, for 24 hours).
| The row (one per task) is the record; the job claims it before each
| attempt and a delivered row is never sent again. n8n's Wait node ("On
| webhook call") takes the POST on its resume URL as it is.
*/

export const CALLBACK_EVENT_HEADER = 'X-FloMastr-Event-Type'

/** The body a callback carries: the decision, the edited values and the AI's originals side by side. */
export function callbackBody(task: Task) {
  const response = task.response!
  return {
    event: 'task.resolved',
    task_id: task.id,
    kind: task.kind,
    status: task.status,
    decision: response.decision,
    values: response.values,
    original_values: response.original_values,
    edited: response.edited,
    reason: response.reason,
    comment: response.comment,
    by: response.by,
    resolved_at: task.resolvedAt ? new Date(task.resolvedAt.toMillis()).toISOString() : response.at,
    source: { type: task.sourceType, ref: task.sourceRef },
    message_id: response.message_id ?? null,
  }
}

export async function queueCallback(tenant: TenantContext, task: Task) {
  const body = JSON.stringify(callbackBody(task))
  const result = await db.rawQuery(
    `insert into ${tenant.table('hitl_callbacks')} (task_id, body) values (?, ?)
      on conflict (task_id) do nothing returning id`,
    [task.id, body]
  )
  const id = result.rows[0]?.id as string | undefined
  if (id) await dispatchCallback(tenant, id)
  return id ?? null
}

export async function dispatchCallback(
  tenant: Pick<TenantContext, 'slug'>,
  callbackId: string,
  round: string | null = null
) {
  const { default: TaskCallbackJob } = await import('../jobs/task_callback_job.js')
  return dispatchTenantJob(
    TaskCallbackJob,
    tenant,
    { callbackId },
    {
      queueName: WEBHOOKS_QUEUE,
      jobId: `hitl-callback-${tenant.slug}-${callbackId}${round ? `-${round}` : ''}`,
    }
  )
}

/** How overdue a callback must be to count as stranded (its job lost with Redis). */
const STRANDED_AFTER = '10 minutes'

/**
 * Callbacks whose job was lost (Redis refused or forgot it) are queued
 * again; the row is claimed before each attempt, so one still queued is
 * not sent twice. Runs with the expiry sweep.
 */
export async function requeueStrandedCallbacks(tenant: TenantContext) {
  const result = await db.rawQuery(
    `select id, extract(epoch from updated_at)::bigint as stamp
       from ${tenant.table('hitl_callbacks')}
      where status in ('pending', 'retrying', 'sending')
        and updated_at < now() - interval '${STRANDED_AFTER}'
        and coalesce(next_attempt_at, updated_at) < now() - interval '${STRANDED_AFTER}'
      order by updated_at limit 200`
  )
  for (const row of result.rows as Array<{ id: string; stamp: string }>) {
    await dispatchCallback(tenant, row.id, `s${row.stamp}`)
  }
  return result.rows.length
}

/**
 * One attempt: returns when to try again, or null when settled (delivered,
 * given up or gone).
 */
export async function attemptCallback(
  tenant: TenantContext,
  callbackId: string
): Promise<{ retryAt: Date } | null> {
  const settings = webhookSettings()
  const staleAfterMs = settings.timeoutMs + 5_000
  type Claim = { busyUntil: Date } | { row: any; task: Task } | null
  const claim = await tenant.transaction(async (trx): Promise<Claim> => {
    const row = await trx.from('hitl_callbacks').where('id', callbackId).forUpdate().first()
    if (!row || row.status === 'delivered' || row.status === 'failed') return null
    if (row.status === 'sending' && row.attempt_started_at) {
      const freeAt = new Date(row.attempt_started_at).getTime() + staleAfterMs
      if (freeAt > Date.now()) return { busyUntil: new Date(freeAt) }
    }
    const task = await Task.query({ client: trx }).where('id', row.task_id).first()
    if (!task?.callbackUrl) return null
    await trx
      .from('hitl_callbacks')
      .where('id', callbackId)
      .update({ status: 'sending', attempt_started_at: new Date(), updated_at: new Date() })
    return { row, task }
  })
  if (!claim) return null
  if ('busyUntil' in claim) return { retryAt: claim.busyUntil }

  const { row, task } = claim as { row: any; task: Task }
  const secret = callbackSecretOf(task) ?? ''
  const outcome = await postWebhook(
    task.callbackUrl!,
    row.body,
    {
      [SIGNATURE_HEADER]: signatureHeader(secret, row.body, Math.floor(Date.now() / 1000)),
      [CALLBACK_EVENT_HEADER]: 'task.resolved',
      'X-FloMastr-Task-Id': task.id,
    },
    {
      timeoutMs: settings.timeoutMs,
      allowPrivate: settings.allowPrivateTargets,
      excerptChars: settings.responseExcerptChars,
    }
  )
  const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300
  const attempts = Number(row.attempts) + 1
  const windowEnds = new Date(row.created_at).getTime() + settings.retryWindowMs
  const delay = retryDelayMs(attempts)
  const giveUp =
    !ok && (outcome.blocked || outcome.status === 410 || Date.now() + delay > windowEnds)
  const retryAt = ok || giveUp ? null : new Date(Date.now() + delay)
  await db
    .from('hitl_callbacks')
    .withSchema(tenant.schema)
    .where('id', callbackId)
    .update({
      status: ok ? 'delivered' : giveUp ? 'failed' : 'retrying',
      attempts,
      last_status_code: outcome.status,
      last_error: outcome.error,
      attempt_started_at: null,
      next_attempt_at: retryAt,
      delivered_at: ok ? new Date() : null,
      updated_at: new Date(),
    })
  return retryAt ? { retryAt } : null
}

export async function callbackOf(tenant: TenantContext, taskId: string) {
  return db.from('hitl_callbacks').withSchema(tenant.schema).where('task_id', taskId).first()
}
