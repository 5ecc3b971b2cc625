import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'

/**
 * Canned responses: whoever replies in the inbox uses them (the composer's
 * `/` menu); owners and admins write them, with the inbox's settings.
 */
export default class CannedResponsesPolicy extends BasePolicy {
  use(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'inbox.reply')
  }

  manage(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'inbox.settings')
  }
}
