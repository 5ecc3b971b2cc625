import { test } from '@japa/runner'
import { randomBytes, randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import router from '@adonisjs/core/services/router'
import hash from '@adonisjs/core/services/hash'
import encryption from '@adonisjs/core/services/encryption'
import db from '@adonisjs/lucid/services/db'
import drive from '@adonisjs/drive/services/main'
import { Plan } from '#modules/billing/index'
import { Channel } from '#modules/channels/index'
import { Contact, Conversation } from '#modules/inbox/index'
import { createFileSource } from '#modules/brain/index'
import { createConnector, createDataset, writeRows } from '#modules/data_engine/index'
import { addMember, hashLinkToken, User, type Role } from '#modules/identity/index'
import { createApiKey } from '#modules/integrations/index'
import { createTask } from '#modules/hitl/index'
import { createSequence } from '#modules/pulse/index'
import { createBookingService, createFlow } from '#modules/flows/index'
import { systemActor } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeUser, TEST_PASSWORD } from '#tests/helpers/users'
import { WebSession } from '#tests/helpers/web_session'
import { quoteFixtures } from '#tests/helpers/quote_fixtures'

/**
 * Walks every back-office route (the console, the account pages and the
 * workspace) as each kind of visitor and asserts who gets in. The route list
 * is read from the router, so a new route fails this test until it is given
 * a row below.
 */
type Actor = 'anonymous' | 'super_admin' | 'owner' | 'admin' | 'agent' | 'viewer' | 'outsider'
const ACTORS: Actor[] = [
  'anonymous',
  'super_admin',
  'owner',
  'admin',
  'agent',
  'viewer',
  'outsider',
]
const MEMBERS: Role[] = ['owner', 'admin', 'agent', 'viewer']
const MANAGERS: Role[] = ['owner', 'admin']
const EDITORS: Role[] = ['owner', 'admin', 'agent']

