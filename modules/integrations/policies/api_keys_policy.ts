import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'

/** API keys: created, seen and revoked by owners and admins (see the role matrix). */
export default class ApiKeysPolicy extends BasePolicy {
  manage(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'apikeys.manage')
  }
}
