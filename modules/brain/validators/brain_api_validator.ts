import vine from '@vinejs/vine'
import { apiBody, apiQuery } from '#app/http/api/index'
import { SOURCE_KINDS, SOURCE_STATUSES } from './knowledge_validator.js'
import { MAX_K } from '../services/search.js'

/*
| Request bodies of the brain's API (/api/v1/brain and /api/v1/tools). The
| limits are the workspace's: source_service enforces the same ones again,
| so a program and a person meet the same rules.
*/

const tags = vine.array(vine.string().trim().minLength(1).maxLength(50)).maxLength(20).optional()
const question = vine.string().trim().minLength(1).maxLength(2000)
const contactId = vine.string().trim().uuid().optional()
const filters = vine
  .object({
    source_ids: vine.array(vine.string().trim().uuid()).maxLength(100).optional(),
    tags: vine.array(vine.string().trim().minLength(1).maxLength(50)).maxLength(20).optional(),
  })
  .optional()

/**
 * A source from JSON: a web page ({url}), pasted text ({title, text}) or
 * FAQ pairs ({title, pairs}); which one is told by the field given.
 */
export const createSourceBody = apiBody({
  url: vine.string().trim().maxLength(2000).optional(),
  title: vine.string().trim().maxLength(200).optional(),
  text: vine.string().optional(),
  pairs: vine
    .array(
      vine.object({
        question: vine.string().trim().minLength(1).maxLength(2000),
        answer: vine.string().trim().minLength(1).maxLength(20000),
      })
    )
    .minLength(1)
    .maxLength(2000)
    .optional(),
  tags,
})

export const searchBody = apiBody({
  query: question,
  k: vine.number().withoutDecimals().range([1, MAX_K]).optional(),
  filters,
})

export const answerBody = apiBody({
  question,
  contact_id: contactId,
  filters,
})

export const prepareContextBody = apiBody({
  query: question,
  contact_id: contactId,
  k: vine.number().withoutDecimals().range([1, 20]).optional(),
  filters,
})

export const urlToMarkdownBody = apiBody({
  url: vine.string().trim().minLength(1).maxLength(2000),
})

/** GET /brain/sources: the filters beside the page's limit and cursor. */
export const sourceListQuery = apiQuery({
  status: vine.enum(SOURCE_STATUSES).optional(),
  kind: vine.enum(SOURCE_KINDS).optional(),
  tag: vine.string().trim().maxLength(200).optional(),
})
