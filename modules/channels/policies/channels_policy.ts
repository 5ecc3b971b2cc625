import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'

/**
 * A workspace's channels: connecting numbers and their credentials is for
 * owners and admins (see the role matrix).
 */
export default class ChannelsPolicy extends BasePolicy {
  view(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'channels.view')
  }

  manage(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'channels.manage')
  }
}
