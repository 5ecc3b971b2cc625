import drive from '@adonisjs/drive/services/main'
import type { TenantContext } from '#modules/tenancy/index'

/*
| Where a task's documents (the quote PDFs) live: the tenant's storage
| (drive), one file per document under the tenant's prefix; the row keeps
| the key. Rows written before that keep their bytes in the row.
*/

export function documentKey(tenant: Pick<TenantContext, 'id'>, documentId: string) {
  return `tenants/${tenant.id}/hitl/documents/${documentId}.pdf`
}

/** Stores a document's file; answers its key. */
export async function putDocumentFile(tenant: TenantContext, documentId: string, bytes: Buffer) {
  const key = documentKey(tenant, documentId)
  await drive.use().put(key, bytes)
  return key
}

/** A document's bytes: from storage when it has a key (only under the tenant's own prefix). */
export async function documentBytes(
  tenant: TenantContext,
  row: { storage_key: string | null; bytes: Buffer | null }
) {
  if (row.storage_key) {
    if (!row.storage_key.startsWith(`tenants/${tenant.id}/`)) return null
    return Buffer.from(await drive.use().getBytes(row.storage_key))
  }
  return row.bytes
}

/** Removes stored files (a run that never became a task). */
export async function deleteDocumentFiles(keys: string[]) {
  for (const key of keys) await drive.use().delete(key)
}
