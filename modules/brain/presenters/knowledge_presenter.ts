/*
| The Knowledge pages' view models: a source's facts and the words for its
| state, the search page's banner, and the page assets, for the Edge
| templates in views/knowledge.
*/
import { extname } from 'node:path'
import type { HttpContext } from '@adonisjs/core/http'
import app from '@adonisjs/core/services/app'
import type aiConfig from '#config/ai'
import type KnowledgeSource from '../models/knowledge_source.js'
import { answerMode } from '../services/answers.js'
import { currentEmbedder } from '../services/embedder.js'

export const FILE_TYPES: Record<string, string> = {
  '.pdf': 'PDF',
  '.docx': 'DOCX',
  '.html': 'HTML',
  '.htm': 'HTML',
  '.md': 'MD',
  '.markdown': 'MD',
  '.txt': 'TXT',
  '.csv': 'CSV',
}

/** A heading path without the empty levels a document may skip (an FAQ has no top heading). */
export function withHeadings<T extends { headingPath: string[] }>(item: T): T {
  return { ...item, headingPath: item.headingPath.filter(Boolean) }
}

export function assets() {
  return { stylesheets: ['/assets/knowledge.css'], scripts: ['/assets/knowledge.js'] }
}

/** What a source looks like to the views: its facts and the words for its state. */
export function present(ctx: HttpContext, source: KnowledgeSource) {
  const { i18n } = ctx
  const extension = extname(source.fileName ?? '').toLowerCase()
  const inProgress = source.status === 'queued' || source.status === 'processing'
  const stage = source.stage
    ? source.stageTotal
      ? i18n.t(`knowledge.stage_counted.${source.stage}`, {
          done: source.stageDone ?? 0,
          total: source.stageTotal,
        })
      : i18n.t(`knowledge.stage.${source.stage}`)
    : i18n.t('knowledge.stage.waiting')
  const code = source.errorCode ?? 'internal_error'
  const known = i18n.hasMessage(`knowledge.failure.${code}.reason`)
  return {
    id: source.id,
    title: source.title,
    kind: source.kind,
    typeLabel:
      source.kind === 'file'
        ? (FILE_TYPES[extension] ?? extension.slice(1).toUpperCase()) || 'FILE'
        : i18n.t(`knowledge.kinds.${source.kind}`),
    tags: source.tags ?? [],
    language: source.language,
    languageLabel: i18n.t(`knowledge.languages.${languageKey(source.language)}`),
    status: source.status,
    progress: Math.min(Math.max(source.progress ?? 0, 0), 100),
    stage,
    inProgress,
    version: source.version,
    liveVersion: source.liveVersion,
    // Still answering from an older version while the new one is read.
    servingOlder: inProgress && source.liveVersion !== null,
    chunkCount: source.chunkCount,
    pageCount: source.pageCount,
    failure:
      source.status === 'failed'
        ? {
            code,
            reason: i18n.t(`knowledge.failure.${known ? code : 'internal_error'}.reason`),
            todo: i18n.t(`knowledge.failure.${known ? code : 'internal_error'}.todo`),
          }
        : null,
    fileName: source.fileName,
    fileSize: source.fileSize,
    hasFile: Boolean(source.fileKey),
    url: source.url,
    finalUrl: source.finalUrl && source.finalUrl !== source.url ? source.finalUrl : null,
    updatedAt: source.updatedAt,
    createdAt: source.createdAt,
    ingestedAt: source.ingestedAt,
    confirmWord: confirmWord(source),
  }
}

export function languageKey(language: string) {
  return ['english', 'arabic'].includes(language) ? language : 'simple'
}

/** Which embedder and answerer this installation uses, for the search page's banner. */
export function modesInUse() {
  const embedder = currentEmbedder()
  const config = app.config.get<typeof aiConfig>('ai')
  return {
    embedder: embedder.kind,
    embedModel: embedder.model,
    answers: answerMode(),
    chatModel: config.chatModel,
    endpoint: config.baseUrl ? hostOf(config.baseUrl) : null,
  }
}

export function hostOf(url: string) {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}

/** A word from the source's title that the member types to confirm its deletion. */
export function confirmWord(source: KnowledgeSource) {
  return source.title.trim().split(/\s+/)[0]?.slice(0, 40) || 'delete'
}
