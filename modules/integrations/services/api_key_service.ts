import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { recordAudit, type AuditActor } from '#modules/tenancy/index'
import { CentralCache } from '#app/cache/central_cache'
import ApiKey, { TOKEN_PREFIX } from '../models/api_key.js'
import { normalizeScopes, type ApiScope } from '#app/http/api/index'

/*
| Tokens look like `fm_live_<prefix>_<secret>`: the prefix (8 hex characters)
| is public and indexed, so a request finds its key with one lookup; the
| secret (40 hex characters, 160 random bits) is kept only as its SHA-256.
| A plain hash rather than an HMAC with APP_KEY: the secret is random and
| long, so there is nothing to brute-force, and rotating APP_KEY (which signs
| sessions) must not silently cut off every integration.
*/
const TOKEN_PATTERN = /^fm_live_([0-9a-f]{8})_([0-9a-f]{40})$/

export function hashSecret(secret: string) {
  return createHash('sha256').update(secret).digest('hex')
}

export function parseToken(token: string) {
  const match = TOKEN_PATTERN.exec(token)
  return match ? { prefix: match[1], secret: match[2] } : null
}

export interface NewApiKey {
  name: string
  scopes: readonly ApiScope[]
  /** Days until the key stops working; null for a key that does not expire. */
  expiresInDays?: number | null
  createdByUserId?: string | null
}

/**
 * Creates a key and returns it with its token, the only time the token
 * exists outside the caller's hands. Audited.
 */
export async function createApiKey(
  tenant: { id: string; slug: string },
  input: NewApiKey,
  actor: AuditActor
): Promise<{ key: ApiKey; token: string }> {
  for (let attempt = 0; ; attempt++) {
    const prefix = randomBytes(4).toString('hex')
    const secret = randomBytes(20).toString('hex')
    try {
      const key = await db.transaction(async (trx) => {
        const created = await ApiKey.create(
          {
            tenantId: tenant.id,
            name: input.name.trim(),
            prefix,
            tokenHash: hashSecret(secret),
            lastFour: secret.slice(-4),
            scopes: normalizeScopes(input.scopes),
            expiresAt: input.expiresInDays
              ? DateTime.now().plus({ days: input.expiresInDays })
              : null,
            createdByUserId: input.createdByUserId ?? null,
          },
          { client: trx }
        )
        await recordAudit(
          actor,
          {
            action: 'api_key.created',
            tenant,
            subjectType: 'api_key',
            subjectId: created.id,
            metadata: {
              name: created.name,
              prefix,
              scopes: created.scopes,
              expires_at: created.expiresAt?.toUTC().toISO() ?? null,
            },
          },
          trx
        )
        return created
      })
      return { key, token: `${TOKEN_PREFIX}${prefix}_${secret}` }
    } catch (error) {
      // Two keys drew the same 32-bit prefix: draw again.
      if ((error as { code?: string }).code === '23505' && attempt < 5) continue
      throw error
    }
  }
}

/** The tenant's keys, newest first, with who created each. */
export async function listApiKeys(tenantId: string) {
  const keys = await ApiKey.query().where('tenant_id', tenantId).orderBy('created_at', 'desc')
  const creatorIds = [...new Set(keys.map((key) => key.createdByUserId).filter(Boolean))]
  const creators = creatorIds.length
    ? await db
        .from('users')
        .whereIn('id', creatorIds as string[])
        .select('id', 'name', 'email')
    : []
  const names = new Map(creators.map((row) => [row.id, row.name || row.email]))
  return keys.map((key) => ({
    key,
    createdBy: key.createdByUserId ? (names.get(key.createdByUserId) ?? null) : null,
  }))
}

/** One of the tenant's keys, or null (another tenant's key is not found). */
export function findTenantApiKey(tenantId: string, keyId: string) {
  if (!/^[0-9a-f-]{36}$/i.test(keyId)) return Promise.resolve(null)
  return ApiKey.query().where('tenant_id', tenantId).where('id', keyId).first()
}

/**
 * Revokes a key; the next request with it is refused, on every process
 * (saving the key raises the central cache version: see ApiKey). Revoking
 * twice changes nothing.
 */
export async function revokeApiKey(
  tenant: { id: string; slug: string },
  key: ApiKey,
  actor: AuditActor
) {
  if (key.revokedAt) return key
  await db.transaction(async (trx) => {
    key.useTransaction(trx)
    key.revokedAt = DateTime.now()
    await key.save()
    await recordAudit(
      actor,
      {
        action: 'api_key.revoked',
        tenant,
        subjectType: 'api_key',
        subjectId: key.id,
        metadata: { name: key.name, prefix: key.prefix },
      },
      trx
    )
  })
  return key
}

export type TokenCheck =
  { ok: true; key: ApiKey } | { ok: false; reason: 'invalid' | 'revoked' | 'expired' }

/** Keys by prefix, kept while the central version holds (app/cache/central_cache.ts). */
const keysByPrefix = new CentralCache<ApiKey>()

/**
 * Finds the key a bearer token belongs to. The hash comparison is
 * constant-time, and an unknown prefix costs a hash as well, so timing tells
 * an attacker nothing about which prefixes exist. The key row comes from
 * the process's cache under the central `version` (null: from the
 * database); revocation and expiry are checked on every request.
 */
export async function checkToken(
  token: string,
  version: string | null = null
): Promise<TokenCheck> {
  const parsed = parseToken(token)
  if (!parsed) return { ok: false, reason: 'invalid' }
  const key = await keysByPrefix.get(parsed.prefix, version, () =>
    ApiKey.findBy('prefix', parsed.prefix)
  )
  const presented = Buffer.from(hashSecret(parsed.secret), 'hex')
  const stored = Buffer.from(key?.tokenHash ?? hashSecret(''), 'hex')
  if (!timingSafeEqual(presented, stored) || !key) return { ok: false, reason: 'invalid' }
  if (key.revokedAt) return { ok: false, reason: 'revoked' }
  if (key.expiresAt && key.expiresAt.toMillis() <= DateTime.now().toMillis()) {
    return { ok: false, reason: 'expired' }
  }
  return { ok: true, key }
}

/**
 * Records that a key was used, at most once a minute per key: a fresh
 * `last_used_at` on the (possibly kept) row costs no write, and the
 * condition keeps concurrent requests and processes from all writing. The
 * kept row is told too, so the next minute's requests skip the write.
 */
export async function touchApiKey(key: ApiKey) {
  const now = Date.now()
  if (key.lastUsedAt && key.lastUsedAt.toMillis() > now - 60_000) return
  key.lastUsedAt = DateTime.fromMillis(now)
  await db
    .from('api_keys')
    .where('id', key.id)
    .where((where) =>
      where.whereNull('last_used_at').orWhereRaw(`last_used_at < now() - interval '1 minute'`)
    )
    .update({ last_used_at: new Date() })
}
