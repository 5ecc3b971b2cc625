import env from '#start/env'

/**
 * The AI provider: any OpenAI-compatible endpoint (OpenAI, Azure OpenAI,
 * Ollama, vLLM) through the `openai` client. Nothing here is required: with
 * no AI_BASE_URL (or no model named) the brain runs offline on its local
 * lexical embedder and extractive answerer.
 *
 * Read through `app.config.get('ai')` at call time, not once at import, so
 * tests can point the brain at a local server for the length of a group.
 */
const aiConfig = {
  /** e.g. https://api.openai.com/v1, http://127.0.0.1:11434/v1 (Ollama). */
  baseUrl: env.get('AI_BASE_URL') || null,
  apiKey: env.get('AI_API_KEY') || null,
  /** Chat model for answers; none means the extractive answerer. */
  chatModel: env.get('AI_CHAT_MODEL') || null,
  /** Embedding model; none means the local embedder. */
  embedModel: env.get('AI_EMBED_MODEL') || null,
  /**
   * Vector size to ask the embedding model for (text-embedding-3-* can
   * shorten). Unset: whatever the model returns, learned from its first answer.
   */
  embedDimensions: env.get('AI_EMBED_DIMENSIONS') ?? null,
  /** Inputs per embeddings request. */
  embedBatchSize: env.get('AI_EMBED_BATCH_SIZE', 64),
  /** One request's time limit; the client retries 408/409/429/5xx with backoff. */
  timeoutMs: env.get('AI_TIMEOUT_MS', 60_000),
  maxRetries: env.get('AI_MAX_RETRIES', 4),
}

export default aiConfig
