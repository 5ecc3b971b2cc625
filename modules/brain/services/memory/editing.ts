import { contactIn } from '#modules/inbox/index'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import { FACT_KINDS, type FactKind } from '../memory.js'
import { factKey } from './extractor.js'

/**
 * An agent's view of a contact's memory and their edits to it. An agent's
 * word wins over automation: an edited summary stays until the agent clears
 * it, an added or edited fact is flagged so extraction never overwrites it,
 * and a removed fact leaves a tombstone so extraction does not bring it back.
 */

export class MemoryError extends Error {
  constructor(readonly code: 'not_found' | 'duplicate_fact') {
    super(code)
  }
}

export interface PanelFact {
  id: string
  kind: FactKind
  value: string
  source: 'model' | 'extractive' | 'agent'
  editedByAgent: boolean
  messageId: string | null
  conversationId: string | null
}

export interface MemoryPanel {
  contactId: string
  summary: string | null
  summarySource: 'model' | 'extractive' | 'agent' | null
  updatedAt: Date | null
  facts: PanelFact[]
}

async function contactExists(trx: TransactionClientContract, contactId: string) {
  if (!/^[0-9a-f-]{36}$/i.test(contactId)) return false
  return Boolean(await contactIn(trx, contactId))
}

/** The memory with everything the panel shows; null when the tenant has no such contact. */
export async function memoryPanel(tenant: TenantContext, contactId: string) {
  return tenant.transaction(async (trx): Promise<MemoryPanel | null> => {
    if (!(await contactExists(trx, contactId))) return null
    const row = await trx
      .from('contact_memories')
      .where('contact_id', contactId)
      .select('summary', 'source', 'updated_at')
      .first()
    const facts = await trx
      .from('contact_memory_facts as f')
      .leftJoin('messages as m', 'm.id', 'f.message_id')
      .where('f.contact_id', contactId)
      .select('f.id', 'f.kind', 'f.value', 'f.source', 'f.edited_by_agent', 'f.message_id')
      .select('m.conversation_id')
      .orderByRaw('array_position(?::text[], f.kind), f.created_at, f.id', [
        FACT_KINDS as unknown as string[],
      ])
    return {
      contactId,
      summary: row?.summary ?? null,
      summarySource: row?.summary ? row.source : null,
      updatedAt: row?.updated_at ?? null,
      facts: facts.map((fact) => ({
        id: fact.id,
        kind: fact.kind,
        value: fact.value,
        source: fact.source,
        editedByAgent: fact.edited_by_agent,
        messageId: fact.message_id,
        conversationId: fact.conversation_id ?? null,
      })),
    }
  })
}

/**
 * Writes the agent's summary. An empty one clears it and hands the summary
 * back to the automatic updates.
 */
export async function saveSummary(
  tenant: TenantContext,
  contactId: string,
  text: string,
  userId: string
) {
  await tenant.transaction(async (trx) => {
    if (!(await contactExists(trx, contactId))) throw new MemoryError('not_found')
    const summary = text.trim() || null
    const values = {
      summary,
      source: summary ? 'agent' : 'extractive',
      updated_by_user_id: userId,
    }
    await trx.rawQuery(
      `insert into contact_memories (contact_id, summary, source, updated_by_user_id, updated_at)
       values (?, nullif(?, ''), ?, ?, now())
       on conflict (contact_id) do update set summary = excluded.summary,
         source = excluded.source, updated_by_user_id = excluded.updated_by_user_id,
         updated_at = now()`,
      [contactId, values.summary ?? '', values.source, values.updated_by_user_id]
    )
  })
}

async function forget(
  trx: TransactionClientContract,
  contactId: string,
  kind: string,
  valueKey: string
) {
  await trx.rawQuery(
    `insert into contact_memory_dismissed (contact_id, kind, value_key) values (?, ?, ?)
     on conflict do nothing`,
    [contactId, kind, valueKey]
  )
}

async function remember(
  trx: TransactionClientContract,
  contactId: string,
  kind: string,
  valueKey: string
) {
  await trx
    .from('contact_memory_dismissed')
    .where({ contact_id: contactId, kind, value_key: valueKey })
    .delete()
}

/** Adds an agent's fact; the same fact already known becomes the agent's. */
export async function addFact(
  tenant: TenantContext,
  contactId: string,
  fact: { kind: FactKind; value: string }
) {
  return tenant.transaction(async (trx) => {
    if (!(await contactExists(trx, contactId))) throw new MemoryError('not_found')
    const value = fact.value.replace(/\s+/g, ' ').trim()
    const key = factKey(fact.kind, value)
    await remember(trx, contactId, fact.kind, key)
    const { rows } = await trx.rawQuery(
      `insert into contact_memory_facts (contact_id, kind, value, value_key, source, edited_by_agent)
       values (?, ?, ?, ?, 'agent', true)
       on conflict (contact_id, kind, value_key) do update set value = excluded.value,
         edited_by_agent = true, updated_at = now()
       returning id`,
      [contactId, fact.kind, value, key]
    )
    return rows[0].id as string
  })
}

/** Changes a fact; the value it had is not extracted again. */
export async function updateFact(
  tenant: TenantContext,
  contactId: string,
  factId: string,
  fact: { kind: FactKind; value: string }
) {
  await tenant.transaction(async (trx) => {
    const current = await trx
      .from('contact_memory_facts')
      .where({ id: factId, contact_id: contactId })
      .forUpdate()
      .first()
    if (!current) throw new MemoryError('not_found')
    const value = fact.value.replace(/\s+/g, ' ').trim()
    const key = factKey(fact.kind, value)
    if (key === current.value_key && fact.kind === current.kind && value === current.value) {
      if (!current.edited_by_agent) {
        await trx
          .from('contact_memory_facts')
          .where('id', factId)
          .update({ edited_by_agent: true, updated_at: new Date() })
      }
      return
    }
    const clash = await trx
      .from('contact_memory_facts')
      .where({ contact_id: contactId, kind: fact.kind, value_key: key })
      .whereNot('id', factId)
      .first()
    if (clash) throw new MemoryError('duplicate_fact')
    if (key !== current.value_key || fact.kind !== current.kind) {
      await forget(trx, contactId, current.kind, current.value_key)
      await remember(trx, contactId, fact.kind, key)
    }
    await trx.from('contact_memory_facts').where('id', factId).update({
      kind: fact.kind,
      value,
      value_key: key,
      edited_by_agent: true,
      updated_at: new Date(),
    })
  })
}

/** Removes a fact for good: extraction will not bring the same value back. */
export async function deleteFact(tenant: TenantContext, contactId: string, factId: string) {
  await tenant.transaction(async (trx) => {
    const [row] = await trx
      .from('contact_memory_facts')
      .where({ id: factId, contact_id: contactId })
      .delete()
      .returning(['kind', 'value_key'])
    if (!row) throw new MemoryError('not_found')
    await forget(trx, contactId, row.kind, row.value_key)
  })
}
