import { randomBytes } from 'node:crypto'
import type { TenantContext } from '#modules/tenancy/index'
import { waitFor } from '#tests/helpers/whatsapp'
import {
  createFaqSource,
  createFileSource,
  createTextSource,
  findSource,
  ingestSource,
  type FaqPair,
} from '#modules/brain/index'

/**
 * Knowledge for a test, ready to search: the source is created as the
 * workspace or API would (its job queued), then ingested in the test's own
 * process so the test does not wait for a worker.
 */
export async function learnText(
  tenant: TenantContext,
  title: string,
  text: string,
  tags: string[] = []
) {
  const source = await createTextSource(tenant, { title, text, tags })
  await ingestSource(tenant, source.id, source.version)
  return (await findSource(tenant, source.id))!
}

export async function learnFaq(
  tenant: TenantContext,
  title: string,
  pairs: FaqPair[],
  tags: string[] = []
) {
  const source = await createFaqSource(tenant, { title, pairs, tags })
  await ingestSource(tenant, source.id, source.version)
  return (await findSource(tenant, source.id))!
}

export async function learnFile(
  tenant: TenantContext,
  filename: string,
  content: string | Buffer,
  details: { title?: string; tags?: string[] } = {}
) {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content)
  const source = await createFileSource(tenant, { bytes, filename }, details)
  await ingestSource(tenant, source.id, source.version)
  return (await findSource(tenant, source.id))!
}

/** The chunks stored for a source, in order. */
export async function chunksOf(tenant: TenantContext, sourceId: string) {
  return tenant.transaction(async (trx) => {
    const result = await trx.rawQuery(
      `select id, source_version, ordinal, heading_path, page, content, text_config::text as text_config,
              embedding is not null as embedded, embedding_next is not null as embedded_next
         from knowledge_chunks where source_id = ? order by ordinal`,
      [sourceId]
    )
    return result.rows as Array<{
      id: string
      source_version: number
      ordinal: number
      heading_path: string[]
      page: number | null
      content: string
      text_config: string
      embedded: boolean
      embedded_next: boolean
    }>
  })
}

let phoneCounter = 0

/** A customer's message as the inbound pipeline stores it (contact, conversation, message). */
export async function customerSays(
  tenant: TenantContext,
  channelId: string,
  text: string,
  conversationId?: string
) {
  return tenant.transaction(async (trx) => {
    let conversation = conversationId
      ? await trx.from('conversations').where('id', conversationId).first()
      : null
    if (!conversation) {
      const phone = `+1555${String(Date.now() % 1_000_000).padStart(6, '0')}${phoneCounter++ % 10}`
      const [contact] = await trx
        .table('contacts')
        .insert({ phone, wa_id: phone.slice(1), opt_in: 'unknown' })
        .returning('*')
      ;[conversation] = await trx
        .table('conversations')
        .insert({
          contact_id: contact.id,
          channel_id: channelId,
          status: 'open',
          last_customer_message_at: new Date(),
        })
        .returning('*')
    }
    const [message] = await trx
      .table('messages')
      .insert({
        conversation_id: conversation.id,
        contact_id: conversation.contact_id,
        channel_id: channelId,
        direction: 'inbound',
        external_id: `wamid.${randomBytes(8).toString('hex')}`,
        type: 'text',
        body: text,
        status: 'received',
        author_type: 'contact',
      })
      .returning('*')
    return {
      messageId: message.id as string,
      conversationId: conversation.id as string,
      contactId: conversation.contact_id as string,
    }
  })
}

/** The assistant's first message to the customer with this phone, once it is written. */
export async function assistantReplyTo(tenant: TenantContext, phone: string) {
  return waitFor(async () => {
    const rows = await tenant.transaction((trx) =>
      trx
        .from('messages')
        .join('contacts', 'contacts.id', 'messages.contact_id')
        .where('contacts.wa_id', phone.slice(1))
        .where('messages.author_type', 'assistant')
        .select('messages.body', 'messages.conversation_id')
    )
    return rows[0] as { body: string; conversation_id: string } | undefined
  })
}
