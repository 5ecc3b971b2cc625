/**
 * Why a document or page could not be turned into Markdown. The code is what
 * the workspace translates for the user; the message is plain English for
 * logs; `detail` carries the numbers (size, limit, status) a message needs.
 * Conversion never lets a library's own error or stack escape.
 */
export type ConversionErrorCode =
  | 'too_large'
  | 'too_many_pages'
  | 'corrupt'
  | 'encrypted'
  | 'unsupported_type'
  | 'empty'
  | 'fetch_failed'
  | 'blocked_address'
  | 'timeout'
  | 'not_html'

export class ConversionError extends Error {
  constructor(
    public code: ConversionErrorCode,
    message: string,
    public detail?: Record<string, unknown>
  ) {
    super(message)
    this.name = 'ConversionError'
  }
}
