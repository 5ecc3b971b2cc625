import logger from '@adonisjs/core/services/logger'
import type { OutboundContent } from '#modules/channels/index'
import type { TenantContext } from '#modules/tenancy/index'
import type { ReplyLanguage } from '../answers/replies.js'
import type { Citation } from '../answers/types.js'

/*
| Answers from structured data, ahead of the knowledge: another module (the
| data engine's datasets, later its connectors) registers an answerer here
| at start, and the assistant asks the answerers in turn before it searches
| the knowledge. The brain never reads their tables: it gets back what to
| send (a text or an interactive list) and the rows it came from, as
| citations. Registration, not an import, because the data engine already
| builds on the brain (its text folding and chat client).
*/

export interface DataQuestion {
  tenant: TenantContext
  /** The customer's turn, their messages joined. */
  text: string
  /** The id of the list row or button the customer picked, when the turn's last message was one. */
  choiceId: string | null
  language: ReplyLanguage
}

export interface DataAnswer {
  content: Extract<OutboundContent, { type: 'text' } | { type: 'list' }>
  /** The rows the answer rests on, shown to agents as the answer's evidence. */
  citations: Citation[]
  /** Short name of the answerer, kept with the reply (assistant_replies.mode). */
  mode: string
  /**
   * The answerer could not answer (a live lookup failed or timed out): a
   * person takes the conversation over, the customer told why instead of `content`.
   */
  handoff?: 'lookup_failed'
}

export type DataAnswerer = (question: DataQuestion) => Promise<DataAnswer | null>

const answerers = new Map<string, DataAnswerer>()

/** Adds (or replaces, by name) an answerer the assistant asks before the knowledge. */
export function registerDataAnswerer(name: string, answerer: DataAnswerer) {
  answerers.set(name, answerer)
}

/**
 * The first answer a registered answerer gives, or null. An answerer that
 * fails is logged and passed over: the knowledge still answers.
 */
export async function answerFromData(question: DataQuestion): Promise<DataAnswer | null> {
  for (const [name, answerer] of answerers) {
    try {
      const answer = await answerer(question)
      if (answer) return answer
    } catch (error) {
      logger.error(
        { err: error, tenant: question.tenant.slug, answerer: name },
        'assistant: a data answerer failed; answering from the knowledge'
      )
    }
  }
  return null
}
