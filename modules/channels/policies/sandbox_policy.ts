import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'

/**
 * The sandbox phone: agents and up play the customer; setting the phone up
 * (adding the sandbox channel) is a channel change, for owners and admins.
 */
export default class SandboxPolicy extends BasePolicy {
  use(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'sandbox.use')
  }

  setUp(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'sandbox.use') && can(access, 'channels.manage')
  }
}