/** Who may use each workspace route: member roles, or 'public' (no sign-in at all). */
const WORKSPACE: Record<string, Role[] | 'public'> = {
  'GET /t/:tenant/health': 'public',
  'GET /t/:tenant/branding.css': 'public',
  'GET /t/:tenant/branding/logo': 'public',
  'GET /t/:tenant': MEMBERS,
  'GET /t/:tenant/dashboard/stats': MEMBERS,
  'GET /t/:tenant/team': MEMBERS,
  'POST /t/:tenant/team/invitations': MANAGERS,
  'POST /t/:tenant/team/invitations/:id/resend': MANAGERS,
  'POST /t/:tenant/team/invitations/:id/revoke': MANAGERS,
  'POST /t/:tenant/team/members/:id/role': MANAGERS,
  'POST /t/:tenant/team/members/:id/remove': MANAGERS,
  'POST /t/:tenant/team/members/:id/phone': MANAGERS,
  'POST /t/:tenant/availability': EDITORS,
  'GET /t/:tenant/settings/branding': MANAGERS,
  'POST /t/:tenant/settings/branding': MANAGERS,
  'POST /t/:tenant/settings/branding/logo/remove': MANAGERS,
  'GET /t/:tenant/channels': MANAGERS,
  'POST /t/:tenant/channels/whatsapp': MANAGERS,
  'POST /t/:tenant/channels/sandbox': MANAGERS,
  'POST /t/:tenant/channels/webchat': MANAGERS,
  'GET /t/:tenant/channels/:id': MANAGERS,
  'POST /t/:tenant/channels/:id': MANAGERS,
  'POST /t/:tenant/channels/:id/secrets': MANAGERS,
  'POST /t/:tenant/channels/:id/status': MANAGERS,
  'POST /t/:tenant/channels/:id/delete': MANAGERS,
  'POST /t/:tenant/channels/:id/assignment': MANAGERS,
  'GET /t/:tenant/inbox/events': MEMBERS,
  'GET /t/:tenant/inbox': MEMBERS,
  'GET /t/:tenant/inbox/needs-person/count': MEMBERS,
  'GET /t/:tenant/inbox/:id': MEMBERS,
  'POST /t/:tenant/inbox/:id/assign': EDITORS,
  'POST /t/:tenant/inbox/:id/resolve': EDITORS,
  'POST /t/:tenant/inbox/:id/reopen': EDITORS,
  'POST /t/:tenant/inbox/:id/pending': EDITORS,
  'POST /t/:tenant/inbox/:id/snooze': EDITORS,
  'POST /t/:tenant/inbox/:id/labels': EDITORS,
  'POST /t/:tenant/inbox/:id/priority': EDITORS,
  'POST /t/:tenant/inbox/:id/messages': EDITORS,
  'GET /t/:tenant/inbox/:id/templates': EDITORS,
  'POST /t/:tenant/inbox/:id/templates': EDITORS,
  'POST /t/:tenant/inbox/:id/notes': EDITORS,
  'GET /t/:tenant/canned-responses/search': EDITORS,
  'GET /t/:tenant/settings/canned-responses': MANAGERS,
  'POST /t/:tenant/settings/canned-responses': MANAGERS,
  'GET /t/:tenant/settings/canned-responses/:id': MANAGERS,
  'POST /t/:tenant/settings/canned-responses/:id': MANAGERS,
  'POST /t/:tenant/settings/canned-responses/:id/delete': MANAGERS,
  'GET /t/:tenant/settings/contact-fields': MANAGERS,
  'POST /t/:tenant/settings/contact-fields': MANAGERS,
  'GET /t/:tenant/settings/contact-fields/:id': MANAGERS,
  'POST /t/:tenant/settings/contact-fields/:id': MANAGERS,
  'POST /t/:tenant/settings/contact-fields/:id/delete': MANAGERS,
  'GET /t/:tenant/campaigns': MEMBERS,
  'GET /t/:tenant/campaigns/new': MANAGERS,
  'GET /t/:tenant/campaigns/settings': MANAGERS,
  'POST /t/:tenant/campaigns/settings': MANAGERS,
  'POST /t/:tenant/campaigns/form': MANAGERS,
  'POST /t/:tenant/campaigns': MANAGERS,
  'GET /t/:tenant/campaigns/:id': MEMBERS,
  'GET /t/:tenant/campaigns/:id/edit': MANAGERS,
  'POST /t/:tenant/campaigns/:id': MANAGERS,
  'GET /t/:tenant/campaigns/:id/funnel': MEMBERS,
  'GET /t/:tenant/campaigns/:id/recipients.csv': MEMBERS,
  'POST /t/:tenant/campaigns/:id/launch': MANAGERS,
  'POST /t/:tenant/campaigns/:id/pause': MANAGERS,
  'POST /t/:tenant/campaigns/:id/resume': MANAGERS,
  'POST /t/:tenant/campaigns/:id/cancel': MANAGERS,
  'POST /t/:tenant/campaigns/:id/retry': MANAGERS,
  'POST /t/:tenant/campaigns/:id/test': MANAGERS,
  'POST /t/:tenant/sequences/enrollments': MANAGERS,
  'GET /t/:tenant/sequences': MEMBERS,
  'GET /t/:tenant/sequences/new': MANAGERS,
  'POST /t/:tenant/sequences': MANAGERS,
  'GET /t/:tenant/sequences/:id': MEMBERS,
  'POST /t/:tenant/sequences/:id': MANAGERS,
  'GET /t/:tenant/sequences/:id/dry-run': MEMBERS,
  'POST /t/:tenant/sequences/enrollments/remove': MANAGERS,
  'GET /t/:tenant/flows': MEMBERS,
  'POST /t/:tenant/flows': MANAGERS,
  'GET /t/:tenant/flows/:id': MEMBERS,
  'POST /t/:tenant/flows/:id': MANAGERS,
  'POST /t/:tenant/flows/:id/import': MANAGERS,
  'POST /t/:tenant/flows/:id/publish': MANAGERS,
  'POST /t/:tenant/flows/:id/graph': MANAGERS,
  'POST /t/:tenant/flows/:id/try': MANAGERS,
  'POST /t/:tenant/flows/gallery/:key': MANAGERS,
  'GET /t/:tenant/flows/:id/export': MEMBERS,
  'GET /t/:tenant/segments': MEMBERS,
  'GET /t/:tenant/segments/new': EDITORS,
  'POST /t/:tenant/segments/preview': MEMBERS,
  'POST /t/:tenant/segments': EDITORS,
  'GET /t/:tenant/segments/:id': MEMBERS,
  'POST /t/:tenant/segments/:id': EDITORS,
  'POST /t/:tenant/segments/:id/delete': EDITORS,
  'GET /t/:tenant/contacts': MEMBERS,
  'GET /t/:tenant/contacts/new': EDITORS,
  'GET /t/:tenant/contacts/import': MANAGERS,
  'POST /t/:tenant/contacts/import': MANAGERS,
  'GET /t/:tenant/contacts/export': MANAGERS,
  'GET /t/:tenant/contacts/imports/:id': MANAGERS,
  'POST /t/:tenant/contacts/imports/:id': MANAGERS,
  'GET /t/:tenant/contacts/imports/:id/errors': MANAGERS,
  'POST /t/:tenant/contacts': EDITORS,
  'GET /t/:tenant/contacts/:id': MEMBERS,
  'POST /t/:tenant/contacts/:id': EDITORS,
  'POST /t/:tenant/contacts/:id/delete': EDITORS,
  'GET /t/:tenant/contacts/:id/memory': MEMBERS,
  'POST /t/:tenant/contacts/:id/memory/summary': EDITORS,
  'POST /t/:tenant/contacts/:id/memory/facts': EDITORS,
  'POST /t/:tenant/contacts/:id/memory/facts/:factId': EDITORS,
  'POST /t/:tenant/contacts/:id/memory/facts/:factId/delete': EDITORS,
  'GET /t/:tenant/templates': MEMBERS,
  'POST /t/:tenant/templates/sync': MANAGERS,
  'GET /t/:tenant/templates/sync/:id': MEMBERS,
  'GET /t/:tenant/templates/new': MANAGERS,
  'POST /t/:tenant/templates/new': MANAGERS,
  'GET /t/:tenant/sandbox': EDITORS,
  'POST /t/:tenant/sandbox/messages': EDITORS,
  'POST /t/:tenant/sandbox/read': EDITORS,
  'GET /t/:tenant/media/:messageId': MEMBERS,
  'GET /t/:tenant/settings/api-keys': MANAGERS,
  'POST /t/:tenant/settings/api-keys': MANAGERS,
  'POST /t/:tenant/settings/api-keys/:id/revoke': MANAGERS,
  'GET /t/:tenant/settings/webhooks': MANAGERS,
  'POST /t/:tenant/settings/webhooks': MANAGERS,
  'GET /t/:tenant/settings/webhooks/:id': MANAGERS,
  'POST /t/:tenant/settings/webhooks/:id': MANAGERS,
  'POST /t/:tenant/settings/webhooks/:id/status': MANAGERS,
  'POST /t/:tenant/settings/webhooks/:id/secret': MANAGERS,
  'POST /t/:tenant/settings/webhooks/:id/test': MANAGERS,
  'POST /t/:tenant/settings/webhooks/:id/delete': MANAGERS,
  'POST /t/:tenant/settings/webhooks/:id/deliveries/:deliveryId/redeliver': MANAGERS,
  'GET /t/:tenant/settings/api-reference': MANAGERS,
  'GET /t/:tenant/knowledge': MEMBERS,
  'GET /t/:tenant/knowledge/new': MANAGERS,
  'GET /t/:tenant/knowledge/search': MEMBERS,
  'POST /t/:tenant/knowledge/files': MANAGERS,
  'POST /t/:tenant/knowledge/url': MANAGERS,
  'POST /t/:tenant/knowledge/text': MANAGERS,
  'POST /t/:tenant/knowledge/faq': MANAGERS,
  'GET /t/:tenant/knowledge/:id': MEMBERS,
  'GET /t/:tenant/knowledge/:id/file': MEMBERS,
  'POST /t/:tenant/knowledge/:id': MANAGERS,
  'POST /t/:tenant/knowledge/:id/file': MANAGERS,
  'POST /t/:tenant/knowledge/:id/refetch': MANAGERS,
  'POST /t/:tenant/knowledge/:id/delete': MANAGERS,
  // Approval tasks: everyone reads; agents and up act on unassigned ones (the fixture's).
  'GET /t/:tenant/tasks': MEMBERS,
  'GET /t/:tenant/tasks/count': MEMBERS,
  'GET /t/:tenant/tasks/events': MEMBERS,
  'GET /t/:tenant/tasks/:id': MEMBERS,
  'POST /t/:tenant/tasks/:id/approve': EDITORS,
  'POST /t/:tenant/tasks/:id/reject': EDITORS,
  'POST /t/:tenant/tasks/:id/reassign': EDITORS,
  'POST /t/:tenant/tasks/:id/comment': EDITORS,
  'GET /t/:tenant/datasets': MEMBERS,
  'GET /t/:tenant/datasets/new': MANAGERS,
  'POST /t/:tenant/datasets': MANAGERS,
  'GET /t/:tenant/datasets/:id': MEMBERS,
  'POST /t/:tenant/datasets/:id/refresh': MANAGERS,
  'GET /t/:tenant/datasets/insert': EDITORS,
  'POST /t/:tenant/datasets/insert': EDITORS,
  'POST /t/:tenant/datasets/:id/confirm': MANAGERS,
  'POST /t/:tenant/datasets/:id/settings': MANAGERS,
  'GET /t/:tenant/datasets/:id/rows/:rowId': MANAGERS,
  'POST /t/:tenant/datasets/:id/rows/:rowId': MANAGERS,
  'POST /t/:tenant/datasets/:id/delete': MANAGERS,
  'GET /t/:tenant/connectors': MEMBERS,
  'GET /t/:tenant/connectors/new': MANAGERS,
  'POST /t/:tenant/connectors': MANAGERS,
  'GET /t/:tenant/connectors/:id': MANAGERS,
  'POST /t/:tenant/connectors/:id': MANAGERS,
  'POST /t/:tenant/connectors/:id/test': MANAGERS,
  'POST /t/:tenant/connectors/:id/delete': MANAGERS,
  // The session booker: everyone sees the week, services and hours and makes their own
  // ICS feed; managers change services and hours and cancel. Calendar files need no sign-in.
  'GET /t/:tenant/bookings': MEMBERS,
  'GET /t/:tenant/bookings/services': MEMBERS,
  'GET /t/:tenant/bookings/services/new': MANAGERS,
  'POST /t/:tenant/bookings/services': MANAGERS,
  'GET /t/:tenant/bookings/services/:id': MANAGERS,
  'POST /t/:tenant/bookings/services/:id': MANAGERS,
  'GET /t/:tenant/bookings/hours': MEMBERS,
  'POST /t/:tenant/bookings/hours/:memberId': MANAGERS,
  'POST /t/:tenant/bookings/feed': MEMBERS,
  'GET /t/:tenant/bookings/:id': MEMBERS,
  'POST /t/:tenant/bookings/:id/cancel': MANAGERS,
  'GET /t/:tenant/bookings/feed/:file': 'public',
  'GET /t/:tenant/bookings/:id/invite.ics': 'public',
  // The quote analyzer's upload form (agents and up) and a task's stored PDFs (who sees the task).
  'GET /t/:tenant/tasks/quotes/new': EDITORS,
  'POST /t/:tenant/tasks/quotes': EDITORS,
  'GET /t/:tenant/tasks/quotes/runs/:id': EDITORS,
  'POST /t/:tenant/tasks/quotes/settings': MANAGERS,
  'GET /t/:tenant/tasks/documents/:id': MEMBERS,
  'GET /t/:tenant/tasks/documents/:id/pages/:page': MEMBERS,
  'GET /t/:tenant/assistant': MANAGERS,
  'GET /t/:tenant/assistant/:channelId': MANAGERS,
  'POST /t/:tenant/assistant/:channelId': MANAGERS,
  'POST /t/:tenant/inbox/:id/assistant': EDITORS,
  // Outreach rules: everyone sees them, admins and owners write them; agents coach
  // check-in clients, review pulse drafts and move renewals along.
  'GET /t/:tenant/outreach': MEMBERS,
  'GET /t/:tenant/outreach/nudges/new': MANAGERS,
  'POST /t/:tenant/outreach/nudges': MANAGERS,
  'GET /t/:tenant/outreach/nudges/:id': MANAGERS,
  'POST /t/:tenant/outreach/nudges/:id': MANAGERS,
  'POST /t/:tenant/outreach/nudges/:id/delete': MANAGERS,
  'GET /t/:tenant/outreach/reminders/new': MANAGERS,
  'POST /t/:tenant/outreach/reminders': MANAGERS,
  'GET /t/:tenant/outreach/reminders/:id': MANAGERS,
  'POST /t/:tenant/outreach/reminders/:id': MANAGERS,
  'POST /t/:tenant/outreach/reminders/:id/delete': MANAGERS,
  'GET /t/:tenant/outreach/checkins/new': MANAGERS,
  'POST /t/:tenant/outreach/checkins': MANAGERS,
  'GET /t/:tenant/outreach/checkins/:id': MANAGERS,
  'POST /t/:tenant/outreach/checkins/:id': MANAGERS,
  'GET /t/:tenant/outreach/checkins/:id/coach': MEMBERS,
  'POST /t/:tenant/outreach/checkins/:id/enroll': EDITORS,
  'POST /t/:tenant/outreach/checkins/:id/unenroll': EDITORS,
  'POST /t/:tenant/outreach/checkins/:id/summary': EDITORS,
  'GET /t/:tenant/outreach/pulse': MEMBERS,
  'POST /t/:tenant/outreach/pulse': MANAGERS,
  'POST /t/:tenant/outreach/pulse/approve-all': EDITORS,
  'POST /t/:tenant/outreach/pulse/drafts/:id/approve': EDITORS,
  'POST /t/:tenant/outreach/pulse/drafts/:id/skip': EDITORS,
  'GET /t/:tenant/renewals': MEMBERS,
  'POST /t/:tenant/renewals/status': EDITORS,
}

