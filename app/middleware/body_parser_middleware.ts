import { inject } from '@adonisjs/core'
import AdonisBodyParserMiddleware from '@adonisjs/core/bodyparser_middleware'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { UnreadableBodyError } from '#app/http/input_errors'
import { MAX_BODY_DEPTH, nestsDeeperThan } from '#app/http/text_input'

/*
| AdonisJS's body parser (config/bodyparser.ts: types and byte limits), with
| the checks it lacks, made before anything reads the body:
|
| - depth: the parser hands the body to the request, which deep-copies it
|   recursively (as do VineJS, JSON.stringify and the idempotency hash), so
|   a 2,000-level JSON array was a stack overflow and a 500. Bodies nested
|   deeper than MAX_BODY_DEPTH are refused as 400 before that copy.
| - a body that does not parse (malformed JSON, a non-object JSON, a JSON
|   too deep even for the parser's reviver) is one 400, `invalid_json`, and
|   never the parser's own message.
|
| Size limits, the multipart field limits and content encodings stay the
| parser's (413 for a body over the limit).
*/
@inject()
export default class BodyParserMiddleware {
  constructor(protected parser: AdonisBodyParserMiddleware) {}

  async handle(ctx: HttpContext, next: NextFn) {
    const request = ctx.request
    const setInitialBody = request.setInitialBody.bind(request)
    let tooDeep = false
    // The parser calls this once with what it parsed; for multipart bodies
    // from inside a stream event, where throwing would escape the request,
    // so the verdict is given when the parser hands over.
    request.setInitialBody = (body: Record<string, any>) => {
      tooDeep = nestsDeeperThan(body, MAX_BODY_DEPTH)
      setInitialBody(tooDeep ? {} : body)
    }

    let parsed = false
    try {
      return await this.parser.handle(ctx, () => {
        parsed = true
        if (tooDeep) {
          throw new UnreadableBodyError(
            request.is(['json']) === 'json',
            `The body is nested more than ${MAX_BODY_DEPTH} levels deep`
          )
        }
        return next()
      })
    } catch (error) {
      if (!parsed && isParseFailure(error)) {
        const json = request.is(['json']) === 'json'
        throw new UnreadableBodyError(
          json,
          json ? 'The body is not valid JSON' : 'The body could not be read'
        )
      }
      throw error
    }
  }
}

/**
 * What the parser throws for a body it cannot make sense of: JSON.parse's
 * SyntaxError or RangeError (tagged 400), the JSON parser's 422 for JSON
 * that is not an object or array, and multipart's 400. Size (413), unknown
 * encodings (415) and aborted requests keep their own answers.
 */
function isParseFailure(error: unknown) {
  if (error instanceof SyntaxError || error instanceof RangeError) return true
  const e = error as { status?: number; code?: string; message?: string } | null
  if (!e || typeof e !== 'object') return false
  if (e.code === 'E_INVALID_MULTIPART_REQUEST') return true
  return e.status === 422 && typeof e.message === 'string' && e.message.startsWith('Invalid JSON')
}
