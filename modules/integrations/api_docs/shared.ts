import type { ApiParameterDoc } from '#app/http/api/index'

/*
| Pieces the integrations module's route descriptions share. A list's limit
| and cursor are added by the generator for every `page: true` response.
*/

export function idParam(what: string): Record<string, ApiParameterDoc> {
  return { id: { type: 'string', format: 'uuid', description: `The ${what}’s id`, required: true } }
}

export const validationError = { status: 422, code: 'validation_failed' }
export const unknownField = { status: 422, code: 'unknown_field' }
export const notFound = (what: string) => ({
  status: 404,
  code: 'not_found',
  description: `No such ${what} in this workspace (another workspace’s is not found either)`,
})
