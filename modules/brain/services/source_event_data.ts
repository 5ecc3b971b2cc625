import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { serialize } from '#app/http/api/index'
import KnowledgeSource from '../models/knowledge_source.js'

/*
| A knowledge source as other modules show it in events (the integrations
| module's webhooks): no file keys, no raw text. Read inside the caller's
| tenant transaction.
*/

function presentSourceForEvent(source: KnowledgeSource) {
  return serialize(source, [
    'id',
    'kind',
    'title',
    'tags',
    'language',
    'status',
    'errorCode',
    'version',
    'liveVersion',
    'url',
    'fileName',
    'chunkCount',
    'ingestedAt',
    'createdAt',
    'updatedAt',
  ])
}

export async function knowledgeSourceEventData(trx: TransactionClientContract, sourceId: string) {
  const source = await KnowledgeSource.query({ client: trx }).where('id', sourceId).first()
  return source ? presentSourceForEvent(source) : null
}

/** The most recently changed source that is ready (or failed), for a sample event. */
export async function latestKnowledgeSourceEvent(
  trx: TransactionClientContract,
  status: 'ready' | 'failed'
) {
  const source = await KnowledgeSource.query({ client: trx })
    .where('status', status)
    .orderBy('updated_at', 'desc')
    .first()
  if (!source) return null
  return {
    id: source.id,
    version: source.version,
    liveVersion: source.liveVersion,
    updatedAt: source.updatedAt,
    data: presentSourceForEvent(source),
  }
}
