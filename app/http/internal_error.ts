/**
 * What a client is told of a failure of ours, whatever the cause: that it
 * happened, and the request id under which the detail (message, SQL, stack)
 * was logged, for a support request. Never the error's own message.
 */
export function internalErrorBody(requestId: string | undefined) {
  const error: { code: string; message: string; request_id?: string } = {
    code: 'internal_error',
    message: 'Internal error',
  }
  if (requestId) error.request_id = requestId
  return { error }
}
