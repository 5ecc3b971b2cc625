/**
 * The super-admin console's menu, in one place for every console page
 * (billing's plan pages included). `current` is the section being shown.
 */
export type ConsoleSection = 'tenants' | 'plans' | 'audit'

export interface ConsoleNavItem {
  href: string
  label: string
  current: boolean
}

const SECTIONS: Array<{ section: ConsoleSection; href: string; key: string }> = [
  { section: 'tenants', href: '/admin/tenants', key: 'console.nav.tenants' },
  { section: 'plans', href: '/admin/plans', key: 'console.nav.plans' },
  { section: 'audit', href: '/admin/audit', key: 'console.nav.audit' },
]

export function consoleNav(
  translate: (key: string) => string,
  current: ConsoleSection
): ConsoleNavItem[] {
  return SECTIONS.map((item) => ({
    href: item.href,
    label: translate(item.key),
    current: item.section === current,
  }))
}
