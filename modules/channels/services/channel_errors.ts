import { Exception } from '@adonisjs/core/exceptions'

/**
 * A channel request the platform refuses, with a code for API clients and a
 * message a person can act on.
 */
export class ChannelError extends Exception {
  constructor(code: string, message: string, status = 422) {
    super(message, { code, status })
  }
}
