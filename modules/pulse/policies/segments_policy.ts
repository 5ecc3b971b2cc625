import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'

/** Segments: every member sees them; agents and up build and change them. */
export default class SegmentsPolicy extends BasePolicy {
  view(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'segments.view')
  }

  manage(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'segments.manage')
  }
}
