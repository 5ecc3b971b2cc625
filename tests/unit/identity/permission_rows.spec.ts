import { test } from '@japa/runner'
import { can, permissionRows, type WorkspaceAccess, type Role } from '#modules/identity/index'

/*
| The role matrix is assembled at boot from each module's permissions.ts.
| These are the rows the product promises; a module that stops registering
| one, or a row that changes its roles, fails here.
*/
const EVERYONE = ['owner', 'admin', 'agent', 'viewer']
const REPLIERS = ['owner', 'admin', 'agent']
const MANAGERS = ['owner', 'admin']

const EXPECTED: Record<string, { module: string; roles: string[] }> = {
  'workspace.view': { module: 'identity', roles: EVERYONE },
  'team.view': { module: 'identity', roles: EVERYONE },
  'team.invite': { module: 'identity', roles: MANAGERS },
  'team.manage': { module: 'identity', roles: MANAGERS },
  'branding.manage': { module: 'tenancy', roles: MANAGERS },
  'channels.view': { module: 'channels', roles: MANAGERS },
  'channels.manage': { module: 'channels', roles: MANAGERS },
  'templates.view': { module: 'channels', roles: EVERYONE },
  'templates.manage': { module: 'channels', roles: MANAGERS },
  'sandbox.use': { module: 'channels', roles: REPLIERS },
  'contacts.view': { module: 'inbox', roles: EVERYONE },
  'contacts.manage': { module: 'inbox', roles: REPLIERS },
  'contacts.bulk': { module: 'inbox', roles: MANAGERS },
  'inbox.view': { module: 'inbox', roles: EVERYONE },
  'inbox.reply': { module: 'inbox', roles: REPLIERS },
  'inbox.settings': { module: 'inbox', roles: MANAGERS },
  'apikeys.manage': { module: 'integrations', roles: MANAGERS },
  'webhooks.manage': { module: 'integrations', roles: MANAGERS },
  'knowledge.view': { module: 'brain', roles: EVERYONE },
  'knowledge.manage': { module: 'brain', roles: MANAGERS },
  'assistant.manage': { module: 'brain', roles: MANAGERS },
  'memory.view': { module: 'brain', roles: EVERYONE },
  'memory.edit': { module: 'brain', roles: REPLIERS },
  'billing.usage': { module: 'billing', roles: MANAGERS },
  'tasks.view': { module: 'hitl', roles: EVERYONE },
  'tasks.act': { module: 'hitl', roles: REPLIERS },
  'tasks.manage': { module: 'hitl', roles: MANAGERS },
  'datasets.view': { module: 'data_engine', roles: EVERYONE },
  'datasets.manage': { module: 'data_engine', roles: MANAGERS },
  'bookings.view': { module: 'flows', roles: EVERYONE },
  'bookings.manage': { module: 'flows', roles: MANAGERS },
  'segments.view': { module: 'pulse', roles: EVERYONE },
  'segments.manage': { module: 'pulse', roles: REPLIERS },
  'campaigns.view': { module: 'pulse', roles: EVERYONE },
  'campaigns.manage': { module: 'pulse', roles: MANAGERS },
  'outreach.view': { module: 'pulse', roles: EVERYONE },
  'outreach.manage': { module: 'pulse', roles: MANAGERS },
  'outreach.coach': { module: 'pulse', roles: REPLIERS },
  'renewals.view': { module: 'pulse', roles: EVERYONE },
  'renewals.update': { module: 'pulse', roles: REPLIERS },
  'flows.view': { module: 'flows', roles: EVERYONE },
  'flows.manage': { module: 'flows', roles: MANAGERS },
}

function member(role: Role): WorkspaceAccess {
  return {
    tenantId: 't',
    tenantSlug: 't',
    userId: 'u',
    role,
    impersonatorId: null,
    availability: 'online',
  }
}

test.group('Permission rows', () => {
  test('every module has registered its rows by the time the app has booted', ({ assert }) => {
    const registered = Object.fromEntries(
      permissionRows().map((row) => [row.permission, { module: row.module, roles: [...row.roles] }])
    )
    for (const [permission, expected] of Object.entries(EXPECTED)) {
      assert.deepEqual(registered[permission], expected, permission)
    }
  })

  test('can() answers from the registered rows, and refuses a name no module declared', ({
    assert,
  }) => {
    assert.isTrue(can(member('agent'), 'inbox.reply'))
    assert.isFalse(can(member('viewer'), 'inbox.reply'))
    assert.isFalse(can(member('agent'), 'knowledge.manage'))
    assert.isFalse(can(null, 'workspace.view'))
    assert.throws(() => can(member('owner'), 'nobody.declared' as any), /nobody\.declared/)
  })
})
