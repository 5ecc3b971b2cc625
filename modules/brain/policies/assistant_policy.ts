import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'

/**
 * The assistant on channels: owners and admins set it up per channel;
 * members who reply in the inbox may hand a conversation back to it (see
 * the role matrix).
 */
export default class AssistantPolicy extends BasePolicy {
  manage(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'assistant.manage')
  }

  handBack(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'inbox.reply')
  }
}
