import type { TenantContext } from '#modules/tenancy/index'
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
