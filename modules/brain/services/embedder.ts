import OpenAI from 'openai'
import app from '@adonisjs/core/services/app'
import type aiConfig from '#config/ai'
import { openAiClient } from './ai_client.js'
import { isStopWord, lexicalWords, synonymGroupsOf, tokenize } from './text_toolkit.js'

/**
 * Turns texts into vectors for the knowledge_chunks.embedding column. The
 * model and dimension are recorded per tenant (brain_settings) so vectors of
 * two models are never compared.
 */
export interface Embedder {
  readonly kind: 'local' | 'remote'
  readonly model: string
  /** 0 for a remote model whose size is not configured and not yet seen. */
  readonly dimensions: number
  embed(texts: string[]): Promise<number[][]>
}

/** An embedding request the provider refused or could not answer. */
export class EmbeddingError extends Error {
  constructor(
    message: string,
    readonly status: number | null
  ) {
    super(message)
  }
}

type AiConfig = typeof aiConfig

/**
 * The configured embedder: the OpenAI-compatible endpoint when AI_BASE_URL
 * and AI_EMBED_MODEL are both set, else the local one.
 */
export function currentEmbedder(): Embedder {
  const config = app.config.get<AiConfig>('ai')
  if (config.baseUrl && config.embedModel) {
    const key = [config.baseUrl, config.apiKey, config.embedModel, config.embedDimensions].join(
      '\u0000'
    )
    if (remote?.key !== key) remote = { key, embedder: new OpenAIEmbedder(config) }
    return remote.embedder
  }
  return localEmbedder
}

let remote: { key: string; embedder: OpenAIEmbedder } | null = null

/**
 * The offline embedder. It is LEXICAL, not semantic: each text becomes a
 * hashed bag of its words, word pairs and character n-grams (3 to 5 letters
 * inside words), weighted by 1 + log(count), L2-normalised. Cosine similarity
 * then measures shared vocabulary and shared word pieces, so it catches
 * inflections ("insured" ~ "insurance") and typos but not synonyms ("car" vs
 * "vehicle"); a real embedding model does that. Deterministic: the same text
 * gives the same vector on every machine, forever, which is what lets tests
 * and the evaluation set rely on it. Words are read through the text
 * toolkit (folding and stop words shared with the full-text index and the
 * answerers); v2 is v1 with the toolkit's folding and stop words, and v3
 * adds one feature per synonym group of the toolkit's lexicon that a word
 * belongs to ("refund" and "reimburse" share it), and v4 reads with a
 * larger lexicon and phrase list (its groups and phrases change words'
 * features), so older vectors are re-embedded (`node ace brain:reembed`), not compared.
 */
export class LocalEmbedder implements Embedder {
  readonly kind = 'local' as const
  readonly model = 'local-lexical-v4'
  readonly dimensions = LOCAL_DIMENSIONS

  async embed(texts: string[]) {
    return texts.map((text) => this.embedOne(text))
  }

