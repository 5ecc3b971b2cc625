import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

/**
 * Conversational memory: what the business remembers about a contact across
 * conversations (a rolling summary and extracted facts). Read here for the
 * assistant's prompt and the API's context envelope; written by the update
 * job (services/memory/updater.ts) and by agents in the inbox's contact
 * panel (services/memory/editing.ts). Everything runs in the caller's tenant
 * transaction, so a contact id from another tenant finds nothing.
 */

export interface MemoryFact {
  kind: string
  value: string
}

export interface ContactMemory {
  summary: string | null
  facts: MemoryFact[]
  updatedAt: string | null
}

/** Fact kinds, in the order the panel and the prompt list them. */
export const FACT_KINDS = [
  'name',
  'preference',
  'policy_number',
  'date',
  'email',
  'phone',
  'other',
] as const
export type FactKind = (typeof FACT_KINDS)[number]

/** A prompt never carries more than this much memory (the summary is trimmed first). */
const PROMPT_SUMMARY_CHARS = 1200
const PROMPT_FACTS = 30

const EMPTY: ContactMemory = { summary: null, facts: [], updatedAt: null }

function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString()
}

/** The contact's memory; empty (not an error) when nothing is remembered or the contact is unknown. */
export async function loadMemory(
  trx: TransactionClientContract,
  contactId: string
): Promise<ContactMemory> {
  if (!/^[0-9a-f-]{36}$/i.test(contactId)) return { ...EMPTY, facts: [] }
  const row = await trx
    .from('contact_memories')
    .where('contact_id', contactId)
    .select('summary', 'updated_at')
    .first()
  const facts = await trx
    .from('contact_memory_facts')
    .where('contact_id', contactId)
    .select('kind', 'value', 'updated_at')
    .orderByRaw(`array_position(?::text[], kind), created_at, id`, [
      FACT_KINDS as unknown as string[],
    ])
  const stamps = [row?.updated_at, ...facts.map((fact) => fact.updated_at)]
    .map(iso)
    .filter((stamp): stamp is string => stamp !== null)
    .sort()
  return {
    summary: row?.summary ?? null,
    facts: facts.map((fact) => ({ kind: fact.kind, value: fact.value })),
    updatedAt: stamps.length ? stamps[stamps.length - 1] : null,
  }
}

const KIND_LABELS: Record<string, string> = {
  name: 'Name',
  preference: 'Preference',
  policy_number: 'Policy number',
  date: 'Date mentioned',
  email: 'Email',
  phone: 'Phone',
  other: 'Note',
}

/**
 * The memory as a compact block for a model prompt or a context envelope;
 * '' when there is nothing to say (callers can then leave the section out).
 */
export function memoryPrompt(memory: ContactMemory): string {
  const lines: string[] = []
  const summary = memory.summary?.trim()
  if (summary) {
    const clipped =
      summary.length > PROMPT_SUMMARY_CHARS
        ? `${summary.slice(0, PROMPT_SUMMARY_CHARS - 1).trimEnd()}…`
        : summary
    lines.push(`Summary: ${clipped.replace(/\s+/g, ' ')}`)
  }
  const facts = memory.facts.slice(0, PROMPT_FACTS)
  if (facts.length) {
    lines.push('Known facts:')
    for (const fact of facts) {
      lines.push(
        `- ${KIND_LABELS[fact.kind] ?? fact.kind}: ${fact.value.replace(/\s+/g, ' ').trim()}`
      )
    }
  }
  if (!lines.length) return ''
  return ['What we remember about this customer (from earlier conversations):', ...lines].join('\n')
}
