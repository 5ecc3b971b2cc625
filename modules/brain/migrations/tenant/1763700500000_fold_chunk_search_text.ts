import { BaseSchema } from '@adonisjs/lucid/schema'
import { tsvExpression } from '../../services/chunk_store.js'

/**
 * The full-text index folds Arabic spellings with the text toolkit's rules
 * (as questions are folded), so passages indexed before that are indexed
 * again. Vectors of the local embedder changed model name with it
 * (local-lexical-v2) and are redone by `node ace brain:reembed`.
 */
export default class extends BaseSchema {
  async up() {
    const tsv = tsvExpression({
      cfg: 'c.text_config',
      title: 's.title',
      headingPath: 'c.heading_path',
      content: 'c.content',
    })
    this.schema.raw(
      `update knowledge_chunks c set tsv = ${tsv} from knowledge_sources s where s.id = c.source_id`
    )
  }

  async down() {}
}
