import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'

/**
 * A workspace's contacts: every member sees them; viewers only look.
 */
export default class ContactsPolicy extends BasePolicy {
  view(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'contacts.view')
  }

  manage(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'contacts.manage')
  }

  /** Importing and exporting the contact list as CSV. */
  bulk(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'contacts.bulk')
  }

  /** The workspace's custom contact fields are settings: owners and admins define them. */
  defineFields(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'inbox.settings')
  }
}
