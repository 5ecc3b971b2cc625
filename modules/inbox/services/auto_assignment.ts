import db from '@adonisjs/lucid/services/db'
import emitter from '@adonisjs/core/services/emitter'
import type { TenantContext } from '#modules/tenancy/index'

/*
| Round-robin assignment: when a channel has autoAssign on, each new
| conversation goes to the next online member who can reply (owner, admin,
| agent), in a fixed order, starting after whoever got the channel's last
| one. Busy and offline members are skipped; with nobody online the
| conversation stays unassigned for the team to pick up.
*/

const ASSIGNABLE_ROLES = ['owner', 'admin', 'agent']

/**
 * Assigns an unassigned, unresolved conversation by round-robin when its
 * channel asks for it. Returns the assignee's user id, or null when nothing
 * was done (setting off, already assigned, nobody online). Safe to run
 * twice: the assignment only lands on a conversation still unassigned.
 */
export async function autoAssignConversation(tenant: TenantContext, conversationId: string) {
  const conversation = await tenant.transaction(async (trx) => {
    const result = await trx.rawQuery(
      `select id, channel_id, assignee_id, status from conversations where id = ?`,
      [conversationId]
    )
    return result.rows[0] as
      { id: string; channel_id: string; assignee_id: string | null; status: string } | undefined
  })
  if (!conversation || conversation.assignee_id || conversation.status === 'resolved') return null

  // Central: the channel row is the lock that serialises this channel's turns.
  const assigneeId = await db.transaction(async (trx) => {
    const locked = await trx.rawQuery(
      `select id, settings, last_assigned_user_id from channels
        where id = ? and tenant_id = ? for update`,
      [conversation.channel_id, tenant.id]
    )
    const channel = locked.rows[0] as
      | { id: string; settings: { autoAssign?: boolean }; last_assigned_user_id: string | null }
      | undefined
    if (!channel?.settings?.autoAssign) return null

    const members = await trx.rawQuery(
      `select user_id from memberships
        where tenant_id = ? and availability = 'online' and role = any(?)
        order by user_id`,
      [tenant.id, ASSIGNABLE_ROLES]
    )
    const online = members.rows as Array<{ user_id: string }>
    if (!online.length) return null

    const last = channel.last_assigned_user_id
    const next = (last ? online.find((member) => member.user_id > last) : null) ?? online[0]
    await trx.rawQuery(`update channels set last_assigned_user_id = ? where id = ?`, [
      next.user_id,
      channel.id,
    ])
    return next.user_id
  })
  if (!assigneeId) return null

  const assigned = await tenant.transaction(async (trx) => {
    const result = await trx.rawQuery(
      `update conversations set assignee_id = ?, updated_at = now()
        where id = ? and assignee_id is null and status <> 'resolved'
        returning id`,
      [assigneeId, conversationId]
    )
    return result.rows.length > 0
  })
  if (!assigned) return null

  await emitter.emit('conversation:assigned', {
    tenant: tenant.slug,
    tenantId: tenant.id,
    conversationId,
    assigneeId,
    previousAssigneeId: null,
    byUserId: null,
  })
  return assigneeId
}
