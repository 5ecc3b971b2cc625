import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'

/**
 * The team inbox: every member reads it; agents and up reply, assign,
 * resolve, snooze, label and prioritise.
 */
export default class InboxPolicy extends BasePolicy {
  view(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'inbox.view')
  }

  reply(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'inbox.reply')
  }
}
