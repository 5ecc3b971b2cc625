import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'

/** Webhooks: seen and changed by owners and admins (see the role matrix). */
export default class WebhooksPolicy extends BasePolicy {
  manage(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'webhooks.manage')
  }
}
