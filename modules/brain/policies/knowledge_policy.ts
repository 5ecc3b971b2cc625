import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'

/**
 * The workspace's knowledge: every member reads the sources and searches or
 * asks them; owners and admins add, change and remove sources (see the role
 * matrix).
 */
export default class KnowledgePolicy extends BasePolicy {
  view(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'knowledge.view')
  }

  manage(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'knowledge.manage')
  }
}
