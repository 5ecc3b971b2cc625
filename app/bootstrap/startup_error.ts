import { prettyPrintError } from '@adonisjs/core'

/**
 * A problem with the machine rather than the code: a missing extension, an
 * unreachable Redis, a data directory held by another process. It is told in
 * one plain line that says what to do, never as a stack trace.
 */
export class StartupError extends Error {
  readonly isStartupError = true
}

export function reportFatalStartupError(error: unknown) {
  process.exitCode = 1
  if (error instanceof Error && (error as StartupError).isStartupError) {
    console.error(`FloMastr cannot start: ${error.message}`)
    return
  }
  return prettyPrintError(error)
}
