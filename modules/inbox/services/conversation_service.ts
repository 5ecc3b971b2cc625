import { DateTime } from 'luxon'
import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import { clock } from '#app/clock'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { hasMemberWithRole, membersWithRoles } from '#modules/identity/index'
import { dispatchTenantJob, type TenantContext } from '#modules/tenancy/index'
import Conversation, { type ConversationPriority } from '../models/conversation.js'
import type { ConversationUpdatedEvent } from '#modules/inbox/index'
import { ChannelError } from '#modules/channels/index'
import WakeSnoozedJob from '../jobs/wake_snoozed_job.js'
import { errors as lucidErrors } from '@adonisjs/lucid'

/*
| What a member does to a conversation in the inbox: assign it, change its
| status (resolve, reopen, pending, snooze), label it, set its priority, and
| read it. Each change is made in one tenant transaction and announced by its
| typed event once that transaction has committed; a request that changes
| nothing (resolving a resolved conversation) announces nothing.
*/

export const PRIORITIES: ConversationPriority[] = ['none', 'low', 'medium', 'high', 'urgent']
export const MAX_LABELS = 20
export const MAX_LABEL_LENGTH = 40
/** How far ahead a conversation may be snoozed. */
export const MAX_SNOOZE_DAYS = 365

/** The roles that may be given a conversation: the ones that may reply. */
const ASSIGNABLE_ROLES = ['owner', 'admin', 'agent'] as const

/**
 * A conversation change the inbox refuses: `code` for callers, a message a
 * person can act on, and `field` naming the form control at fault.
 */
export class ConversationError extends ChannelError {
  constructor(
    code: string,
    message: string,
    status = 422,
    readonly field: string | null = null
  ) {
    super(code, message, status)
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value)
}

function notFound() {
  return new ConversationError('not_found', 'No such conversation in this workspace', 404)
}

/** One of the tenant's conversations, or null (a malformed id is simply not found). */
export async function findConversation(tenant: TenantContext, conversationId: string) {
  if (!isUuid(conversationId)) return null
  return tenant.transaction((trx) =>
    Conversation.query({ client: trx }).where('id', conversationId).first()
  )
}

/** The conversation, or E_ROW_NOT_FOUND (answered 404, by page or API) for an unknown or another tenant's id. */
export async function findConversationOrFail(tenant: TenantContext, conversationId: string) {
  const conversation = await findConversation(tenant, conversationId)
  if (!conversation) throw new lucidErrors.E_ROW_NOT_FOUND(Conversation)
  return conversation
}

type Announcement =
  | { name: 'conversation:assigned'; assigneeId: string | null; previousAssigneeId: string | null }
  | { name: 'conversation:resolved' }
  | { name: 'conversation:updated'; changes: ConversationUpdatedEvent['changes'] }

/**
 * Locks the conversation, lets `apply` change it and saves it; returns what
 * to announce (nothing when `apply` changed nothing), then announces it
 * after the commit.
 */
async function change(
  tenant: TenantContext,
  conversationId: string,
  byUserId: string | null,
  apply: (
    conversation: Conversation,
    trx: TransactionClientContract
  ) => Promise<Announcement | null> | Announcement | null
): Promise<Conversation> {
  if (!isUuid(conversationId)) throw notFound()
  const { conversation, announcement } = await tenant.transaction(async (trx) => {
    const found = await Conversation.query({ client: trx })
      .where('id', conversationId)
      .forUpdate()
      .first()
    if (!found) throw notFound()
    const said = await apply(found, trx)
    if (said) {
      try {
        await found.useTransaction(trx).save()
      } catch (error) {
        // Another conversation of this contact and channel became active meanwhile.
        if ((error as { code?: string }).code === '23505') throw newerConversation()
        throw error
      }
    }
    return { conversation: found, announcement: said }
  })
  if (announcement) await announce(tenant, conversation.id, byUserId, announcement)
  return conversation
}

