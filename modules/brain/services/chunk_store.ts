import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { vectorLiteral } from './embedding_space.js'
import { normalizeArabicSql } from './text_toolkit.js'

export interface StoredChunk {
  ordinal: number
  text: string
  headingPath: string[]
  page: number | null
}

/** Rows per INSERT: large enough to be quick, small enough for one message. */
const INSERT_BATCH = 250

/**
 * What the full-text index reads: the source's title (weight A), the heading
 * path (B) and the passage (D), each folded by the text toolkit's Arabic
 * rules (in SQL, so a title change or a migration can recompute it) and
 * parsed in the source's text-search configuration. The arguments are SQL
 * expressions in scope where this is used; the question is folded the same
 * way (search.ts).
 */
export function tsvExpression(
  names: { cfg?: string; title?: string; headingPath?: string; content?: string } = {}
) {
  const { cfg = 'cfg', title = 'title', headingPath = 'heading_path', content = 'content' } = names
  const folded = (expr: string) => normalizeArabicSql(expr)
  return `setweight(to_tsvector(${cfg}, ${folded(`coalesce(${title}, '')`)}), 'A')
  || setweight(to_tsvector(${cfg}, ${folded(`array_to_string(coalesce(${headingPath}, '{}'), ' ')`)}), 'B')
  || to_tsvector(${cfg}, ${folded(`coalesce(${content}, '')`)})`
}

const TSV_EXPRESSION = tsvExpression()

/**
 * Inserts one source version's chunks with their vectors, into `embedding`
 * or, while the tenant's stored embedder differs from this one, into
 * `embedding_next` (see embedding_space.ts). Runs inside the caller's
 * transaction.
 */
export async function insertChunks(
  trx: TransactionClientContract,
  source: { id: string; version: number; title: string; language: string },
  chunks: StoredChunk[],
  vectors: number[][] | null,
  column: 'embedding' | 'embedding_next'
) {
  for (let start = 0; start < chunks.length; start += INSERT_BATCH) {
    const rows = chunks.slice(start, start + INSERT_BATCH).map((chunk, i) => ({
      ordinal: chunk.ordinal,
      heading_path: chunk.headingPath,
      page: chunk.page,
      content: chunk.text,
      vector: vectors ? vectorLiteral(vectors[start + i]) : null,
    }))
    await trx.rawQuery(
      `insert into knowledge_chunks
         (source_id, source_version, ordinal, heading_path, page, content, text_config, tsv, ${column})
       select ?, ?, r.ordinal, coalesce(r.heading_path, '{}'), r.page, r.content, cfg,
              ${TSV_EXPRESSION}, r.vector::vector
         from jsonb_to_recordset(?::jsonb)
                as r(ordinal int, heading_path text[], page int, content text, vector text),
              (select ?::regconfig as cfg, ?::text as title) as config`,
      [source.id, source.version, JSON.stringify(rows), textConfig(source.language), source.title]
    )
  }
}

/**
 * Recomputes a source's full-text vectors, after its title changed: the
 * title is part of every chunk's tsv.
 */
export async function refreshChunkText(
  trx: TransactionClientContract,
  source: { id: string; title: string; language: string }
) {
  await trx.rawQuery(
    `update knowledge_chunks c set tsv = ${TSV_EXPRESSION}
       from (select ?::regconfig as cfg, ?::text as title) as config
      where c.source_id = ?`,
    [textConfig(source.language), source.title, source.id]
  )
}

export const TEXT_CONFIGS = ['english', 'arabic', 'simple'] as const
export type TextConfig = (typeof TEXT_CONFIGS)[number]

/** The text-search configuration for a source language; anything unknown is 'simple'. */
export function textConfig(language: string | null | undefined): TextConfig {
  return (TEXT_CONFIGS as readonly string[]).includes(language ?? '')
    ? (language as TextConfig)
    : 'simple'
}

/** What a chunk's vector is computed from: where it sits as well as what it says. */
export function embeddingText(title: string, headingPath: string[], text: string) {
  return [title, headingPath.join(' > '), text].filter(Boolean).join('\n')
}
