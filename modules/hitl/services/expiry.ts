import {
  tenantsInStatus,
  contextFor,
  systemActor,
  type TenantContext,
} from '#modules/tenancy/index'
import logger from '@adonisjs/core/services/logger'
import Task, { type TaskResponse, type TaskStatus } from '../models/task.js'
import { initialValues } from './components.js'
import { afterResolution, settle } from './task_service.js'
import { sendApprovedMessage } from './send_action.js'
import { requeueStrandedCallbacks } from './callbacks.js'
import {
  claimReconcile,
  dueTenantIds,
  forgetTenantExpiry,
  rescheduleTenant,
} from './expiry_schedule.js'

/*
| Expiry: a pending task past its expires_at is resolved by its on_timeout
| (cancel, the default, records `expired`; approve and reject decide with
| the AI's values as they stand). The database is the schedule: due tasks
| are claimed with FOR UPDATE SKIP LOCKED, so sweeps running at once in
| several workers never take the same task, and each is settled by the
| same conditional write people use, so a person approving at that very
| moment and the sweep resolve it once between them.
*/

export const EXPIRY_INTERVAL_MS = 60_000
const BATCH = 200

function timeoutResponse(task: Task, decision: TaskResponse['decision']): TaskResponse {
  const original = initialValues(task.components)
  return {
    decision,
    values: original,
    original_values: original,
    edited: [],
    reason: 'expired',
    comment: null,
    by: { type: 'system', id: null, name: 'expiry' },
    at: new Date().toISOString(),
  }
}

/** Resolves this tenant's expired tasks; returns how many it resolved. */
export async function expireDueTasks(tenant: TenantContext, now = new Date()): Promise<number> {
  let total = 0
  for (;;) {
    const { settled, approvals } = await tenant.transaction(async (trx) => {
      const due = await Task.query({ client: trx })
        .where('status', 'pending')
        .whereNotNull('expires_at')
        .where('expires_at', '<=', now)
        .orderBy('expires_at')
        .limit(BATCH)
        .forUpdate()
        .skipLocked()
      const done: Task[] = []
      const sends: Task[] = []
      for (const task of due) {
        if (task.onTimeout === 'approve' && task.action.type === 'send_message') {
          sends.push(task)
          continue
        }
        const status: TaskStatus =
          task.onTimeout === 'approve'
            ? 'approved'
            : task.onTimeout === 'reject'
              ? 'rejected'
              : 'expired'
        const resolved = await settle(
          tenant,
          task.id,
          status,
          timeoutResponse(task, status as TaskResponse['decision']),
          trx
        )
        if (resolved) done.push(resolved)
      }
      return { settled: done, approvals: sends }
    })
    for (const task of approvals) {
      // Approving on timeout sends through the channels' door; when it cannot (the
      // window closed, the contact opted out) the task expires instead.
      let resolved: Task | null = null
      try {
        resolved = await sendApprovedMessage(tenant, task, timeoutResponse(task, 'approved'), null)
      } catch (error) {
        logger.info({ tenant: tenant.slug, task: task.id, err: error }, 'timeout approval not sent')
        resolved = await settle(tenant, task.id, 'expired', timeoutResponse(task, 'expired'))
      }
      if (resolved) settled.push(resolved)
    }
    for (const task of settled) await afterResolution(tenant, task, systemActor)
    total += settled.length
    if (settled.length + approvals.length < BATCH) return total
  }
}

/**
 * Every workspace's expired tasks (the scheduled job's work). Only the
 * workspaces the schedule says are due are read (expiry_schedule.ts); once
 * an hour, or when the schedule is empty after a Redis loss, all active
 * ones are, which rebuilds it and requeues stranded callbacks.
 */
export async function sweepExpiredTasks(now = new Date()) {
  const full = await claimReconcile()
  const tenants = full
    ? await tenantsInStatus(['active'])
    : await dueTenants(await dueTenantIds(now))
  let resolved = 0
  for (const tenant of tenants) {
    try {
      const context = contextFor(tenant)
      resolved += await expireDueTasks(context, now)
      await rescheduleTenant(context)
      if (full) await requeueStrandedCallbacks(context)
    } catch (error) {
      logger.warn({ err: error, tenant: tenant.slug }, 'task expiry skipped a tenant')
    }
  }
  return { resolved, tenants: tenants.length, full }
}

async function dueTenants(ids: string[]) {
  if (!ids.length) return []
  const found = await tenantsInStatus(['active']).whereIn('id', ids)
  // Tenants no longer active leave the schedule (a reactivated one is found by the hourly pass).
  const gone = ids.filter((id) => !found.some((tenant) => tenant.id === id))
  for (const id of gone) await forgetTenantExpiry(id)
  return found
}
