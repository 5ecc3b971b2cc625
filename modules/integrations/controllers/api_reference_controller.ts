import type { HttpContext } from '@adonisjs/core/http'
import { workspaceLayout } from '#modules/tenancy/index'
import { openApiDocument } from '../openapi/api_document.js'
import { referenceOf } from '../openapi/reference.js'

/**
 * The OpenAPI document (public: it describes the API, it opens nothing) and
 * the workspace's readable reference, rendered on the server from that same
 * document so the two always agree.
 */
export default class ApiReferenceController {
  /** GET /api/v1/openapi.json */
  async document({ request, response }: HttpContext) {
    const { json, etag } = openApiDocument()
    response.header('Cache-Control', 'public, max-age=300, must-revalidate')
    response.header('ETag', etag)
    // Swagger UI, Postman or an n8n node elsewhere may fetch it from a browser.
    response.header('Access-Control-Allow-Origin', '*')
    response.header('Content-Type', 'application/json; charset=utf-8')
    if (request.header('If-None-Match') === etag) return response.status(304).send('')
    return response.status(200).send(json)
  }

  /** GET /t/:tenant/settings/api-reference */
  async show(ctx: HttpContext) {
    await ctx.bouncer.with('ApiKeysPolicy').authorize('manage', ctx.access)
    const { document } = openApiDocument()
    const origin = `${ctx.request.protocol()}://${ctx.request.host()}`
    return ctx.view.render('integrations::api_reference/index', {
      ...workspaceLayout(ctx, 'api_keys'),
      stylesheets: ['/assets/api_reference.css'],
      reference: referenceOf(document, origin, ctx.i18n),
      documentUrl: '/api/v1/openapi.json',
    })
  }
}
