import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Knowledge the assistant answers from. Runs inside a tenant schema, where
 * pgvector's types resolve through the search path (TenantContext puts the
 * extension's schema on it). created_by_user_id points at a central user (no
 * foreign key across schemas).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('knowledge_sources', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('kind', 8).notNullable().checkIn(['file', 'url', 'text', 'faq'])
      table.string('title', 300).notNullable()
      // The title came from the person (kept) or from the document (refreshed on re-ingest).
      table.boolean('title_from_user').notNullable().defaultTo(false)
      table.specificType('tags', 'text[]').notNullable().defaultTo('{}')
      // Text-search configuration of its chunks: english, arabic or simple.
      table.string('language', 16).notNullable().defaultTo('simple')
      table
        .string('status', 12)
        .notNullable()
        .defaultTo('queued')
        .checkIn(['queued', 'processing', 'ready', 'failed'])
      table.string('error_code', 40).nullable()
      table.jsonb('error_detail').nullable()
      table.smallint('progress').notNullable().defaultTo(0)
      // converting, chunking, embedding, saving while processing; with done/total for embedding.
      table.string('stage', 16).nullable()
      table.integer('stage_done').nullable()
      table.integer('stage_total').nullable()
      // Bumped by every request to (re-)ingest; the job carries the version it was queued for.
      table.integer('version').notNullable().defaultTo(1)
      // The version whose chunks are searchable. A re-ingest swaps them in one
      // transaction, and a failed one leaves the previous version answering.
      table.integer('live_version').nullable()
      table.string('file_key', 500).nullable()
      table.string('file_name', 255).nullable()
      table.string('file_mime', 150).nullable()
      table.bigInteger('file_size').nullable()
      table.text('url').nullable()
      // Where a URL ended up after redirects, as last fetched.
      table.text('final_url').nullable()
      // Pasted text ({text}) or FAQ pairs ({pairs}), the originals of those kinds.
      table.jsonb('input').nullable()
      table.text('markdown').nullable()
      table.integer('page_count').nullable()
      table.integer('chunk_count').notNullable().defaultTo(0)
      // SHA-256 of the live Markdown: a refetch that changed nothing keeps its chunks.
      table.string('content_hash', 64).nullable()
      table.uuid('created_by_user_id').nullable()
      table.timestamp('ingested_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['status', 'updated_at'])
    })
    this.schema.raw('create index knowledge_sources_tags on knowledge_sources using gin (tags)')

    // One row per chunk of a source's live version (and, for a moment inside
    // the swap transaction, of no other). The vector column's size follows
    // the tenant's embedder: brain_settings records it, and brain:reembed
    // changes it. 512 is the local embedder's.
    this.schema.createTable('knowledge_chunks', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table
        .uuid('source_id')
        .notNullable()
        .references('id')
        .inTable('knowledge_sources')
        .onDelete('CASCADE')
      table.integer('source_version').notNullable()
      table.integer('ordinal').notNullable()
      table.specificType('heading_path', 'text[]').notNullable().defaultTo('{}')
      table.integer('page').nullable()
      table.text('content').notNullable()
      table.specificType('text_config', 'regconfig').notNullable()
      table.specificType('tsv', 'tsvector').notNullable()
      table.specificType('embedding', 'vector(512)').nullable()
      // Written by ingestion while the embedder differs from the stored one,
      // and by brain:reembed; swapped into `embedding` when a re-embed ends.
      table.specificType('embedding_next', 'vector').nullable()
      table.unique(['source_id', 'source_version', 'ordinal'])
    })
    this.schema.raw('create index knowledge_chunks_tsv on knowledge_chunks using gin (tsv)')
    this.schema.raw(
      `create index knowledge_chunks_embedding on knowledge_chunks
         using hnsw (embedding vector_cosine_ops)`
    )

    this.schema.createTable('brain_settings', (table) => {
      // One row: the key is always true.
      table.boolean('id').primary().defaultTo(true).checkIn(['true'])
      // The embedder whose vectors fill knowledge_chunks.embedding; null until the first.
      table.string('embed_model', 200).nullable()
      table.integer('embed_dimensions').notNullable().defaultTo(512)
      // A re-embed in progress (or interrupted): what it embeds with, and how far it got.
      table.string('reembed_model', 200).nullable()
      table.integer('reembed_done').nullable()
      table.integer('reembed_total').nullable()
      table.timestamp('reembed_started_at', { useTz: true }).nullable()
      table.timestamp('reembedded_at', { useTz: true }).nullable()
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })
    this.schema.raw('insert into brain_settings (id) values (true)')
  }

  async down() {
    this.schema.dropTable('brain_settings')
    this.schema.dropTable('knowledge_chunks')
    this.schema.dropTable('knowledge_sources')
  }
}