/** A one-page PDF, for the task document routes (its first page is drawn). */
const matrixPdf = quoteFixtures()[0].pdf

type Outcome = 'allowed' | 'login' | 'forbidden' | 'not_found'

/** Forms whose empty submission a permitted role meets as 422, the form again. */
const SAVED_ONLY_WHEN_COMPLETE = new Set([
  'POST /t/:tenant/campaigns',
  'POST /t/:tenant/campaigns/:id',
  'POST /t/:tenant/outreach/nudges',
  'POST /t/:tenant/outreach/nudges/:id',
  'POST /t/:tenant/outreach/reminders',
  'POST /t/:tenant/outreach/reminders/:id',
  'POST /t/:tenant/outreach/checkins',
  'POST /t/:tenant/outreach/checkins/:id',
  'POST /t/:tenant/outreach/pulse',
  'POST /t/:tenant/renewals/status',
  'POST /t/:tenant/sequences',
  'POST /t/:tenant/sequences/:id',
  'POST /t/:tenant/flows',
  'POST /t/:tenant/flows/:id',
  'POST /t/:tenant/flows/:id/import',
  'POST /t/:tenant/flows/:id/publish',
  // An empty body is no graph: 422 with the problems, after authorization.
  'POST /t/:tenant/flows/:id/graph',
])

