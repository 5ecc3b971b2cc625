import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { beforeCreate, column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'

export type SourceKind = 'file' | 'url' | 'text' | 'faq'
export type SourceStatus = 'queued' | 'processing' | 'ready' | 'failed'
export type IngestStage = 'converting' | 'chunking' | 'embedding' | 'saving'
export type FaqPair = { question: string; answer: string }
/** What a person gave for the kinds that are not files or pages. */
export type SourceInput = { text: string } | { pairs: FaqPair[] }

/**
 * A document the brain knows: an uploaded file, a web page, pasted text or
 * FAQ pairs. Its chunks live in knowledge_chunks, read and written through
 * the services with SQL (they carry vectors and tsvectors, no model).
 */
export default class KnowledgeSource extends TenantModel {
  static table = 'knowledge_sources'
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare kind: SourceKind

  @column()
  declare title: string

  @column({ serializeAs: null })
  declare titleFromUser: boolean

  @column()
  declare tags: string[]

  @column()
  declare language: string

  @column()
  declare status: SourceStatus

  @column()
  declare errorCode: string | null

  @column()
  declare errorDetail: Record<string, unknown> | null

  @column()
  declare progress: number

  @column()
  declare stage: IngestStage | null

  @column()
  declare stageDone: number | null

  @column()
  declare stageTotal: number | null

  @column()
  declare version: number

  @column()
  declare liveVersion: number | null

  @column({ serializeAs: null })
  declare fileKey: string | null

  @column()
  declare fileName: string | null

  @column()
  declare fileMime: string | null

  @column({ consume: (value) => (value === null ? null : Number(value)) })
  declare fileSize: number | null

  @column()
  declare url: string | null

  @column()
  declare finalUrl: string | null

  @column({ serializeAs: null })
  declare input: SourceInput | null

  @column({ serializeAs: null })
  declare markdown: string | null

  @column()
  declare pageCount: number | null

  @column()
  declare chunkCount: number

  @column()
  declare contentHash: string | null

  @column()
  declare createdByUserId: string | null

  @column.dateTime()
  declare ingestedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignId(source: KnowledgeSource) {
    source.id ??= randomUUID()
  }
}