  embedOne(text: string): number[] {
    const vector = new Float64Array(this.dimensions)
    // Pairs are formed after common words are dropped: "cover of the clinic"
    // pairs "cover clinic", as "clinic cover" would not.
    const words = lexicalWords(text).filter((word) => !isStopWord(word))
    const features = new Map<string, number>()
    const add = (feature: string, weight: number) =>
      features.set(feature, (features.get(feature) ?? 0) + weight)

    for (let i = 0; i < words.length; i++) {
      const word = words[i]
      add(`w:${word}`, 1)
      if (i + 1 < words.length) add(`b:${word} ${words[i + 1]}`, 0.5)
      // Pieces of the word, with its edges marked so prefixes and suffixes count.
      const padded = `<${word}>`
      for (let n = 3; n <= 5; n++) {
        for (let at = 0; at + n <= padded.length; at++) add(`c:${padded.slice(at, at + n)}`, 0.25)
      }
    }

    // The toolkit's synonym groups, on both sides alike: a question's
    // "reimburse" and a passage's "refund" share one feature, as the
    // answerer's query expansion has them share a search. (A feature for
    // the toolkit's stem as well was tried: on the evaluation set's tuning
    // split it let an unanswerable question through and found no passage
    // more, the character pieces already matching inflections.)
    for (const token of tokenize(text)) {
      if (!token.content) continue
      for (const group of synonymGroupsOf(token.stem)) add(`g:${group}`, SYNONYM_WEIGHT)
    }

    for (const [feature, count] of features) {
      const hash = fnv1a(feature)
      // A second bit of the hash picks the sign, so collisions cancel out on
      // average instead of piling up.
      const sign = hash & 0x80000000 ? -1 : 1
      vector[hash % this.dimensions] += sign * (1 + Math.log(1 + count))
    }

    let norm = 0
    for (const value of vector) norm += value * value
    norm = Math.sqrt(norm)
    return Array.from(vector, (value) => (norm ? value / norm : 0))
  }
}

export const LOCAL_DIMENSIONS = 512
/**
 * Weight of each synonym group a word belongs to, as much as the word
 * itself: chosen on the evaluation set's tuning split (0.5 and 1.5 found
 * fewer expected passages in the top 5).
 */
export const SYNONYM_WEIGHT = 1
export const localEmbedder = new LocalEmbedder()

/** 32-bit FNV-1a over UTF-16 code units: fast, stable, well spread. */
function fnv1a(text: string) {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/**
 * An OpenAI-compatible embeddings endpoint (OpenAI, Azure, Ollama, vLLM)
 * through the `openai` client, in batches. The client retries 408, 409, 429
 * and 5xx answers with exponential backoff (honouring Retry-After); what is
 * left after that is an EmbeddingError.
 */
export class OpenAIEmbedder implements Embedder {
  readonly kind = 'remote' as const
  readonly model: string
  #dimensions: number
  #client: OpenAI
  #requested: number | null
  #batchSize: number

  constructor(config: AiConfig) {
    this.model = config.embedModel!
    this.#requested = config.embedDimensions || null
    this.#dimensions = this.#requested ?? 0
    this.#batchSize = Math.max(1, config.embedBatchSize)
    this.#client = openAiClient(config)
  }

  get dimensions() {
    return this.#dimensions
  }

  async embed(texts: string[]) {
    const vectors: number[][] = []
    for (let start = 0; start < texts.length; start += this.#batchSize) {
      // Providers refuse empty inputs; a blank passage embeds as a space.
      const batch = texts.slice(start, start + this.#batchSize).map((text) => text || ' ')
      let response: OpenAI.Embeddings.CreateEmbeddingResponse
      try {
        response = await this.#client.embeddings.create({
          model: this.model,
          input: batch,
          // Floats, not the client's default base64: Ollama and older vLLM only speak floats.
          encoding_format: 'float',
          ...(this.#requested ? { dimensions: this.#requested } : {}),
        })
      } catch (error) {
        const status = error instanceof OpenAI.APIError ? (error.status ?? null) : null
        throw new EmbeddingError(
          `Embedding model "${this.model}" failed: ${(error as Error).message}`,
          status
        )
      }
      const data = [...(response.data ?? [])].sort((a, b) => a.index - b.index)
      if (data.length !== batch.length) {
        throw new EmbeddingError(
          `Embedding model "${this.model}" returned ${data.length} vectors for ${batch.length} texts`,
          null
        )
      }
      for (const item of data) {
        const vector = item.embedding as number[]
        if (!this.#dimensions) this.#dimensions = vector.length
        if (vector.length !== this.#dimensions) {
          throw new EmbeddingError(
            `Embedding model "${this.model}" returned ${vector.length} dimensions, expected ${this.#dimensions}`,
            null
          )
        }
        vectors.push(vector)
      }
    }
    return vectors
  }
}
