import { contactIn } from '#modules/inbox/index'
import { contactMessagesSince } from '#modules/channels/index'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import type { FactKind, MemoryFact } from '../memory.js'
import { extractFacts, factKey, rollSummary, type MemoryMessage } from './extractor.js'
import { memoryModelConfigured, summarizeWithModel } from './model_summarizer.js'

/**
 * Brings a contact's memory up to date with the messages it has not read
 * yet (messages.seq after contact_memories.last_message_seq). Reading and
 * writing are two transactions with the model call between them, never
 * inside one; the write checks that nobody moved the mark meanwhile (two
 * jobs for the same contact), so each message is read once. Re-running
 * over the same messages finds nothing new and changes nothing.
 */

export interface MemoryUpdateResult {
  status: 'updated' | 'unchanged' | 'no_contact'
  /** Who wrote it: the model, or the offline extractor (also when the model failed). */
  mode: 'model' | 'extractive' | null
  messagesRead: number
  factsAdded: number
}

/** Messages read per round; a long backlog takes several rounds of one job. */
const BATCH = 200
/** Facts kept per contact; the oldest automatic ones go first (an agent's are kept). */
export const MAX_FACTS = 60
/** Kinds a person has one of: a newly stated one replaces the automatic old one. */
const SINGLE_VALUED: FactKind[] = ['name']

interface MemoryRow {
  summary: string | null
  source: 'model' | 'extractive' | 'agent'
  last_message_seq: string | number
}

async function readState(trx: TransactionClientContract, contactId: string, afterSeq?: number) {
  const contact = await contactIn(trx, contactId)
  if (!contact) return null
  const memory: MemoryRow | null =
    (await trx
      .from('contact_memories')
      .where('contact_id', contactId)
      .select('summary', 'source', 'last_message_seq')
      .first()) ?? null
  const mark = afterSeq ?? Number(memory?.last_message_seq ?? 0)
  const rows = await contactMessagesSince(trx, contactId, mark, BATCH)
  const facts: MemoryFact[] = await trx
    .from('contact_memory_facts')
    .where('contact_id', contactId)
    .select('kind', 'value')
    .orderBy('created_at')
  const messages: MemoryMessage[] = rows.map((row) => ({
    id: row.id,
    seq: Number(row.seq),
    conversationId: row.conversationId,
    direction: row.direction,
    body: row.body ?? '',
    at: (row.providerTimestamp ?? row.createdAt).toJSDate(),
  }))
  return { memory, mark, messages, facts }
}

/** A fact from the extractor or the model, with the message it was read from. */
interface NewFact {
  kind: FactKind
  value: string
  messageId: string | null
}

function offlineFacts(messages: MemoryMessage[]): NewFact[] {
  return messages
    .filter((message) => message.direction === 'inbound' && message.body.trim())
    .flatMap((message) =>
      extractFacts(message.body).map((fact) => ({ ...fact, messageId: message.id }))
    )
}

/** Stores facts that are new; an agent's fact, or one an agent removed, is never touched. */
async function storeFacts(
  trx: TransactionClientContract,
  contactId: string,
  source: 'model' | 'extractive',
  facts: NewFact[]
) {
  let added = 0
  for (const fact of facts) {
    const key = factKey(fact.kind, fact.value)
    if (!key) continue
    const dismissed = await trx
      .from('contact_memory_dismissed')
      .where({ contact_id: contactId, kind: fact.kind, value_key: key })
      .first()
    if (dismissed) continue
    if (SINGLE_VALUED.includes(fact.kind)) {
      const agents = await trx
        .from('contact_memory_facts')
        .where({ contact_id: contactId, kind: fact.kind, edited_by_agent: true })
        .first()
      if (agents) continue
      await trx
        .from('contact_memory_facts')
        .where({ contact_id: contactId, kind: fact.kind, edited_by_agent: false })
        .whereNot('value_key', key)
        .delete()
    }
    const { rows } = await trx.rawQuery(
      `insert into contact_memory_facts (contact_id, kind, value, value_key, message_id, source)
       values (?, ?, ?, ?, nullif(?, '')::uuid, ?)
       on conflict (contact_id, kind, value_key) do nothing returning id`,
      [contactId, fact.kind, fact.value.slice(0, 500), key, fact.messageId ?? '', source]
    )
    added += rows.length
  }
  if (added) {
    // Over the cap, the oldest automatic facts make room.
    await trx.rawQuery(
      `delete from contact_memory_facts where id in (
         select id from contact_memory_facts
          where contact_id = ? and not edited_by_agent
          order by created_at desc, id offset greatest(0, ? - (
            select count(*) from contact_memory_facts where contact_id = ? and edited_by_agent)))`,
      [contactId, MAX_FACTS, contactId]
    )
  }
  return added
}

export async function updateContactMemory(
  tenant: TenantContext,
  contactId: string
): Promise<MemoryUpdateResult> {
  const result: MemoryUpdateResult = {
    status: 'unchanged',
    mode: null,
    messagesRead: 0,
    factsAdded: 0,
  }
  // Rounds until the backlog is read; a round that lost a race simply reads again.
  for (let round = 0; round < 50; round++) {
    const state = await tenant.transaction((trx) => readState(trx, contactId))
    if (!state) return { ...result, status: result.messagesRead ? result.status : 'no_contact' }
    const { memory, mark, messages } = state
    if (!messages.length) return result

    const agentSummary = memory?.source === 'agent' && memory.summary !== null
    let mode: 'model' | 'extractive' = 'extractive'
    let summary = memory?.summary ?? null
    let facts: NewFact[]
    const fromModel = memoryModelConfigured()
      ? await summarizeWithModel({ summary, facts: state.facts }, messages)
      : null
    if (fromModel) {
      mode = 'model'
      if (!agentSummary && fromModel.summary) summary = fromModel.summary
      facts = fromModel.facts.map((fact) => ({
        kind: fact.kind,
        value: fact.value,
        messageId: fact.message === null ? null : messages[fact.message - 1].id,
      }))
    } else {
      if (!agentSummary) summary = rollSummary(summary, messages)
      facts = offlineFacts(messages)
    }
    const last = messages[messages.length - 1]

    const written = await tenant
      .transaction(async (trx) => {
        await trx.rawQuery(
          'insert into contact_memories (contact_id) values (?) on conflict do nothing',
          [contactId]
        )
        const current = await trx
          .from('contact_memories')
          .where('contact_id', contactId)
          .forUpdate()
          .select('last_message_seq', 'source', 'summary')
          .first()
        // Another job read these messages first, or an agent wrote the summary meanwhile.
        if (!current || Number(current.last_message_seq) !== mark) return null
        if ((current.source === 'agent' && current.summary !== null) !== agentSummary) return null
        const added = await storeFacts(trx, contactId, mode, facts)
        await trx
          .from('contact_memories')
          .where('contact_id', contactId)
          .update({
            // The source names who wrote the text, so it changes only with the text.
            ...(agentSummary || summary === (memory?.summary ?? null)
              ? {}
              : { summary, source: mode }),
            last_message_seq: last.seq,
            last_message_id: last.id,
            updated_at: new Date(),
          })
        return added
      })
      // The contact was erased while the model was thinking: nothing left to remember.
      .catch((error) => {
        if ((error as { code?: string }).code === '23503') return 'gone' as const
        throw error
      })
    if (written === 'gone') return { ...result, status: 'no_contact' }
    if (written === null) continue
    result.status = 'updated'
    result.mode = mode
    result.messagesRead += messages.length
    result.factsAdded += written
    if (messages.length < BATCH) return result
  }
  return result
}