async function announce(
  tenant: TenantContext,
  conversationId: string,
  byUserId: string | null,
  announcement: Announcement
) {
  const base = { tenant: tenant.slug, tenantId: tenant.id, conversationId, byUserId }
  try {
    if (announcement.name === 'conversation:assigned') {
      await emitter.emit('conversation:assigned', {
        ...base,
        assigneeId: announcement.assigneeId,
        previousAssigneeId: announcement.previousAssigneeId,
      })
    } else if (announcement.name === 'conversation:resolved') {
      await emitter.emit('conversation:resolved', base)
    } else {
      await emitter.emit('conversation:updated', { ...base, changes: announcement.changes })
    }
  } catch (error) {
    // The change is committed; a failing listener must not turn it into an error page.
    logger.error({ err: error, event: announcement.name }, 'conversation event listener failed')
  }
}

function newerConversation() {
  return new ConversationError(
    'newer_conversation',
    'This contact has a newer conversation on this channel that is still open; continue there',
    409
  )
}

/**
 * A resolved conversation may become active again only while its contact has
 * no other active conversation on the same channel (one at a time).
 */
async function assertCanBecomeActive(trx: TransactionClientContract, conversation: Conversation) {
  if (conversation.status !== 'resolved') return
  const other = await trx
    .from('conversations')
    .where('contact_id', conversation.contactId)
    .where('channel_id', conversation.channelId)
    .whereNot('status', 'resolved')
    .whereNot('id', conversation.id)
    .first()
  if (other) throw newerConversation()
}

/**
 * Whether `userId` may be given conversations in this tenant: a member who
 * may reply. Memberships are central, so this is read outside any tenant
 * transaction.
 */
export function isAssignable(tenant: TenantContext, userId: string) {
  return hasMemberWithRole(tenant.id, userId, ASSIGNABLE_ROLES)
}

/** The members a conversation can be assigned to, by name. */
export async function assignableMembers(tenant: TenantContext) {
  const members = await membersWithRoles(tenant.id, ASSIGNABLE_ROLES)
  return members.map((member) => ({ id: member.userId, name: member.name, email: member.email }))
}

/** Gives the conversation to a member who may reply, or to no one (null). */
export async function assignConversation(
  tenant: TenantContext,
  conversationId: string,
  assigneeId: string | null,
  byUserId: string | null
) {
  if (assigneeId !== null && !(await isAssignable(tenant, assigneeId))) {
    throw new ConversationError(
      'invalid_assignee',
      'Choose a member of this workspace who may reply',
      422,
      'assignee'
    )
  }
  return change(tenant, conversationId, byUserId, (conversation) => {
    const previous = conversation.assigneeId
    if (previous === assigneeId) return null
    conversation.assigneeId = assigneeId
    return {
      name: 'conversation:assigned',
      assigneeId,
      previousAssigneeId: previous,
    }
  })
}

/**
 * A handoff: the conversation waits for a person (the "Needs a person"
 * view) until someone takes it, it is resolved or handed back.
 */
export async function markNeedsPerson(tenant: TenantContext, conversationId: string) {
  await tenant.transaction((trx) =>
    trx
      .from('conversations')
      .where('id', conversationId)
      .whereNull('needs_person_at')
      .update({ needs_person_at: clock.now().toJSDate() })
  )
}

/** Handed back to the assistant: nobody needs to step in any more. */
export async function clearNeedsPerson(tenant: TenantContext, conversationId: string) {
  await tenant.transaction((trx) =>
    trx.from('conversations').where('id', conversationId).update({ needs_person_at: null })
  )
}

/**
 * An agent replied to a handed-off conversation nobody had taken: it is
 * theirs now (unless the channel's "assign on reply" is off), so the team
 * sees someone has it. Returns whether it was assigned.
 */
export async function assignOnReply(
  tenant: TenantContext,
  conversationId: string,
  userId: string,
  enabled: boolean
) {
  if (!enabled || !(await isAssignable(tenant, userId))) return false
  let assigned = false
  await change(tenant, conversationId, userId, (conversation) => {
    if (conversation.assigneeId !== null || !conversation.needsPersonAt) return null
    conversation.assigneeId = userId
    assigned = true
    return { name: 'conversation:assigned', assigneeId: userId, previousAssigneeId: null }
  })
  return assigned
}

