import os from 'node:os'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import AuditLog from '../models/audit_log.js'

/**
 * Who did something and from where. Controllers build one from the request
 * (`actorFromRequest`), commands from the shell (`cliActor`), jobs use
 * `systemActor`.
 */
export interface AuditActor {
  userId: string | null
  label: string
  source: string | null
  userAgent?: string | null
}

export function cliActor(): AuditActor {
  let user = 'unknown'
  try {
    user = os.userInfo().username
  } catch {
    // Containers without a passwd entry for the uid.
  }
  return { userId: null, label: `cli:${user}`, source: `cli@${os.hostname()}` }
}

export const systemActor: AuditActor = { userId: null, label: 'system', source: 'system' }

export interface AuditEntry {
  action: string
  tenant?: { id: string; slug: string } | null
  subjectType?: string
  subjectId?: string
  metadata?: Record<string, unknown>
}

export async function recordAudit(
  actor: AuditActor,
  entry: AuditEntry,
  client?: TransactionClientContract
) {
  return AuditLog.create(
    {
      actorUserId: actor.userId,
      actorLabel: actor.label,
      source: actor.source,
      userAgent: actor.userAgent ?? null,
      action: entry.action,
      tenantId: entry.tenant?.id ?? null,
      tenantSlug: entry.tenant?.slug ?? null,
      subjectType: entry.subjectType ?? null,
      subjectId: entry.subjectId ?? null,
      metadata: entry.metadata ?? {},
    },
    { client }
  )
}
