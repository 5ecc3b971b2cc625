import type { HttpContext } from '@adonisjs/core/http'
import { can, type Permission, type WorkspaceAccess } from '#modules/identity/index'
import type Tenant from '../models/tenant.js'

/**
 * The workspace's navigation, built in this one place. Each item names the
 * permission (a row of the identity role matrix) that shows it, so a member
 * never sees a link that would answer 403. Later modules add their pages
 * with `addWorkspaceNavItem` from their routes file.
 */
export interface WorkspaceNavItem {
  key: string
  /** Path inside the workspace; '' is the dashboard. */
  path: string
  /** An i18n key. */
  label: string
  permission: Permission
  /** Lower comes first. */
  order: number
  /**
   * Path inside the workspace answering the item's count as a bare number
   * (e.g. conversations waiting for a person); the page loads it beside the
   * label, and again whenever the inbox changes.
   */
  countPath?: string
}

const items: WorkspaceNavItem[] = []

export function addWorkspaceNavItem(item: WorkspaceNavItem) {
  const existing = items.findIndex((candidate) => candidate.key === item.key)
  if (existing >= 0) items.splice(existing, 1)
  items.push(item)
  items.sort((a, b) => a.order - b.order)
}

addWorkspaceNavItem({
  key: 'dashboard',
  path: '',
  label: 'workspace.nav.dashboard',
  permission: 'workspace.view',
  order: 10,
})
addWorkspaceNavItem({
  key: 'team',
  path: '/team',
  label: 'workspace.nav.team',
  permission: 'team.view',
  order: 80,
})
addWorkspaceNavItem({
  key: 'branding',
  path: '/settings/branding',
  label: 'workspace.nav.branding',
  permission: 'branding.manage',
  order: 90,
})

export interface NavLink {
  key: string
  href: string
  label: string
  current: boolean
  countUrl: string | null
}

/**
 * Where this workspace's pages live for the current request: `/t/<slug>`,
 * or the root of `<slug>.<APP_DOMAIN>` when the request came that way.
 */
export function workspaceBase(slug: string, viaSubdomain: boolean) {
  return viaSubdomain ? '' : `/t/${slug}`
}

export function workspaceNav(
  access: WorkspaceAccess,
  base: string,
  current: string,
  translate: (key: string) => string
): NavLink[] {
  return items
    .filter((item) => can(access, item.permission))
    .map((item) => ({
      key: item.key,
      href: `${base}${item.path}` || '/',
      label: translate(item.label),
      current: item.key === current,
      countUrl: item.countPath ? `${base}${item.countPath}` : null,
    }))
}

/**
 * The branded stylesheet and logo addresses, versioned so a change shows at
 * once while the unchanged files stay cached.
 */
export function brandingAssets(tenant: Tenant, base: string) {
  return {
    brandingCss: `${base}/branding.css?v=${tenant.updatedAt.toMillis()}`,
    logoUrl:
      tenant.logoMime && tenant.logoUpdatedAt
        ? `${base}/branding/logo?v=${tenant.logoUpdatedAt.toMillis()}`
        : null,
  }
}

/**
 * Everything `@layouts.app` needs on a workspace page: navigation with the
 * current item, the branded heading, colour and logo, and `base` for links.
 */
export function workspaceLayout(
  ctx: Pick<HttpContext, 'tenantRecord' | 'access' | 'subdomains' | 'i18n'>,
  current: string
) {
  const tenant = ctx.tenantRecord
  const base = workspaceBase(tenant.slug, !!ctx.subdomains.tenant)
  return {
    base,
    nav: workspaceNav(ctx.access, base, current, (key) => ctx.i18n.t(key)),
    heading: tenant.brandName,
    ...brandingAssets(tenant, base),
  }
}
