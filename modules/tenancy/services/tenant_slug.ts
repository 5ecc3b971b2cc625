/**
 * Slug rules in one place: the create form, the API, the ace command and
 * provisioning all ask this function, so they refuse the same slugs with the
 * same words.
 */
export const RESERVED_SLUGS = new Set([
  'www',
  'api',
  'admin',
  'app',
  'static',
  'assets',
  'webhooks',
  'health',
  'login',
  'logout',
  'signup',
  'mail',
  'docs',
  'status',
  'support',
  'system',
  'public',
  'webchat',
])

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/

export type SlugProblem = { code: 'slug_invalid' | 'slug_reserved'; message: string }

export function checkSlug(slug: string): SlugProblem | null {
  if (slug.length < 3 || slug.length > 40) {
    return { code: 'slug_invalid', message: 'The slug must be 3 to 40 characters long' }
  }
  if (!SLUG_PATTERN.test(slug)) {
    return {
      code: 'slug_invalid',
      message:
        'The slug may use only lowercase letters a-z, digits 0-9 and hyphens, and must start and end with a letter or digit',
    }
  }
  if (RESERVED_SLUGS.has(slug)) {
    return {
      code: 'slug_reserved',
      message: `"${slug}" is reserved by the platform; choose another slug`,
    }
  }
  return null
}

/**
 * `tenant_<slug>` with hyphens as underscores: slugs never contain
 * underscores, so the mapping cannot collide, and the name needs no quoting
 * in a psql session.
 */
export function schemaNameFor(slug: string) {
  return `tenant_${slug.replaceAll('-', '_')}`
}
