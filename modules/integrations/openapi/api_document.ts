/*
| The document as the app serves it: read once from the committed router and
| the registries (both are fixed once the routes are loaded), with its JSON
| text and an ETag so clients and caches can ask "has it changed?" cheaply.
*/
import { createHash } from 'node:crypto'
import app from '@adonisjs/core/services/app'
import router from '@adonisjs/core/services/router'
import {
  describedApiTags,
  documentedOperations,
  documentedSchemas,
  documentedWebhookEvents,
} from '#app/http/api/index'
import { API_PREFIX, buildOpenApiDocument, type ApiRoute } from './document.js'

/** Every /api/v1 route of the router (HEAD, which GET implies, left out). */
export function apiRoutes(): ApiRoute[] {
  const all = Object.values(router.toJSON()).flat() as Array<{
    pattern: string
    methods: string[]
    name?: string
  }>
  const routes: ApiRoute[] = []
  for (const route of all) {
    if (route.pattern !== API_PREFIX && !route.pattern.startsWith(`${API_PREFIX}/`)) continue
    for (const method of route.methods) {
      if (method !== 'HEAD') routes.push({ method, pattern: route.pattern, name: route.name })
    }
  }
  return routes
}

let cached: { document: Record<string, unknown>; json: string; etag: string } | null = null

export function openApiDocument() {
  if (cached) return cached
  const document = buildOpenApiDocument({
    routes: apiRoutes(),
    operations: documentedOperations(),
    schemas: documentedSchemas(),
    webhookEvents: documentedWebhookEvents(),
    tagDescriptions: describedApiTags(),
    version: app.version?.toString() ?? '1.0.0',
  })
  const json = JSON.stringify(document)
  const etag = `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`
  cached = { document, json, etag }
  return cached
}
