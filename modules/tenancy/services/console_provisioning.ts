import hash from '@adonisjs/core/services/hash'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import queue from '@rlanz/bull-queue/services/main'
import Tenant from '../models/tenant.js'
import { provisionTenant, type ProvisioningStep } from './provisioning_service.js'
import { checkSlug, schemaNameFor } from './tenant_slug.js'
import type { AuditActor } from './audit_log_service.js'
import { TenancyError } from './tenancy_errors.js'

/**
 * Tenants created from the console are provisioned by a queued job, so the
 * admin watches a progress page instead of a request that hangs while the
 * schema migrates. The request reserves the slug (a `provisioning` tenant
 * row, which resolution treats as not found) and records what the job needs
 * in `tenant_provisionings`; the job payload carries the tenant id only.
 */

export const PROVISIONING_STEPS: ProvisioningStep[] = ['record', 'schema', 'owner', 'activate']
const TABLE = 'tenant_provisionings'

export type ProvisioningStatus = 'queued' | 'running' | 'done' | 'failed'

export interface ProvisioningRequest {
  name: string
  slug: string
  planId: string | null
  owner: { email: string; name: string; password: string }
}

export interface ProvisioningState {
  status: ProvisioningStatus
  step: ProvisioningStep | null
  completed: ProvisioningStep[]
  error: string | null
  attempts: number
  percent: number
  finished: boolean
}

interface ProvisioningRow {
  tenant_id: string
  status: ProvisioningStatus
  step: ProvisioningStep | null
  completed_steps: ProvisioningStep[]
  error: string | null
  attempts: number
  owner_email: string
  owner_name: string | null
  owner_password_hash: string | null
  actor: AuditActor
}

/**
 * Reserves the slug, stores the request and queues the job. A slug taken
 * between validation and insert is refused like any duplicate.
 */
export async function requestProvisioning(
  input: ProvisioningRequest,
  actor: AuditActor
): Promise<Tenant> {
  const problem = checkSlug(input.slug)
  if (problem) throw new TenancyError(problem.code, problem.message)
  const passwordHash = await hash.make(input.owner.password)

  let tenant: Tenant
  try {
    tenant = await db.transaction(async (trx) => {
      const created = await Tenant.create(
        {
          slug: input.slug,
          name: input.name,
          schemaName: schemaNameFor(input.slug),
          status: 'provisioning',
          planId: input.planId,
        },
        { client: trx }
      )
      await trx.table(TABLE).insert({
        tenant_id: created.id,
        status: 'queued',
        owner_email: input.owner.email.trim().toLowerCase(),
        owner_name: input.owner.name,
        owner_password_hash: passwordHash,
        actor: JSON.stringify(actor),
      })
      return created
    })
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new TenancyError(
        'slug_taken',
        `A tenant with the slug "${input.slug}" already exists`,
        409
      )
    }
    throw error
  }

  await queueProvisioning(tenant.id)
  return tenant
}

/**
 * Queues the job again after a failure. Refused unless the last run failed,
 * so a double click does not start two runs.
 */
export async function retryProvisioning(tenantId: string) {
  const updated = await db
    .from(TABLE)
    .where('tenant_id', tenantId)
    .where('status', 'failed')
    .update({ status: 'queued', error: null, updated_at: new Date() })
  if (!Number(updated)) {
    throw new TenancyError('not_retryable', 'Only a failed provisioning can be retried', 409)
  }
  await queueProvisioning(tenantId)
}

async function queueProvisioning(tenantId: string) {
  const { default: ProvisionTenantJob } = await import('../jobs/provision_tenant_job.js')
  try {
    await queue.dispatch(
      ProvisionTenantJob,
      { tenantId },
      // One attempt: a failure waits, with its reason, for a person to retry.
      { queueName: 'default', attempts: 1 }
    )
  } catch (error) {
    await update(tenantId, {
      status: 'failed',
      error: `The job could not be queued: ${(error as Error).message}`,
    })
  }
}

/**
 * The job's work. Safe to run twice: a finished run is left alone, and
 * provisionTenant resumes a half-made tenant from where it stopped.
 */
export async function runProvisioning(tenantId: string) {
  const row = await findRow(tenantId)
  const tenant = await Tenant.find(tenantId)
  if (!row || !tenant) return
  if (row.status === 'done') return
  if (tenant.status !== 'provisioning') {
    await update(tenantId, { status: 'done', step: null, completed_steps: PROVISIONING_STEPS })
    return
  }
  if (!row.owner_password_hash) {
    await update(tenantId, { status: 'failed', error: 'The owner account details are missing' })
    return
  }

  await update(tenantId, {
    status: 'running',
    step: null,
    error: null,
    completed_steps: [],
    attempts: row.attempts + 1,
    started_at: new Date(),
    finished_at: null,
  })

  const completed: ProvisioningStep[] = []
  let current: ProvisioningStep | null = null
  // provisionTenant reports steps synchronously; the writes queue up behind
  // each other so the progress never goes backwards.
  let writes: Promise<unknown> = Promise.resolve()
  const onStep = (step: ProvisioningStep) => {
    if (current) completed.push(current)
    current = step
    const snapshot = { step, completed_steps: [...completed] }
    writes = writes
      .then(() => update(tenantId, snapshot))
      .catch((error) => logger.warn({ err: error, tenantId }, 'provisioning progress not saved'))
  }

  try {
    await provisionTenant(
      {
        slug: tenant.slug,
        name: tenant.name,
        planId: tenant.planId,
        owner: {
          email: row.owner_email,
          name: row.owner_name ?? undefined,
          passwordHash: row.owner_password_hash,
        },
      },
      row.actor,
      onStep
    )
  } catch (error) {
    await writes
    await update(tenantId, {
      status: 'failed',
      step: current,
      completed_steps: completed,
      error: readableReason(error),
      finished_at: new Date(),
    })
    throw error
  }
  await writes
  await update(tenantId, {
    status: 'done',
    step: null,
    completed_steps: PROVISIONING_STEPS,
    error: null,
    owner_password_hash: null,
    finished_at: new Date(),
  })
}

/**
 * What the progress page shows; null when the tenant was not created from
 * the console (then only its status tells).
 */
export async function provisioningState(tenant: Tenant): Promise<ProvisioningState | null> {
  const row = await findRow(tenant.id)
  if (!row) return null
  const done = row.status === 'done' || tenant.status !== 'provisioning'
  const completed = done ? PROVISIONING_STEPS : row.completed_steps
  return {
    status: done ? 'done' : row.status,
    step: done ? null : row.step,
    completed,
    error: row.error,
    attempts: row.attempts,
    percent: Math.round((completed.length / PROVISIONING_STEPS.length) * 100),
    finished: done || row.status === 'failed',
  }
}

/**
 * Postgres errors from Lucid carry the whole statement before the reason;
 * the admin needs the reason.
 */
function readableReason(error: unknown) {
  const message = error instanceof Error ? error.message : String(error)
  const cut = message.lastIndexOf(' - ')
  const reason =
    (error as { severity?: string }).severity && cut > 0 ? message.slice(cut + 3) : message
  return reason.slice(0, 1000)
}

async function findRow(tenantId: string): Promise<ProvisioningRow | null> {
  return (await db.from(TABLE).where('tenant_id', tenantId).first()) ?? null
}

async function update(tenantId: string, values: Record<string, unknown>) {
  const row: Record<string, unknown> = { ...values, updated_at: new Date() }
  if (Array.isArray(row.completed_steps)) row.completed_steps = JSON.stringify(row.completed_steps)
  await db.from(TABLE).where('tenant_id', tenantId).update(row)
}
