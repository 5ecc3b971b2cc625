import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import type { TenantContext } from '#modules/tenancy/index'
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
 * customer opened (auto-assignment, the live inbox, webhooks).
 *
 * Each step is one statement naming the tenant's schema, with no
 * transaction: the read and the insert are each atomic, and the unique
 * index, not a lock, settles a race.
 */
export async function conversationForSend(
  tenant: TenantContext,
  contactId: string,
  channelId: string,
  options: { open: boolean } = { open: true }
): Promise<{ conversation: Conversation; created: boolean } | null> {
  const found = await findOrOpen(tenant, contactId, channelId, options.open)
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

async function findOrOpen(
  tenant: TenantContext,
  contactId: string,
  channelId: string,
  open: boolean
): Promise<{ conversation: Conversation; created: boolean } | null> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const active = await tenant
      .query(Conversation)
      .where('contact_id', contactId)
      .where('channel_id', channelId)
      .whereNot('status', 'resolved')
      .first()
    if (active) return { conversation: active, created: false }
    if (!open) return null
    const inserted = await db.rawQuery(
      `insert into ${tenant.table('conversations')} (contact_id, channel_id, status)
       values (?, ?, 'open') on conflict do nothing returning *`,
      [contactId, channelId]
    )
    if (inserted.rows.length) {
      return {
        conversation: Conversation.$createFromAdapterResult(inserted.rows[0])!,
        created: true,
      }
    }
  }
  throw new Error(`could not find or open a conversation for contact ${contactId}`)
}
