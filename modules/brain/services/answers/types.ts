/** Where a statement in an answer comes from: one retrieved chunk, numbered as cited. */
export interface Citation {
  n: number
  chunkId: string
  sourceId: string
  title: string
  headingPath: string[]
  page: number | null
  url: string | null
  /** The words of the passage the answer relies on. */
  quote: string
}

/**
 * An answer to a customer's question. `text` is always safe to send: when
 * the knowledge does not answer the question it says so (handoff: true) and
 * never guesses. `reason` says why a person should take over, or, with
 * mode 'extractive' and reason 'model_error', that the model failed and the
 * offline answerer stood in.
 */
export interface Answer {
  text: string
  citations: Citation[]
  /** 0..1, from the evidence (and, with a model, its own judgement). */
  confidence: number
  handoff: boolean
  mode: 'llm' | 'extractive'
  reason?: 'not_covered' | 'low_confidence' | 'no_knowledge' | 'model_error'
}

/** Answers below this confidence are not given; a person takes over. */
export const DEFAULT_CONFIDENCE_THRESHOLD = 0.35
