import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'

/**
 * Files of messages (photos, voice notes, documents): whoever may read the
 * conversations or the contacts they belong to.
 */
export default class MediaPolicy extends BasePolicy {
  view(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'inbox.view') || can(access, 'contacts.view')
  }
}