/** What each visitor should meet on a route. */
function expected(route: string, actor: Actor): Outcome | 'public' {
  const [, path] = route.split(' ')
  if (path.startsWith('/t/')) {
    const rule = WORKSPACE[route]
    if (!rule) throw new Error(`route ${route} has no row in the role matrix`)
    if (rule === 'public') return 'public'
    if (actor === 'anonymous') return 'login'
    // Platform staff and members of other tenants are not told the workspace exists.
    if (actor === 'super_admin' || actor === 'outsider') return 'not_found'
    return rule.includes(actor) ? 'allowed' : 'forbidden'
  }
  if (actor === 'anonymous') return 'login'
  if (path === '/admin/impersonation/stop' || path.startsWith('/account/')) return 'allowed'
  if (path === '/admin' || path.startsWith('/admin/')) {
    return actor === 'super_admin' ? 'allowed' : 'forbidden'
  }
  throw new Error(`route ${route} is not a back-office route`)
}

function outcomeOf(status: number, location: string | null): Outcome | `status ${number}` {
  if (status === 401 || (status === 302 && location?.startsWith('/login'))) return 'login'
  if (status === 403) return 'forbidden'
  if (status === 404) return 'not_found'
  if (status >= 200 && status < 400) return 'allowed'
  return `status ${status}`
}