export function resolveConversation(
  tenant: TenantContext,
  conversationId: string,
  byUserId: string | null
) {
  return change(tenant, conversationId, byUserId, (conversation) => {
    if (conversation.status === 'resolved') return null
    conversation.merge({
      status: 'resolved',
      resolvedAt: DateTime.now(),
      snoozedUntil: null,
      needsPersonAt: null,
    })
    return { name: 'conversation:resolved' }
  })
}

export function reopenConversation(
  tenant: TenantContext,
  conversationId: string,
  byUserId: string | null
) {
  return change(tenant, conversationId, byUserId, async (conversation, trx) => {
    if (conversation.status === 'open') return null
    await assertCanBecomeActive(trx, conversation)
    const changes: ConversationUpdatedEvent['changes'] = ['status']
    if (conversation.snoozedUntil) changes.push('snooze')
    conversation.merge({ status: 'open', resolvedAt: null, snoozedUntil: null })
    return { name: 'conversation:updated', changes }
  })
}

/** Waiting on someone else (the customer, an insurer): out of the open queue, not done. */
export function markConversationPending(
  tenant: TenantContext,
  conversationId: string,
  byUserId: string | null
) {
  return change(tenant, conversationId, byUserId, async (conversation, trx) => {
    if (conversation.status === 'pending') return null
    await assertCanBecomeActive(trx, conversation)
    const changes: ConversationUpdatedEvent['changes'] = ['status']
    if (conversation.snoozedUntil) changes.push('snooze')
    conversation.merge({ status: 'pending', resolvedAt: null, snoozedUntil: null })
    return { name: 'conversation:updated', changes }
  })
}

/**
 * Hides the conversation until `until`, when a delayed job reopens it (a
 * customer message reopens it earlier: see inbound_processing.ts).
 */
export async function snoozeConversation(
  tenant: TenantContext,
  conversationId: string,
  until: DateTime,
  byUserId: string | null
) {
  const now = clock.now()
  if (!until.isValid || until <= now) {
    throw new ConversationError(
      'invalid_snooze',
      'Choose a time in the future to snooze until',
      422,
      'until'
    )
  }
  if (until > now.plus({ days: MAX_SNOOZE_DAYS })) {
    throw new ConversationError(
      'invalid_snooze',
      `Snooze for at most ${MAX_SNOOZE_DAYS} days`,
      422,
      'until'
    )
  }
  const at = until.set({ millisecond: 0 })
  const conversation = await change(tenant, conversationId, byUserId, async (row, trx) => {
    if (row.status === 'snoozed' && row.snoozedUntil?.toMillis() === at.toMillis()) return null
    await assertCanBecomeActive(trx, row)
    const changes: ConversationUpdatedEvent['changes'] =
      row.status === 'snoozed' ? ['snooze'] : ['status', 'snooze']
    row.merge({ status: 'snoozed', snoozedUntil: at, resolvedAt: null })
    return { name: 'conversation:updated', changes }
  })
  await scheduleWakeUp(tenant, conversation.id, at)
  return conversation
}

/**
 * Queues the wake-up; one job per (conversation, time), so snoozing twice
 * adds nothing. `again` names a second attempt for the same time (a job
 * that ran early), which the first job's id would otherwise swallow.
 */
export function scheduleWakeUp(
  tenant: TenantContext,
  conversationId: string,
  at: DateTime,
  again = false
) {
  const id = `wake-${tenant.slug}-${conversationId}-${at.toMillis()}`
  return dispatchTenantJob(
    WakeSnoozedJob,
    tenant,
    { conversationId },
    {
      delay: Math.max(0, at.toMillis() - clock.millis()),
      jobId: again ? `${id}-again-${Date.now()}` : id,
    }
  )
}

/**
 * Reopens a snoozed conversation whose time has come. Returns 'woken', 'early'
 * (still snoozed until later: the caller schedules again) or 'nothing' (it was
 * reopened, resolved or snoozed to another time meanwhile).
 */
