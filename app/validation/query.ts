import { errors as vineErrors } from '@vinejs/vine'

/*
| Query strings read with VineJS. A page's filters come from links people
| share, edit and bookmark, so a value the schema refuses is dropped and the
| page shows its default for it ("ignoring nonsense"), while every value that
| passes has been checked, trimmed and typed by the same schema. The API's
| query strings are strict instead: see validateApiQuery in app/http/api.
*/

/** What `vine.compile(...)` returns, as far as reading a query string needs. */
export interface QueryValidator<Output> {
  validate(data: unknown): Promise<Output>
}

/** The top-level parameter each VineJS message is about ("labels.2" → "labels"). */
export function refusedParameters(error: unknown): string[] {
  if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
  const messages = error.messages as Array<{ field: string }>
  return [...new Set(messages.map((message) => String(message.field).split('.')[0]))]
}

/**
 * The query string through `validator`, leaving out each parameter the schema
 * refuses. Repeated parameters (`?q=a&q=b`) keep their first value: a page's
 * filters are single values.
 */
export async function readQuery<Output>(
  validator: QueryValidator<Output>,
  qs: Record<string, unknown>
): Promise<Output> {
  const input: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(qs)) {
    input[name] = Array.isArray(value) ? value[0] : value
  }
  // Each round removes at least one parameter, so this ends.
  for (;;) {
    try {
      return await validator.validate(input)
    } catch (error) {
      const refused = refusedParameters(error).filter((name) => name in input)
      if (!refused.length) throw error
      for (const name of refused) delete input[name]
    }
  }
}
