import OpenAI from 'openai'
import type aiConfig from '#config/ai'

type ProviderConfig = Pick<typeof aiConfig, 'apiKey' | 'timeoutMs' | 'maxRetries'> & {
  baseUrl: string | null | undefined
}

/**
 * The `openai` client for the configured OpenAI-compatible endpoint
 * (OpenAI, Azure, Ollama, vLLM), used by the embedder, the answerer and the
 * memory summariser alike.
 */
export function openAiClient(config: ProviderConfig) {
  return new OpenAI({
    baseURL: config.baseUrl!,
    // Local servers (Ollama, vLLM) need no key; the client insists on one.
    apiKey: config.apiKey || 'none',
    timeout: config.timeoutMs,
    maxRetries: config.maxRetries,
  })
}
