import { BasePolicy } from '@adonisjs/bouncer'
import type User from '../models/user.js'

/**
 * The super-admin console: platform staff only.
 */
export default class PlatformPolicy extends BasePolicy {
  administer(user: User) {
    return user.isSuperAdmin
  }

  impersonate(user: User, target: User) {
    return user.isSuperAdmin && !target.isSuperAdmin && user.id !== target.id
  }
}
