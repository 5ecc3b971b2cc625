import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { User } from '#modules/identity/index'
import { AuditLog, Tenant } from '#modules/tenancy/index'
import db from '@adonisjs/lucid/services/db'
import { makeUser, TEST_PASSWORD } from '#tests/helpers/users'
import { destroyTenant } from '#tests/helpers/tenants'
import { WebSession } from '#tests/helpers/web_session'

/**
 * Shared by the console specs (not a spec itself): a super admin per test,
 * bare tenant rows for list tests, a queue worker for provisioning, polling.
 */

type Cleanup = (fn: () => Promise<void>) => void

export async function makeSuperAdmin(cleanup: Cleanup, options: { locale?: 'en' | 'ar' } = {}) {
  const { user, cleanup: remove } = await makeUser({ superAdmin: true, ...options })
  cleanup(remove)
  return user
}

/** A random prefix for the names and slugs one test creates. */
export function uniquePrefix(tag: string) {
  return `${tag}-${randomBytes(3).toString('hex')}`
}

/**
 * Central tenant rows without a schema: enough for the list, which never
 * opens a tenant's schema, and fast enough to make dozens.
 */
export async function makeBareTenants(
  cleanup: Cleanup,
  prefix: string,
  count: number,
  status: Tenant['status'] = 'active'
) {
  const tenants: Tenant[] = []
  for (let i = 0; i < count; i++) {
    const slug = `${prefix}-${status.slice(0, 3)}-${String(i).padStart(2, '0')}`
    tenants.push(
      await Tenant.create({
        slug,
        name: `Bare ${slug}`,
        schemaName: `tenant_${slug.replaceAll('-', '_')}`,
        status,
      })
    )
  }
  cleanup(async () => {
    await Tenant.query()
      .whereIn(
        'id',
        tenants.map((t) => t.id)
      )
      .delete()
  })
  return tenants
}

export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, ms = 30_000) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const value = await probe()
    if (value) return value
    await sleep(100)
  }
  throw new Error(`condition not met within ${ms} ms`)
}

/**
 * Works the `default` queue for the group's tests. Stopping the pool stops
 * every worker, so the suite's own `mail` worker is started again after.
 */
export async function latestAudit(action: string, subjectId?: string) {
  const query = AuditLog.query().where('action', action).orderBy('id', 'desc')
  if (subjectId) query.where('subject_id', subjectId)
  return query.first()
}

/**
 * Removes a tenant whatever state a test left it in: one still being set up
 * cannot go through the lifecycle, so its row and schema are dropped.
 */
export async function discardTenant(slug: string) {
  const tenant = await Tenant.findBy('slug', slug)
  if (tenant && tenant.status === 'provisioning') {
    await db.rawQuery(`drop schema if exists "${tenant.schemaName}" cascade`)
    await tenant.delete()
    return
  }
  await destroyTenant(slug)
}

export async function deleteUserByEmail(email: string) {
  const user = await User.findByEmail(email)
  if (user) await user.delete()
}

let lastOctet = 1

/**
 * A signed-in browser (real HTTP, cookie jar, CSRF tokens read from pages).
 * The session store is the database, which Japa's session plugin cannot
 * write to, so console tests sign in through /login like a person does.
 */
export async function signIn(user: { email: string }, password = TEST_PASSWORD) {
  const web = new WebSession({ 'X-Forwarded-For': `203.0.113.${(lastOctet++ % 250) + 1}` })
  const result = await web.submit('/login', '/login', { email: user.email, password })
  if (result.status !== 302 || result.location === '/login') {
    throw new Error(`sign-in failed for ${user.email}: ${result.status} ${result.location}`)
  }
  return web
}

/**
 * The same browser making an htmx request (GET) aimed at `target`.
 */
export function htmx(web: WebSession, target?: string, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { 'HX-Request': 'true', ...extra }
  if (target) headers['HX-Target'] = target
  const twin = new WebSession(headers)
  for (const [name, value] of web.cookies) twin.cookies.set(name, value)
  return twin
}

export { withDefaultQueueWorker } from '#tests/helpers/queue'
