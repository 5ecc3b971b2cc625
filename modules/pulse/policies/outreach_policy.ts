import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'

/**
 * Outreach rules and the Renewals page: every member sees them; admins and
 * owners write the rules; agents coach check-in clients, review pulse drafts
 * and move renewals along.
 */
export default class OutreachPolicy extends BasePolicy {
  view(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'outreach.view')
  }

  manage(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'outreach.manage')
  }

  coach(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'outreach.coach')
  }

  viewRenewals(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'renewals.view')
  }

  updateRenewals(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'renewals.update')
  }
}
