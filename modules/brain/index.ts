/*
| The brain (the Context Engine) owns the tenant's knowledge: sources and
| their ingestion, chunks with full-text and vector indexes, hybrid search,
| and the embedders behind it.
*/
import './permissions.js'
import KnowledgeSource from './models/knowledge_source.js'

export { KnowledgeSource }
export type {
  SourceKind,
  SourceStatus,
  IngestStage,
  FaqPair,
  SourceInput,
} from './models/knowledge_source.js'
export {
  type Embedder,
  EmbeddingError,
  LocalEmbedder,
  OpenAIEmbedder,
  currentEmbedder,
  localEmbedder,
  LOCAL_DIMENSIONS,
  SYNONYM_WEIGHT,
} from './services/embedder.js'
export {
  normalizeArabic,
  lexicalWords,
  foldText,
  isStopWord,
  tokenize,
  type Token,
  synonymGroupsOf,
  contentTerms,
  detectLanguage,
  messageLanguage,
} from './services/text_toolkit.js'
export {
  searchKnowledge,
  type SearchFilters,
  type SearchHit,
  type SearchOptions,
  DEFAULT_K,
  MAX_K,
} from './services/search.js'
export {
  SourceError,
  createTextSource,
  createFaqSource,
  createUrlSource,
  createFileSource,
  replaceSourceFile,
  refetchSource,
  updateSource,
  deleteSource,
  findSource,
  listSources,
  SOURCE_FILE_EXTENSIONS,
  type SourceDetails,
  type UploadedFile,
  type SourceListOptions,
} from './services/source_service.js'
export { ingestSource, type IngestErrorCode, type IngestOutcome } from './services/ingestion.js'
export { reembedTenant, type ReembedResult } from './services/reembed.js'
export { readBrainSettings, type BrainSettings } from './services/embedding_space.js'
export { openAiClient } from './services/ai_client.js'
export { default as IngestSourceJob } from './jobs/ingest_source_job.js'
export type { SourceReadyEvent, SourceFailedEvent } from './events.js'
export { liveChunksOf, type SourceChunkRow } from './services/source_chunks.js'
export {
  convertFile,
  convertUrl,
  fetchUrlBytes,
  convertText,
  convertFaq,
  ConversionError,
  type ConvertedDocument,
  type ConversionLimits,
  type ConversionErrorCode,
  type SourceLanguage,
} from './services/conversion.js'
export { chunkMarkdown, type Chunk, type ChunkOptions } from './services/chunker.js'
export {
  answerQuestion,
  answerExtractively,
  answerWithModel,
  answerMode,
  NOT_COVERED_MARKER,
  DEFAULT_CONFIDENCE_THRESHOLD,
  type Answer,
  type Citation,
  type AnswerQuestionOptions,
  type ModelAnswerOptions,
  type AssistantPersona,
} from './services/answers.js'
export {
  replyToInboundMessage,
  handBackToAssistant,
  assistantAnswersFirst,
  assistantRepliesFor,
  assistantStateOf,
  registerAssistantHold,
  handOffFromFlow,
  type AssistantHold,
  type AssistantOutcome,
  type AssistantReplyView,
  type AssistantStateView,
} from './services/assistant_service.js'
export {
  readAssistantSettings,
  saveAssistantSettings,
  DEFAULT_HANDOFF_WORDS,
  type AssistantSettings,
} from './services/assistant_settings.js'
export {
  registerDataAnswerer,
  type DataAnswerer,
  type DataAnswer,
  type DataQuestion,
} from './services/assistant/data_answers.js'
export { default as AssistantReplyJob } from './jobs/assistant_reply_job.js'
export { registerAssistantListeners } from './assistant_listeners.js'

export {
  loadMemory,
  memoryPrompt,
  FACT_KINDS,
  type ContactMemory,
  type MemoryFact,
  type FactKind,
} from './services/memory.js'
export { updateContactMemory, type MemoryUpdateResult } from './services/memory/updater.js'
export {
  default as UpdateMemoryJob,
  scheduleMemoryUpdate,
  MEMORY_QUIET_MS,
} from './jobs/update_memory_job.js'
export { registerMemoryListeners } from './memory_listeners.js'
export { registerEmbedderListeners } from './embedder_listeners.js'
export { upgradeLocalEmbeddings } from './services/local_embedder_upgrade.js'

export const brainPolicies = {
  KnowledgePolicy: () => import('./policies/knowledge_policy.js'),
  AssistantPolicy: () => import('./policies/assistant_policy.js'),
  MemoryPolicy: () => import('./policies/memory_policy.js'),
}
export {
  knowledgeSourceEventData,
  latestKnowledgeSourceEvent,
} from './services/source_event_data.js'
