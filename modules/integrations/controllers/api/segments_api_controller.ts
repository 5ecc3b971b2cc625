import type { HttpContext } from '@adonisjs/core/http'
import {
  SegmentFilterError,
  createSegment,
  findSegmentOrFail,
  segmentCount,
  type Segment,
} from '#modules/pulse/index'
import { pageOfMatchingContacts } from '#modules/inbox/index'
import {
  ApiError,
  idempotent,
  pageBody,
  pageRequestFrom,
  sendJson,
  serialize,
  validateApiBody,
} from '#app/http/api/index'
import { presentContact } from '../../services/api_presenters.js'
import { createSegmentBody } from '../../validators/segment_api_validator.js'

/**
 * /api/v1/segments: saved audiences, owned by pulse. A segment's contacts
 * are the inbox's contacts matching its filter, walked newest first by
 * cursor; another tenant's segment is simply not found.
 */
export default class SegmentsApiController {
  async store(ctx: HttpContext) {
    return idempotent(ctx, async () => {
      const data = await validateApiBody(ctx, createSegmentBody)
      try {
        const segment = await createSegment(ctx.tenant, {
          name: data.name,
          filter: { match: data.filter.match ?? 'all', conditions: data.filter.conditions },
        })
        return {
          status: 201,
          body: await presentSegment(ctx, segment),
          headers: { Location: `/api/v1/segments/${segment.id}` },
        }
      } catch (error) {
        if (!(error instanceof SegmentFilterError)) throw error
        const fields: Record<string, string[]> = {}
        for (const [index, problem] of Object.entries(error.problems)) {
          fields[`filter.conditions.${index}`] = [PROBLEM_TEXT[problem]]
        }
        throw new ApiError(422, 'validation_failed', 'The request is invalid', fields)
      }
    })
  }

  async show(ctx: HttpContext) {
    const segment = await findSegment(ctx)
    return sendJson(ctx, 200, await presentSegment(ctx, segment))
  }

  async contacts(ctx: HttpContext) {
    const segment = await findSegment(ctx)
    const page = pageRequestFrom(ctx.request.qs())
    const { rows, nextCursor } = await pageOfMatchingContacts(ctx.tenant, segment.filter, page)
    return sendJson(ctx, 200, pageBody(rows.map(presentContact), nextCursor))
  }
}

const PROBLEM_TEXT: Record<string, string> = {
  field:
    'No such field: use tag, label, marketing_consent, opt_in, channel, conversation_status, last_inbound, last_outbound or attr.<custom field key>',
  op: 'This operator does not apply to this field',
  value: 'This value does not fit the field and operator',
  too_many: 'Too many conditions',
}

async function findSegment(ctx: HttpContext) {
  try {
    return await findSegmentOrFail(ctx.tenant, ctx.params.id)
  } catch {
    throw new ApiError(404, 'not_found', 'No such segment')
  }
}

async function presentSegment(ctx: HttpContext, segment: Segment) {
  return {
    ...serialize(segment, ['id', 'name', 'filter', 'createdAt', 'updatedAt']),
    contact_count: await segmentCount(ctx.tenant, segment),
  }
}