function backOfficeRoutes() {
  const all = Object.values(router.toJSON()).flat() as Array<{
    pattern: string
    methods: string[]
    domain: string
  }>
  const routes = new Set<string>()
  for (const route of all) {
    if (route.domain !== 'root') continue
    const isBackOffice =
      route.pattern === '/admin' ||
      route.pattern.startsWith('/admin/') ||
      route.pattern.startsWith('/account/') ||
      route.pattern.startsWith('/t/:tenant')
    if (!isBackOffice) continue
    for (const method of route.methods)
      if (method !== 'HEAD') routes.add(`${method} ${route.pattern}`)
  }
  return [...routes].sort()
}

test.group('Role matrix', () => {
  test('every back-office route admits exactly the roles it should', async ({
    assert,
    cleanup,
  }) => {
    const home = await makeTenant('matrix')
    const other = await makeTenant('matrix-other')
    cleanup(home.cleanup)
    cleanup(other.cleanup)
    const tenant = home.tenant
    const passwordHash = await hash.make(TEST_PASSWORD)
    const createdUsers: string[] = []
    cleanup(async () => {
      await User.query().whereIn('id', createdUsers).delete()
    })

    const newPerson = async (tenantId: string, role: Role) => {
      const email = `${role}-${randomBytes(5).toString('hex')}@matrix.test`
      const { user, membership } = await addMember(tenantId, { email, passwordHash }, role)
      createdUsers.push(user.id)
      return { user, membership }
    }

    const { user: staff, cleanup: removeStaff } = await makeUser({ superAdmin: true })
    cleanup(removeStaff)
    const people: Partial<Record<Actor, { email: string }>> = { super_admin: staff }
    for (const role of MEMBERS) people[role] = (await newPerson(tenant.id, role)).user
    people.outsider = (await newPerson(other.tenant.id, 'owner')).user
    const plan = await Plan.create({
      slug: `matrix-${randomBytes(3).toString('hex')}`,
      name: 'Matrix',
      isDefault: false,
    })
    cleanup(() => plan.delete())

    /** Fresh targets for routes that act on one, so each request meets the same state. */
    const paramsFor = async (path: string): Promise<Record<string, string>> => {
      if (path.startsWith('/t/:tenant/team/invitations/:id')) {
        const [row] = await db
          .table('invitations')
          .insert({
            tenant_id: tenant.id,
            email: `invitee-${randomBytes(4).toString('hex')}@matrix.test`,
            role: 'agent',
            token_hash: hashLinkToken(randomBytes(16).toString('hex')),
            expires_at: DateTime.now().plus({ days: 7 }).toJSDate(),
          })
          .returning('id')
        return { id: row.id }
      }
      if (path.startsWith('/t/:tenant/team/members/:id')) {
        const { membership } = await newPerson(tenant.id, 'agent')
        return { id: membership.id }
      }
      if (path.includes('/members/:userId/')) {
        return { tenantId: tenant.id, userId: (await newPerson(tenant.id, 'agent')).user.id }
      }
      if (path.startsWith('/t/:tenant/assistant/:channelId')) {
        const channel = await Channel.create({
          tenantId: tenant.id,
          type: 'whatsapp',
          name: 'Matrix assistant',
          status: 'active',
          phoneNumberId: String(Date.now()) + String(randomBytes(3).readUIntBE(0, 3)),
          wabaId: '1',
          displayNumber: '+15550001235',
          settings: {},
        })
        return { channelId: channel.id }
      }
      if (path.startsWith('/t/:tenant/channels/:id')) {
        const channel = await Channel.create({
          tenantId: tenant.id,
          type: 'whatsapp',
          name: 'Matrix line',
          status: 'active',
          phoneNumberId: String(Date.now()) + String(randomBytes(3).readUIntBE(0, 3)),
          wabaId: '1',
          displayNumber: '+15550001234',
          settings: {},
        })
        return { id: channel.id }
      }
      if (path.startsWith('/t/:tenant/contacts/imports/:id')) {
        // An upload waiting for its mapping (an empty form is refused, so it stays that way).
        const [row] = await home.context.transaction((trx) =>
          trx
            .table('contact_imports')
            .insert({ file_name: 'matrix.csv', headers: JSON.stringify(['phone']) })
            .returning('id')
        )
        return { id: row.id }
      }
      if (path.startsWith('/t/:tenant/contacts/:id/memory/facts/:factId')) {
        return home.context.transaction(async (trx) => {
          const contact = await Contact.create(
            { phone: `+1555${randomBytes(4).readUInt32BE(0)}` },
            { client: trx }
          )
          const [fact] = await trx
            .table('contact_memory_facts')
            .insert({ contact_id: contact.id, kind: 'other', value: 'Matrix', value_key: 'matrix' })
            .returning('id')
          return { id: contact.id, factId: fact.id }
        })
      }
      if (path.startsWith('/t/:tenant/contacts/:id')) {
        const contact = await home.context.transaction((trx) =>
          Contact.create({ phone: `+1555${randomBytes(4).readUInt32BE(0)}` }, { client: trx })
        )
        return { id: contact.id }
      }
      if (path.startsWith('/t/:tenant/inbox/:id')) {
        const conversation = await home.context.transaction(async (trx) => {
          const contact = await Contact.create(
            { phone: `+1555${randomBytes(4).readUInt32BE(0)}` },
            { client: trx }
          )
          return Conversation.create(
            { contactId: contact.id, channelId: randomUUID(), status: 'open' },
            { client: trx }
          )
        })
        return { id: conversation.id }
      }
      if (path.startsWith('/t/:tenant/settings/contact-fields/:id')) {
        const [row] = await home.context.transaction((trx) =>
          trx
            .table('contact_fields')
            .insert({ key: `m${randomBytes(4).toString('hex')}`, label: 'Matrix', type: 'text' })
            .returning('id')
        )
        return { id: row.id }
      }
      if (path.startsWith('/t/:tenant/campaigns/:id')) {
        // A draft on a number that is not this workspace's: every action answers without sending.
        const [row] = await home.context.transaction((trx) =>
          trx
            .table('campaigns')
            .insert({
              name: 'Matrix campaign',
              channel_id: randomUUID(),
              template_name: 'matrix',
              template_language: 'en',
            })
            .returning('id')
        )
        return { id: row.id }
      }
      if (path.startsWith('/t/:tenant/outreach/nudges/:id')) {
        const [row] = await home.context.transaction((trx) =>
          trx
            .table('nudge_rules')
            .insert({ name: 'Matrix nudge', after_hours: 4, message: 'Hi' })
            .returning('id')
        )
        return { id: row.id }
      }
      if (path.startsWith('/t/:tenant/outreach/reminders/:id')) {
        const [row] = await home.context.transaction((trx) =>
          trx
            .table('date_rules')
            .insert({ name: 'Matrix reminder', field_key: 'matrix', offsets: [-1] })
            .returning('id')
        )
        return { id: row.id }
      }
      if (path.startsWith('/t/:tenant/outreach/checkins/:id')) {
        const [row] = await home.context.transaction((trx) =>
          trx
            .table('checkin_plans')
            .insert({ name: 'Matrix plan', days: [1], question: 'Done?', answers: '["Done"]' })
            .returning('id')
        )
        return { id: row.id }
      }
      if (path.startsWith('/t/:tenant/outreach/pulse/drafts/:id')) {
        // A draft already sent: deciding it again changes nothing.
        const [row] = await home.context.transaction((trx) =>
          trx
            .table('pulse_drafts')
            .insert({
              contact_id: randomUUID(),
              week: '2026-01-05',
              text: 'Hi',
              source: 'template',
              status: 'sent',
            })
            .returning('id')
        )
        return { id: row.id }
      }
      if (path === '/t/:tenant/flows/gallery/:key') return { key: 'insurance_intake' }
      if (path.startsWith('/t/:tenant/flows/:id')) {
        const flow = await createFlow(home.context, { name: 'Matrix flow' }, null)
        return { id: flow.id }
      }
      if (path.startsWith('/t/:tenant/sequences/:id')) {
        const sequence = await createSequence(home.context, { name: 'Matrix sequence' })
        return { id: sequence.id }
      }
      if (path.startsWith('/t/:tenant/segments/:id')) {
        const [row] = await home.context.transaction((trx) =>
          trx.table('segments').insert({ name: 'Matrix' }).returning('id')
        )
        return { id: row.id }
      }
      if (path.startsWith('/t/:tenant/settings/canned-responses/:id')) {
        const [row] = await home.context.transaction((trx) =>
          trx
            .table('canned_responses')
            .insert({ shortcut: `m${randomBytes(4).toString('hex')}`, title: 'Matrix', body: 'Hi' })
            .returning('id')
        )
        return { id: row.id }
      }
      if (path === '/t/:tenant/templates/sync/:id') {
        const batchId = randomUUID()
        await home.context.transaction((trx) =>
          trx
            .table('template_syncs')
            .insert({ batch_id: batchId, channel_id: randomUUID(), status: 'done' })
        )
        return { id: batchId }
      }
      if (path === '/t/:tenant/media/:messageId') {
        const messageId = randomUUID()
        const key = `tenants/${tenant.id}/media/${messageId}`
        await drive.use().put(key, Buffer.from('matrix'))
        cleanup(() => drive.use().delete(key))
        await home.context.transaction(async (trx) => {
          const contact = await Contact.create(
            { phone: `+1555${randomBytes(4).readUInt32BE(0)}` },
            { client: trx }
          )
          const conversation = await Conversation.create(
            { contactId: contact.id, channelId: randomUUID(), status: 'open' },
            { client: trx }
          )
          await trx.table('messages').insert({
            id: messageId,
            conversation_id: conversation.id,
            contact_id: contact.id,
            channel_id: conversation.channelId,
            direction: 'inbound',
            type: 'document',
            status: 'received',
            author_type: 'contact',
            media: JSON.stringify({ status: 'stored', storageKey: key, mimeType: 'text/plain' }),
          })
        })
        return { messageId }
      }
      if (path.startsWith('/t/:tenant/tasks/documents/:id')) {
        const { task } = await createTask(
          home.context,
          { kind: 'matrix', title: 'Matrix quotes', components: [{ type: 'text', text: 'Hi' }] },
          systemActor
        )
        const [row] = await db
          .table('hitl_documents')
          .withSchema(home.context.schema)
          .insert({
            task_id: task.id,
            filename: 'matrix.pdf',
            size: matrixPdf.length,
            pages: 1,
            bytes: matrixPdf,
          })
          .returning('id')
        return { id: row.id, page: '1' }
      }
      if (path === '/t/:tenant/tasks/quotes/runs/:id') {
        const [row] = await db
          .table('hitl_quote_runs')
          .withSchema(home.context.schema)
          .insert({ status: 'failed', total: 2, error: 'Matrix' })
          .returning('id')
        return { id: row.id }
      }
      if (path.startsWith('/t/:tenant/tasks/:id')) {
        const { task } = await createTask(
          home.context,
          {
            kind: 'matrix',
            title: 'Matrix task',
            components: [{ type: 'editable_text', name: 'reply', label: 'Reply', value: 'Hi' }],
          },
          systemActor
        )
        return { id: task.id }
      }
      if (path.startsWith('/t/:tenant/knowledge/:id')) {
        // A stored file, so the download route has something to serve.
        const source = await createFileSource(home.context, {
          bytes: Buffer.from('Matrix knowledge.'),
          filename: 'matrix.txt',
        })
        return { id: source.id }
      }
      if (path === '/t/:tenant/datasets/insert') {
        // The composer's insert: a dataset with a row, for a conversation named in the query.
        const dataset = await createDataset(home.context, {
          name: 'Matrix insert',
          columns: [{ name: 'name', type: 'text' }],
        })
        await writeRows(home.context, dataset, [{ name: 'Matrix row' }])
        const conversation = randomUUID()
        return {
          conversation,
          dataset: dataset.id,
          row: '1',
          _query: `conversation=${conversation}&dataset=${dataset.id}`,
        }
      }
      if (path.startsWith('/t/:tenant/datasets/:id')) {
        // A dataset with one row, so the row routes have something to open.
        const dataset = await createDataset(home.context, {
          name: 'Matrix dataset',
          columns: [{ name: 'name', type: 'text' }],
        })
        await writeRows(home.context, dataset, [{ name: 'Matrix row' }])
        return { id: dataset.id, rowId: '1' }
      }
      if (path.startsWith('/t/:tenant/connectors/:id')) {
        // A connector whose parameter the empty form lacks: "Try it" answers without a call.
        const connector = await createConnector(home.context, {
          name: 'Matrix connector',
          url_template: 'https://example.com/orders/{{order}}',
          parameters: [{ name: 'order', type: 'integer', required: true }],
          mapping: [{ name: 'status', path: '$.status' }],
          reply_template: '{{status}}',
        })
        return { id: connector.id }
      }
      if (path.startsWith('/t/:tenant/bookings/services/:id')) {
        const service = await createBookingService(
          home.context,
          {
            name: 'Matrix service',
            durationMinutes: 30,
            bufferMinutes: 0,
            priceText: '',
            active: true,
            memberIds: [],
          },
          []
        )
        return { id: service.id }
      }
      if (path === '/t/:tenant/bookings/hours/:memberId') {
        const owner = await User.findByOrFail('email', people.owner!.email)
        return { memberId: owner.id }
      }
      if (path === '/t/:tenant/bookings/feed/:file') return { file: 'matrix.ics' }
      if (path.startsWith('/t/:tenant/bookings/:id')) {
        // A booking written straight to the table: the routes only need one to exist.
        const id = await home.context.transaction(async (trx) => {
          const contact = await Contact.create(
            { phone: `+1555${randomBytes(4).readUInt32BE(0)}` },
            { client: trx }
          )
          const [service] = await trx
            .table('booking_services')
            .insert({ name: 'Matrix service', duration_minutes: 30 })
            .returning('id')
          const [booking] = await trx
            .table('bookings')
            .insert({
              service_id: service.id,
              member_id: randomUUID(),
              contact_id: contact.id,
              starts_at: '2026-12-07T05:00:00Z',
              ends_at: '2026-12-07T05:30:00Z',
              blocks_until: '2026-12-07T05:30:00Z',
            })
            .returning('id')
          return booking.id as string
        })
        return { id }
      }
      if (path.startsWith('/t/:tenant/settings/webhooks/:id')) {
        return home.context.transaction(async (trx) => {
          const [hook] = await trx
            .table('webhook_subscriptions')
            .insert({
              url: 'https://example.com/matrix',
              events: ['*'],
              secret_encrypted: encryption.encrypt('whsec_matrix'),
            })
            .returning('id')
          const [delivery] = await trx
            .table('webhook_deliveries')
            .insert({
              subscription_id: hook.id,
              event_id: `evt_${randomBytes(8).toString('hex')}`,
              event_type: 'webhook.test',
              body: '{}',
              status: 'delivered',
            })
            .returning('id')
          return { id: hook.id, deliveryId: delivery.id }
        })
      }
      if (path === '/t/:tenant/settings/api-keys/:id/revoke') {
        const { key } = await createApiKey(
          tenant,
          { name: 'Matrix key', scopes: ['contacts:read'] },
          systemActor
        )
        return { id: key.id }
      }
      if (path.startsWith('/admin/plans/:id')) return { id: plan.id }
      if (path.startsWith('/admin/tenants/:id')) return { id: tenant.id }
      return {}
    }

    /** A body that passes validation where one is needed, so authorization alone decides. */
    const bodyFor = (path: string, params: Record<string, string>): Record<string, string> => {
      if (path === '/t/:tenant/team/invitations') {
        return { email: `new-${randomBytes(4).toString('hex')}@matrix.test`, role: 'agent' }
      }
      if (path.endsWith('/members/:id/role')) return { role: 'viewer' }
      if (path.endsWith('/members/:id/remove')) return { [`confirm_${params.id}`]: 'x' }
      if (path === '/t/:tenant/settings/branding') return { display_name: 'Matrix Co' }
      if (path === '/t/:tenant/datasets/insert') {
        return { conversation: params.conversation, dataset: params.dataset, row: params.row }
      }
      if (path === '/t/:tenant/settings/webhooks') {
        return { url: 'https://example.com/matrix', events: 'contact.created' }
      }
      if (path === '/t/:tenant/availability') return { availability: 'online' }
      if (path === '/t/:tenant/bookings/services' || path === '/t/:tenant/bookings/services/:id') {
        return { name: 'Matrix service', duration_minutes: '30', buffer_minutes: '0' }
      }
      if (path === '/t/:tenant/bookings/hours/:memberId') return { time_zone: 'UTC' }
      // The segment editor answers a form it cannot save with 422 and the editor again.
      if (path === '/t/:tenant/segments' || path === '/t/:tenant/segments/:id') {
        return { name: 'Matrix segment', match: 'all' }
      }
      if (path === '/t/:tenant/inbox/:id/assign') return { assignee: '' }
      if (path === '/t/:tenant/inbox/:id/snooze') return { until: '1h' }
      if (path === '/t/:tenant/inbox/:id/labels') return { add: 'matrix' }
      if (path === '/t/:tenant/inbox/:id/priority') return { priority: 'high' }
      if (path === '/t/:tenant/assistant/:channelId') {
        return {
          language: 'auto',
          active_mode: 'always',
          timezone: 'UTC',
          confidence_threshold: '0.4',
          max_failures: '2',
        }
      }
      if (path === '/account/profile')
        return { name: 'Matrix Person', locale: 'en', timezone: 'UTC' }
      return {}
    }

    const sessions = new Map<Actor, WebSession>()
    const sessionOf = async (actor: Actor, fresh = false) => {
      if (!fresh && sessions.has(actor)) return sessions.get(actor)!
      const web = new WebSession({
        'X-Forwarded-For': `10.9.${ACTORS.indexOf(actor)}.${randomBytes(1)[0]}`,
      })
      const person = people[actor]
      if (person) {
        const signedIn = await web.submit('/login', '/login', {
          email: person.email,
          password: TEST_PASSWORD,
        })
        assert.notEqual(signedIn.location, '/login', `${actor} could not sign in`)
      } else {
        await web.get('/login')
      }
      if (!fresh) sessions.set(actor, web)
      return web
    }

    const routes = backOfficeRoutes()
    assert.isAbove(routes.length, 30, 'the router lists the back office')
    const mismatches: string[] = []
    let checks = 0

    // The visitors of one route are independent (own session, own fresh
    // target), so they go together; routes go one after another.
    const check = async (route: string, actor: Actor) => {
      const [method, pattern] = route.split(' ')
      const want = expected(route, actor)
      const params: Record<string, string> = {
        tenant: tenant.slug,
        ...(await paramsFor(pattern)),
      }
      const path =
        pattern.replace(/:(\w+)/g, (_, name) => params[name]) +
        (params._query ? `?${params._query}` : '')
      // Acting as someone else changes the session: those requests get one of their own.
      const web = await sessionOf(actor, pattern.includes('impersonat'))
      if (method === 'GET') await web.get('/login')
      const response =
        method === 'GET'
          ? await web.get(path)
          : await (async () => {
              await web.get(actor === 'anonymous' ? '/login' : '/account/profile')
              const body = bodyFor(pattern, params)
              return method === 'POST'
                ? web.post(path, body)
                : web.post(`${path}?_method=${method}`, body)
            })()
      const answered = outcomeOf(response.status, response.location)
      // A campaign needs a number with approved templates to be saved: the empty form's 422
      // (with the form again) shows the role got past authorization, which answers 403 first.
      const got =
        answered === 'status 422' && SAVED_ONLY_WHEN_COMPLETE.has(route) ? 'allowed' : answered
      checks++
      if (want === 'public') {
        if (got === 'login' || got === 'forbidden') mismatches.push(`${route} as ${actor}: ${got}`)
        return
      }
      if (got !== want) {
        mismatches.push(
          `${route} as ${actor}: expected ${want}, got ${got} (${response.status} ${response.location ?? ''})`
        )
      }
    }
    for (const actor of ACTORS) await sessionOf(actor)
    for (const route of routes) {
      await Promise.all(ACTORS.map((actor) => check(route, actor)))
    }

    assert.deepEqual(mismatches, [])
    console.log(
      `role matrix: ${routes.length} routes x ${ACTORS.length} visitors = ${checks} checks`
    )
  }).timeout(600_000)
})
