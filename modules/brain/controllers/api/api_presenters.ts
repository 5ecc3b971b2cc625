import i18nManager from '@adonisjs/i18n/services/main'
import { ApiError, serialize } from '#app/http/api/index'
import type KnowledgeSource from '../../models/knowledge_source.js'
import type { SearchHit } from '../../services/search.js'
import type { Citation } from '../../services/answers/types.js'
import { SourceError } from '../../services/source_service.js'
import { ConversionError } from '../../services/conversion.js'

/*
| What the brain's API shows: fields listed, never spread, so a column added
| to a model (the stored file's key, say) never appears by itself.
*/

export function presentSource(source: KnowledgeSource) {
  const failed = source.status === 'failed'
  return {
    ...serialize(source, [
      'id',
      'kind',
      'title',
      'tags',
      'language',
      'status',
      'progress',
      'stage',
      'version',
      'liveVersion',
      'chunkCount',
      'pageCount',
      'fileName',
      'fileMime',
      'fileSize',
      'url',
      'finalUrl',
      'ingestedAt',
      'createdAt',
      'updatedAt',
    ]),
    // Why ingestion failed, in the words the workspace shows.
    error: failed ? failureOf(source.errorCode) : null,
  }
}

function failureOf(code: string | null) {
  const en = i18nManager.locale('en')
  const known = code && en.hasMessage(`knowledge.failure.${code}.reason`) ? code : 'internal_error'
  return {
    code: code ?? 'internal_error',
    message: en.t(`knowledge.failure.${known}.reason`),
  }
}

/** The innermost heading above a passage, or null (an FAQ's answers have no top heading). */
function headingOf(path: string[]) {
  return path.filter(Boolean).at(-1) ?? null
}

export function presentHit(hit: SearchHit) {
  return {
    chunk_id: hit.chunkId,
    source_id: hit.sourceId,
    title: hit.title,
    heading: headingOf(hit.headingPath),
    heading_path: hit.headingPath.filter(Boolean),
    page: hit.page,
    url: hit.url,
    text: hit.text,
    score: hit.score,
  }
}

export function presentCitation(citation: Citation) {
  return {
    n: citation.n,
    chunk_id: citation.chunkId,
    source_id: citation.sourceId,
    title: citation.title,
    heading: headingOf(citation.headingPath),
    heading_path: citation.headingPath.filter(Boolean),
    page: citation.page,
    url: citation.url,
    quote: citation.quote,
  }
}

/**
 * The source service's refusal as the API's error: its code and message,
 * naming the field. A type the brain cannot read is bad input (422), not
 * a bad Content-Type of the request.
 */
export function sourceApiError(error: SourceError) {
  const status = error.code === 'unsupported_type' ? 422 : (error.status ?? 422)
  return new ApiError(
    status,
    error.code!,
    error.message,
    error.field ? { [error.field]: [error.message] } : undefined
  )
}

const CONVERSION_STATUS: Record<string, number> = {
  too_large: 413,
  fetch_failed: 502,
  timeout: 504,
}

/** A conversion that failed, with the workspace's explanation. */
export function conversionApiError(error: ConversionError, field: string) {
  const en = i18nManager.locale('en')
  const key = `knowledge.failure.${error.code}.reason`
  const message = en.hasMessage(key) ? en.t(key) : error.message
  return new ApiError(CONVERSION_STATUS[error.code] ?? 422, error.code, message, {
    [field]: [message],
  })
}

export function rethrowAsApiError(error: unknown, field = 'file'): never {
  if (error instanceof SourceError) throw sourceApiError(error)
  if (error instanceof ConversionError) throw conversionApiError(error, field)
  throw error
}
