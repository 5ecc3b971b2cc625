import { randomBytes, randomUUID } from 'node:crypto'
import { Contact, Conversation } from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import type { Group } from '@japa/runner/core'
import { makeWorkspace } from '#tests/helpers/tenants'
import { WebSession } from '#tests/helpers/web_session'

/*
| Real conversation rows for the memory tests: a contact, a conversation and
| its messages, written as the channels module stores them.
*/

export interface ChatLine {
  from: 'contact' | 'agent' | 'note'
  body: string
}

export async function makeContact(tenant: TenantContext, name: string | null = null) {
  return tenant.transaction((trx) =>
    Contact.create({ phone: `+1555${randomBytes(4).readUInt32BE(0)}`, name }, { client: trx })
  )
}

export async function makeConversation(tenant: TenantContext, contactId: string) {
  return tenant.transaction((trx) =>
    Conversation.create({ contactId, channelId: randomUUID(), status: 'open' }, { client: trx })
  )
}

let clock = Date.UTC(2026, 10, 20, 9, 0, 0)

/** Appends messages to a conversation, a minute apart, in order. */
export async function say(
  tenant: TenantContext,
  conversation: { id: string; contactId: string; channelId: string },
  lines: ChatLine[]
) {
  return tenant.transaction(async (trx) => {
    const ids: string[] = []
    for (const line of lines) {
      clock += 60_000
      const [row] = await trx
        .table('messages')
        .insert({
          conversation_id: conversation.id,
          contact_id: conversation.contactId,
          channel_id: conversation.channelId,
          direction: line.from === 'contact' ? 'inbound' : 'outbound',
          type: 'text',
          body: line.body,
          status: line.from === 'contact' ? 'received' : 'sent',
          author_type: line.from === 'contact' ? 'contact' : 'agent',
          is_note: line.from === 'note',
          provider_timestamp: new Date(clock),
        })
        .returning('id')
      ids.push(row.id)
    }
    return ids
  })
}

/** A contact with one conversation holding `lines`. */
export async function chat(tenant: TenantContext, lines: ChatLine[], name: string | null = null) {
  const contact = await makeContact(tenant, name)
  const conversation = await makeConversation(tenant, contact.id)
  const messageIds = await say(tenant, conversation, lines)
  return { contact, conversation, messageIds }
}

/** Rows of the memory tables for a contact, counted. */
export async function memoryRows(tenant: TenantContext, contactId: string) {
  return tenant.transaction(async (trx) => {
    const count = async (table: string) =>
      Number((await trx.from(table).where('contact_id', contactId).count('* as n').first()).n)
    return {
      memories: await count('contact_memories'),
      facts: await count('contact_memory_facts'),
      dismissed: await count('contact_memory_dismissed'),
    }
  })
}

/** A POST as htmx sends it from the panel (its fragment swapped into #memory-panel). */
export function htmxPost(
  web: WebSession,
  from: string,
  action: string,
  fields: Record<string, string>
) {
  return web.htmxSubmit(from, action, fields, { 'HX-Target': 'memory-panel' })
}

export type Workspace = Awaited<ReturnType<typeof makeWorkspace>>

/** One workspace for a whole group (provisioning a tenant is the slow part of these tests). */
export function sharedWorkspace(group: Group, prefix: string) {
  const shared = { current: null as Workspace | null }
  group.setup(async () => {
    const undo: Array<() => void | Promise<void>> = []
    shared.current = await makeWorkspace((fn) => undo.push(fn), prefix)
    return async () => {
      for (const fn of undo.reverse()) await fn()
    }
  })
  return () => shared.current!
}