export async function wakeSnoozedConversation(
  tenant: TenantContext,
  conversationId: string
): Promise<{ outcome: 'woken' | 'nothing' } | { outcome: 'early'; until: DateTime }> {
  const seen: { early: DateTime | null; woken: boolean } = { early: null, woken: false }
  await change(tenant, conversationId, null, (conversation) => {
    if (conversation.status !== 'snoozed') return null
    const until = conversation.snoozedUntil
    if (until && until > clock.now()) {
      seen.early = until
      return null
    }
    conversation.merge({ status: 'open', snoozedUntil: null })
    seen.woken = true
    return { name: 'conversation:updated', changes: ['status', 'snooze'] }
  }).catch((error) => {
    // Deleted with its contact meanwhile: nothing left to wake.
    if (error instanceof ConversationError && error.code === 'not_found') return null
    throw error
  })
  if (seen.early) return { outcome: 'early', until: seen.early }
  return { outcome: seen.woken ? 'woken' : 'nothing' }
}

/**
 * Labels as the workspace keeps them: trimmed, lower case, inner spaces
 * collapsed, without repeats or blanks. Refuses more than MAX_LABELS, or a
 * label longer than MAX_LABEL_LENGTH, rather than cut what was typed.
 */
export function normalizeLabels(labels: string[]): string[] {
  const clean = [
    ...new Set(
      labels.map((label) => label.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase())
    ),
  ].filter((label) => label !== '')
  const tooLong = clean.find((label) => [...label].length > MAX_LABEL_LENGTH)
  if (tooLong) {
    throw new ConversationError(
      'invalid_labels',
      `Keep each label to ${MAX_LABEL_LENGTH} characters`,
      422,
      'labels'
    )
  }
  if (clean.length > MAX_LABELS) {
    throw new ConversationError(
      'invalid_labels',
      `A conversation has at most ${MAX_LABELS} labels`,
      422,
      'labels'
    )
  }
  return clean
}

/** Replaces the conversation's labels with `labels` (normalised). */
export async function setConversationLabels(
  tenant: TenantContext,
  conversationId: string,
  labels: string[],
  byUserId: string | null
) {
  const clean = normalizeLabels(labels)
  return change(tenant, conversationId, byUserId, (conversation) => {
    const current = conversation.labels ?? []
    const same = current.length === clean.length && current.every((l, i) => l === clean[i])
    if (same) return null
    conversation.labels = clean
    return { name: 'conversation:updated', changes: ['labels'] }
  })
}

/**
 * Adds and removes labels in one locked change, so two members labelling at
 * once do not undo each other.
 */
export async function editConversationLabels(
  tenant: TenantContext,
  conversationId: string,
  edit: { add?: string[]; remove?: string[] },
  byUserId: string | null
) {
  const add = normalizeLabels(edit.add ?? [])
  const remove = new Set(
    (edit.remove ?? []).map((label) => label.trim().replace(/\s+/g, ' ').toLowerCase())
  )
  return change(tenant, conversationId, byUserId, (conversation) => {
    const current = conversation.labels ?? []
    const next = normalizeLabels([...current, ...add].filter((label) => !remove.has(label)))
    const same = current.length === next.length && current.every((l, i) => l === next[i])
    if (same) return null
    conversation.labels = next
    return { name: 'conversation:updated', changes: ['labels'] }
  })
}

export function setConversationPriority(
  tenant: TenantContext,
  conversationId: string,
  priority: ConversationPriority,
  byUserId: string | null
) {
  if (!PRIORITIES.includes(priority)) {
    throw new ConversationError('invalid_priority', 'Choose one of the priorities', 422, 'priority')
  }
  return change(tenant, conversationId, byUserId, (conversation) => {
    if (conversation.priority === priority) return null
    conversation.priority = priority
    return { name: 'conversation:updated', changes: ['priority'] }
  })
}

/** The team has seen every message so far. */
export function markConversationRead(
  tenant: TenantContext,
  conversationId: string,
  byUserId: string | null
) {
  return change(tenant, conversationId, byUserId, (conversation) => {
    if (conversation.unreadCount === 0) return null
    conversation.unreadCount = 0
    return { name: 'conversation:updated', changes: ['read'] }
  })
}
