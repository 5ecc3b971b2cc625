import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'

/**
 * What the workspace remembers about its contacts: every member who sees a
 * contact reads its memory; those who may change contacts (agents and up)
 * correct it (see the role matrix).
 */
export default class MemoryPolicy extends BasePolicy {
  view(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'memory.view')
  }

  edit(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'memory.edit')
  }
}
