import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import { limitGuard } from '#modules/billing/index'
import Conversation from '../models/conversation.js'

/**
 * The conversation a business-initiated send goes into: the contact's
 * conversation in progress on that channel, or a new open one. This is how
 * an API client writes first (a template to a new lead): the inbox always
 * answers inside a conversation the customer started, the API need not.
 *
 * With `open: false` only an existing one is returned (null otherwise): a
 * free-form message could not go into a new conversation anyway, since no
 * customer has written in it, so none is opened just to be refused.
 *
 * Two sends opening it at once collide on conversations_one_active; the
 * loser reads the winner's row. A new conversation is announced like one a
 * customer opened (auto-assignment, the live inbox, webhooks, billing's
 * meter). Opening one past the plan's conversations this month is refused
 * (PlanLimitError, a 402 on the API); sending into one in progress never is.
 * The plan is read only when a new one is needed, before the transaction
 * that opens it (central tables are not on a tenant transaction's path).
 */
export async function conversationForSend(
  tenant: TenantContext,
  contactId: string,
  channelId: string,
  options: { open: boolean } = { open: true }
): Promise<{ conversation: Conversation; created: boolean } | null> {
  const active = (trx: TransactionClientContract) =>
    Conversation.query({ client: trx })
      .where('contact_id', contactId)
      .where('channel_id', channelId)
      .whereNot('status', 'resolved')
      .first()
  const current = await tenant.transaction(active)
  if (current) return { conversation: current, created: false }
  if (!options.open) return null
  const conversations = await limitGuard(tenant.id, 'conversations')
  const found = await tenant.transaction(async (trx) => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await active(trx)
      if (existing) return { conversation: existing, created: false }
      await conversations.ensure({ client: trx })
      const inserted = await trx.rawQuery(
        `insert into conversations (contact_id, channel_id, status) values (?, ?, 'open')
          on conflict do nothing returning id`,
        [contactId, channelId]
      )
      if (inserted.rows.length) {
        await conversations.record(inserted.rows[0].id, trx)
        const conversation = await Conversation.query({ client: trx })
          .where('id', inserted.rows[0].id)
          .firstOrFail()
        return { conversation, created: true }
      }
    }
    throw new Error(`could not find or open a conversation for contact ${contactId}`)
  })
  if (found?.created) {
    try {
      await emitter.emit('conversation:created', {
        tenant: tenant.slug,
        tenantId: tenant.id,
        conversationId: found.conversation.id,
        contactId,
        channelId,
      })
    } catch (error) {
      // The conversation exists; a failing listener must not fail the send.
      logger.error({ err: error }, 'conversation:created listener failed')
    }
  }
  return found
}
