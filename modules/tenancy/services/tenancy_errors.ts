import { Exception } from '@adonisjs/core/exceptions'

/**
 * A tenancy request the platform refuses, with a code API clients can branch
 * on and a message a person can act on.
 */
export class TenancyError extends Exception {
  constructor(code: string, message: string, status = 422) {
    super(message, { code, status })
  }
}
