import type { HttpContext } from '@adonisjs/core/http'
import { ApiError, idempotent, sendJson, validateApiBody } from '#app/http/api/index'
import {
  SequenceError,
  enrollContact,
  enrollmentsOfContact,
  findSequenceOrFail,
  unenrollContact,
} from '../../services/sequence_service.js'
import { presentEnrollment } from '../../presenters/sequence_presenter.js'
import { contactById } from '#modules/inbox/index'
import { enrollBody } from '../../validators/sequence_api_validator.js'

/**
 * /api/v1/sequences/:id/enrollments and /api/v1/contacts/:id/enrollments.
 * Another tenant's sequence or contact is simply not found.
 */
export default class SequencesApiController {
  async enroll(ctx: HttpContext) {
    const sequence = await find(ctx)
    return idempotent(ctx, async () => {
      const data = await validateApiBody(ctx, enrollBody)
      try {
        const enrollment = await enrollContact(ctx.tenant, sequence.id, data.contact_id, 'api')
        return { status: 201, body: presentEnrollment(enrollment, sequence) }
      } catch (error) {
        throw apiErrorOf(error)
      }
    })
  }

  async unenroll(ctx: HttpContext) {
    const sequence = await find(ctx)
    // The contact in a JSON body, or (for clients that send no body with DELETE) the query.
    const given = ctx.request.input('contact_id') ?? ctx.request.qs().contact_id
    const contactId = typeof given === 'string' ? given.trim() : ''
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(contactId)) {
      throw new ApiError(422, 'validation_failed', 'The request is invalid', {
        contact_id: ['The contact’s id (a UUID)'],
      })
    }
    const ended = await unenrollContact(ctx.tenant, sequence.id, contactId)
    if (!ended) throw new ApiError(404, 'not_found', 'This contact is not in the sequence')
    return sendJson(ctx, 200, presentEnrollment(ended, sequence))
  }

  async ofContact(ctx: HttpContext) {
    const contact = await contactById(ctx.tenant, ctx.params.id)
    if (!contact) throw new ApiError(404, 'not_found', 'No such contact')
    const rows = await enrollmentsOfContact(ctx.tenant, contact.id)
    return sendJson(ctx, 200, {
      data: rows.map((row) => presentEnrollment(row)),
      next_cursor: null,
    })
  }
}

async function find(ctx: HttpContext) {
  try {
    return await findSequenceOrFail(ctx.tenant, ctx.params.id)
  } catch {
    throw new ApiError(404, 'not_found', 'No such sequence')
  }
}

function apiErrorOf(error: unknown) {
  if (!(error instanceof SequenceError)) return error
  const fields = Object.fromEntries(
    Object.entries(error.fields).map(([name, message]) => [name, [message]])
  )
  const status = error.status === 404 ? 422 : error.status
  return new ApiError(status, error.code ?? 'invalid', error.message, {
    ...(error.code === 'contact_not_found' ? { contact_id: ['No such contact'] } : {}),
    ...fields,
  })
}
