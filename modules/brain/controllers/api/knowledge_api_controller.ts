import { randomUUID } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import { findContact } from '#modules/inbox/index'
import { hasScope, ApiError, sendJson, validateApiBody } from '#app/http/api/index'
import type { TenantContext } from '#modules/tenancy/index'
import { useMonthlyAllowance } from '#modules/billing/index'
import { searchKnowledge, DEFAULT_K, type SearchFilters } from '../../services/search.js'
import { answerQuestion } from '../../services/answers.js'
import { loadMemory, type ContactMemory } from '../../services/memory.js'
import { answerBody, searchBody } from '../../validators/brain_api_validator.js'
import { presentCitation, presentHit } from './api_presenters.js'

/**
 * POST /api/v1/brain/search and /answer: the very retrieval (and answerer)
 * the workspace and the channel assistant use, for a workflow in n8n.
 */
export default class KnowledgeApiController {
  async search(ctx: HttpContext) {
    const data = await validateApiBody(ctx, searchBody)
    const hits = await searchKnowledge(ctx.tenant, data.query, {
      k: data.k ?? DEFAULT_K,
      filters: searchFilters(data.filters),
    })
    return sendJson(ctx, 200, { results: hits.map(presentHit) })
  }

  /**
   * An answer with citations; with `contact_id`, what the business remembers
   * of that contact is used too (the key then needs contacts:read).
   */
  async answer(ctx: HttpContext) {
    const data = await validateApiBody(ctx, answerBody)
    const memory = data.contact_id ? await contactMemory(ctx, data.contact_id) : null
    // Each answer asked for counts against the plan's AI answers (402 past them).
    await useMonthlyAllowance(ctx.tenant.id, 'ai_answers', `api:${randomUUID()}`)
    const answer = await answerQuestion(ctx.tenant, data.question, {
      memory,
      filters: searchFilters(data.filters),
    })
    return sendJson(ctx, 200, {
      answer: answer.text,
      citations: answer.citations.map(presentCitation),
      confidence: answer.confidence,
      handoff: answer.handoff,
      mode: answer.mode,
      reason: answer.reason ?? null,
    })
  }
}

export function searchFilters(
  filters: { source_ids?: string[]; tags?: string[] } | undefined
): SearchFilters | undefined {
  if (!filters) return undefined
  return { sourceIds: filters.source_ids, tags: filters.tags }
}

/**
 * The memory of one of this tenant's contacts. A contact of another tenant
 * (or none) is 404; reading a contact's memory needs contacts:read.
 */
export async function contactMemory(ctx: HttpContext, contactId: string): Promise<ContactMemory> {
  if (!hasScope(ctx.apiKey.scopes, 'contacts:read')) {
    throw new ApiError(403, 'insufficient_scope', 'This API key lacks the contacts:read scope')
  }
  if (!(await findContact(ctx.tenant, contactId))) {
    throw new ApiError(404, 'contact_not_found', 'No such contact', {
      contact_id: ['No contact with this id'],
    })
  }
  return readMemory(ctx.tenant, contactId)
}

function readMemory(tenant: TenantContext, contactId: string) {
  return tenant.transaction((trx) => loadMemory(trx, contactId))
}
