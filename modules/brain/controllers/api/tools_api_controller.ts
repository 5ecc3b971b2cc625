import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'
import app from '@adonisjs/core/services/app'
import { ApiError, sendJson, validateApiBody } from '#app/http/api/index'
import { convertFile, convertUrl, type ConvertedDocument } from '../../services/conversion.js'
import { searchKnowledge, DEFAULT_K, type SearchHit } from '../../services/search.js'
import { memoryPrompt, type ContactMemory } from '../../services/memory.js'
import { prepareContextBody, urlToMarkdownBody } from '../../validators/brain_api_validator.js'
import { presentHit, rethrowAsApiError } from './api_presenters.js'
import { contactMemory, searchFilters } from './knowledge_api_controller.js'

/**
 * /api/v1/tools: the brain's building blocks for a workflow that runs its
 * own model. Conversion stores nothing; prepare/context returns one
 * envelope (passages and the contact's memory, and the two as prompt text).
 */
export default class ToolsApiController {
  async fileToMarkdown(ctx: HttpContext) {
    const file = ctx.request.file('file')
    if (!ctx.request.is(['multipart']) || !file || !file.tmpPath) {
      throw new ApiError(422, 'validation_failed', 'The request is invalid', {
        file: ['Send the document as the multipart field "file"'],
      })
    }
    const maxBytes = app.config.get<number>('brain.maxFileBytes')
    if (file.size > maxBytes) {
      const mb = Math.round((maxBytes / 1024 / 1024) * 10) / 10
      throw new ApiError(413, 'too_large', `The file is larger than the ${mb} MB limit`, {
        file: [`At most ${mb} MB`],
      })
    }
    const document = await convertFile(
      {
        bytes: await readFile(file.tmpPath),
        filename: file.clientName,
        mimeType: file.type && file.subtype ? `${file.type}/${file.subtype}` : null,
      },
      { maxBytes }
    ).catch((error) => rethrowAsApiError(error, 'file'))
    return sendJson(ctx, 200, presentDocument(document))
  }

  /** Fetches a page through the same guard as URL sources (no private addresses). */
  async urlToMarkdown(ctx: HttpContext) {
    const data = await validateApiBody(ctx, urlToMarkdownBody)
    let url: URL
    try {
      url = new URL(data.url)
    } catch {
      url = new URL('invalid:')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ApiError(422, 'invalid_url', 'Give a full http or https address', {
        url: ['Give a full http or https address, like https://example.com/faq'],
      })
    }
    const document = await convertUrl(url.toString()).catch((error) =>
      rethrowAsApiError(error, 'url')
    )
    return sendJson(ctx, 200, { ...presentDocument(document), final_url: document.finalUrl })
  }

  async prepareContext(ctx: HttpContext) {
    const data = await validateApiBody(ctx, prepareContextBody)
    const memory = data.contact_id ? await contactMemory(ctx, data.contact_id) : null
    const hits = await searchKnowledge(ctx.tenant, data.query, {
      k: data.k ?? DEFAULT_K,
      filters: searchFilters(data.filters),
    })
    return sendJson(ctx, 200, {
      query: data.query,
      passages: hits.map((hit, i) => ({ n: i + 1, ...presentHit(hit) })),
      memory: memory ? { summary: memory.summary, facts: memory.facts } : null,
      text: envelopeText(hits, memory),
    })
  }
}

function presentDocument(document: ConvertedDocument) {
  return {
    title: document.title,
    markdown: document.markdown,
    pages: document.pages,
    language: document.language,
  }
}

/**
 * The envelope as prompt text: numbered passages (cite them as [n]) with
 * where each comes from, then what is known of the customer.
 */
function envelopeText(hits: SearchHit[], memory: ContactMemory | null) {
  const parts: string[] = []
  if (hits.length) {
    parts.push('Knowledge passages (cite as [n]):')
    hits.forEach((hit, i) => {
      const where = [hit.title, ...hit.headingPath.filter(Boolean).slice(-1)]
      if (hit.page) where.push(`page ${hit.page}`)
      parts.push(`[${i + 1}] ${where.join(' › ')}\n${hit.text.trim()}`)
    })
  } else {
    parts.push('Knowledge passages: none found for this question.')
  }
  const remembered = memory ? memoryPrompt(memory) : ''
  if (remembered) parts.push(`What we know about the customer:\n${remembered}`)
  return parts.join('\n\n')
}
