import type { TenantContext } from '#modules/tenancy/index'
import type KnowledgeSource from '../models/knowledge_source.js'

/*
| The passages a source was cut into, as the source page lists them: only
| the live version, as search reads it.
*/

export interface SourceChunkRow {
  id: string
  ordinal: number
  headingPath: string[]
  page: number | null
  text: string
}

export async function liveChunksOf(
  tenant: TenantContext,
  source: KnowledgeSource,
  limit: number
): Promise<SourceChunkRow[]> {
  const version = source.liveVersion
  if (version === null) return []
  return tenant.transaction(async (trx) => {
    const result = await trx.rawQuery(
      `select id, ordinal, heading_path, page, content
         from knowledge_chunks
        where source_id = ? and source_version = ?
        order by ordinal
        limit ?`,
      [source.id, version, limit]
    )
    return (result.rows as Array<Record<string, unknown>>).map((row) => ({
      id: String(row.id),
      ordinal: Number(row.ordinal),
      headingPath: ((row.heading_path as string[] | null) ?? []).filter(Boolean),
      page: row.page === null ? null : Number(row.page),
      text: String(row.content),
    }))
  })
}
