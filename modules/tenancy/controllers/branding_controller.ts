import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'
import { actorFromRequest } from '#modules/identity/index'
import { brandingValidator } from '../validators/branding_validator.js'
import { inspectLogo } from '../services/branding_logo.js'
import { removeLogo, updateBranding } from '../services/branding_service.js'
import { DEFAULT_BRAND_COLOR, brandingStylesheet } from '../services/branding_css.js'
import { workspaceLayout } from '../services/workspace_nav.js'
import { brandingCacheControl, sendLogo } from '../services/branding_http.js'

/**
 * A workspace's name, colour and logo: the settings page for owners and
 * admins, and the two public files (stylesheet, logo) pages load.
 */
export default class BrandingController {
  async edit(ctx: HttpContext) {
    const { bouncer, view, access, tenantRecord } = ctx
    await bouncer.with('WorkspacePolicy').authorize('manageBranding', access)
    return view.render('tenancy::pages/branding/edit', {
      ...workspaceLayout(ctx, 'branding'),
      branding: {
        displayName: tenantRecord.displayName ?? tenantRecord.name,
        primaryColor: tenantRecord.primaryColor ?? DEFAULT_BRAND_COLOR,
        hasLogo: !!tenantRecord.logoMime,
      },
    })
  }

  async update(ctx: HttpContext) {
    const { bouncer, request, response, session, access, tenantRecord, i18n } = ctx
    await bouncer.with('WorkspacePolicy').authorize('manageBranding', access)
    const data = await request.validateUsing(brandingValidator)
    const editPath = `${workspaceLayout(ctx, 'branding').base}/settings/branding`

    let logo
    if (data.logo) {
      const check = inspectLogo(await readFile(data.logo.tmpPath!), data.logo.clientName)
      if (!check.ok) {
        session.flashAll()
        session.flash('inputErrorsBag', { logo: [i18n.t(`branding.errors.${check.reason}`)] })
        return response.redirect(editPath)
      }
      logo = { bytes: check.bytes, mime: check.mime }
    }

    await updateBranding(
      tenantRecord,
      {
        displayName: data.display_name ?? null,
        primaryColor: data.primary_color ?? null,
        logo,
      },
      actorFromRequest(ctx)
    )
    session.flash('success', i18n.t('branding.flash.saved'))
    return response.redirect(editPath)
  }

  async removeLogo(ctx: HttpContext) {
    const { bouncer, response, session, access, tenantRecord, i18n } = ctx
    await bouncer.with('WorkspacePolicy').authorize('manageBranding', access)
    await removeLogo(tenantRecord, actorFromRequest(ctx))
    session.flash('success', i18n.t('branding.flash.logo_removed'))
    return response.redirect(`${workspaceLayout(ctx, 'branding').base}/settings/branding`)
  }

  /**
   * The logo, served so it can only ever be an image: no sniffing, and an
   * SVG opened on its own may run nothing and load nothing.
   */
  async logo(ctx: HttpContext) {
    if (!(await sendLogo(ctx, ctx.tenantRecord.id))) return ctx.response.status(404).send('')
  }

  /** The brand colour as CSS custom properties (the CSP forbids inline styles). */
  async stylesheet({ request, response, tenantRecord }: HttpContext) {
    response.header('Content-Type', 'text/css; charset=utf-8')
    response.header('X-Content-Type-Options', 'nosniff')
    response.header('Cache-Control', brandingCacheControl(request.input('v')))
    return response.send(brandingStylesheet(tenantRecord.primaryColor))
  }
}
