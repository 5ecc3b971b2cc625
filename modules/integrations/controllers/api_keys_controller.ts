import type { HttpContext } from '@adonisjs/core/http'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { errors as vineErrors } from '@vinejs/vine'
import { actorFromRequest } from '#modules/identity/index'
import { workspaceLayout } from '#modules/tenancy/index'
import {
  createApiKey,
  findTenantApiKey,
  listApiKeys,
  revokeApiKey,
} from '../services/api_key_service.js'
import { API_AREAS, hasScope, parseScopeList } from '#app/http/api/index'
import { EXPIRY_CHOICES, createApiKeyValidator } from '../validators/api_key_validator.js'

/**
 * The workspace's API keys page (owners and admins): the keys, masked, with
 * when each was last used; a form to create one, whose token is shown on the
 * answer to that POST and nowhere else (it is never put in the session or a
 * redirect); and revocation.
 */
export default class ApiKeysController {
  async index(ctx: HttpContext) {
    await ctx.bouncer.with('ApiKeysPolicy').authorize('manage', ctx.access)
    return ctx.view.render('integrations::api_keys/index', await pageData(ctx, null))
  }

  async store(ctx: HttpContext) {
    const { bouncer, request, response, session, access, i18n } = ctx
    await bouncer.with('ApiKeysPolicy').authorize('manage', access)
    const back = `${workspaceLayout(ctx, 'api_keys').base}/settings/api-keys#create`

    const fieldErrors: Record<string, string[]> = {}
    let data: { name: string; expires_in_days?: number } | null = null
    try {
      data = await request.validateUsing(createApiKeyValidator)
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
      for (const m of error.messages as Array<{ field: string; message: string }>) {
        ;(fieldErrors[m.field] ??= []).push(m.message)
      }
    }
    const raw = request.input('scopes')
    const picked = [
      ...(Array.isArray(raw) ? raw : raw ? [raw] : []).map(String),
      ...(request.input('all') ? ['all'] : []),
    ]
    const { scopes, unknown } = parseScopeList(picked)
    if (unknown.length || !scopes.length) {
      fieldErrors.scopes = [i18n.t('integrations.errors.scopes_required')]
    }
    if (!data || Object.keys(fieldErrors).length) {
      session.flash('inputErrorsBag', fieldErrors)
      session.flash('error', i18n.t('integrations.errors.fix_form'))
      session.flashExcept(['_csrf'])
      return response.redirect(back)
    }

    const { key, token } = await createApiKey(
      { id: access.tenantId, slug: access.tenantSlug },
      {
        name: data.name,
        scopes,
        expiresInDays: data.expires_in_days ?? null,
        createdByUserId: access.userId,
      },
      actorFromRequest(ctx)
    )
    // Rendered, not redirected: the token must not pass through the session.
    response.header('Cache-Control', 'no-store')
    response.status(201)
    return ctx.view.render(
      'integrations::api_keys/index',
      await pageData(ctx, { id: key.id, name: key.name, token })
    )
  }

  async revoke(ctx: HttpContext) {
    const { bouncer, response, session, access, params, i18n } = ctx
    await bouncer.with('ApiKeysPolicy').authorize('manage', access)
    const key = await findTenantApiKey(access.tenantId, params.id)
    if (!key) throw new lucidErrors.E_ROW_NOT_FOUND()
    await revokeApiKey({ id: access.tenantId, slug: access.tenantSlug }, key, actorFromRequest(ctx))
    session.flash('success', i18n.t('integrations.flash.revoked', { name: key.name }))
    return response.redirect(`${workspaceLayout(ctx, 'api_keys').base}/settings/api-keys`)
  }
}

async function pageData(
  ctx: HttpContext,
  created: { id: string; name: string; token: string } | null
) {
  const { i18n, access } = ctx
  const keys = await listApiKeys(access.tenantId)
  const timezone = ctx.auth.user?.timezone ?? 'UTC'
  const when = (value: { toJSDate(): Date } | null) =>
    value
      ? i18n.formatDate(value.toJSDate(), {
          dateStyle: 'medium',
          timeStyle: 'short',
          timeZone: timezone,
        })
      : null
  return {
    ...workspaceLayout(ctx, 'api_keys'),
    created,
    keys: keys.map(({ key, createdBy }) => ({
      id: key.id,
      name: key.name,
      masked: key.masked,
      status: key.status,
      scopes: key.scopes,
      createdBy,
      createdAt: when(key.createdAt),
      createdAtIso: key.createdAt.toUTC().toISO(),
      lastUsedAt: when(key.lastUsedAt),
      expiresAt: when(key.expiresAt),
    })),
    areas: API_AREAS.map((area) => ({
      area,
      label: i18n.t(`integrations.areas.${area}`),
      read: `${area}:read`,
      write: `${area}:write`,
    })),
    // Boxes ticked again after a refused submit.
    oldScopes: oldScopes(ctx),
    expiryChoices: EXPIRY_CHOICES.map((days) => ({
      value: String(days),
      label: i18n.t('integrations.form.expires_in', { days }),
    })),
    hasScope,
  }
}

function oldScopes(ctx: HttpContext): string[] {
  const raw = ctx.session.flashMessages.get('scopes')
  return Array.isArray(raw) ? raw.map(String) : raw ? [String(raw)] : []
}
