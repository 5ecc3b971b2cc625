import { test } from '@japa/runner'
import { addSandboxChannel } from '#modules/channels/index'
import { systemActor } from '#modules/tenancy/index'
import { documentedOperations } from '#app/http/api/index'
import { apiRoutes } from '#modules/integrations/openapi/api_document'
import {
  DOCUMENT_ROUTE_NAME,
  openApiPath,
  pathParamsOf,
} from '#modules/integrations/openapi/document'
import { makeTenant, makeWorkspace } from '#tests/helpers/tenants'
import { schemaErrors } from '#tests/helpers/json_schema'
import { signIn } from '#tests/functional/workspace/member_browser'
import { api, freshPhone, makeKey } from './api_client.js'
import { defineContactFields } from '#tests/helpers/contact_fields'

/**
 * The OpenAPI document against the router and against real answers: every
 * /api/v1 route is described and every description has a route, bodies are
 * the validators' fields, and responses of the running API fit the schemas
 * the document gives for them.
 */

const METHODS = ['get', 'post', 'put', 'patch', 'delete']

async function fetchDocument() {
  const response = await api('GET', '/api/v1/openapi.json')
  if (response.status !== 200) throw new Error(`openapi.json answered ${response.status}`)
  return response.json
}

function operationsOf(document: any) {
  const list: Array<{ method: string; path: string; operation: any }> = []
  for (const [path, item] of Object.entries<any>(document.paths)) {
    for (const method of METHODS) {
      if (item[method]) list.push({ method: method.toUpperCase(), path, operation: item[method] })
    }
  }
  return list
}

function refsIn(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((child) => refsIn(child, found))
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value)
      else refsIn(value, found)
    }
  }
  return found
}

function resolve(document: any, ref: string) {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node: any, part) => node?.[part], document)
}

/** The schema the document gives for `status` of METHOD path (a path as the document spells it). */
function responseSchema(document: any, method: string, path: string, status: number) {
  const response = document.paths[path]?.[method.toLowerCase()]?.responses?.[String(status)]
  if (!response) throw new Error(`The document has no ${status} response for ${method} ${path}`)
  return response.content['application/json'].schema
}

function conforms(assert: any, document: any, schema: any, value: unknown, what: string) {
  const errors = schemaErrors(schema, value, document)
  assert.deepEqual(errors, [], `${what} does not fit the document`)
}

test.group('OpenAPI document', () => {
  test('is served without a key, as OpenAPI 3.1, cacheable by ETag', async ({ assert }) => {
    const response = await api('GET', '/api/v1/openapi.json')
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/)
    assert.include(response.headers.get('cache-control') ?? '', 'max-age=')
    const etag = response.headers.get('etag')
    assert.isString(etag)

    const document = response.json
    assert.equal(document.openapi, '3.1.0')
    assert.equal(document.info.title, 'FloMastr REST API')
    assert.isString(document.info.version)
    assert.deepEqual(document.servers, [{ url: '/api/v1' }])
    assert.deepEqual(document.components.securitySchemes.bearerAuth, {
      ...document.components.securitySchemes.bearerAuth,
      type: 'http',
      scheme: 'bearer',
    })
    assert.deepEqual(document.security, [{ bearerAuth: [] }])
    assert.containsSubset(document.components.schemas.Error, { required: ['error'] })

    const again = await api('GET', '/api/v1/openapi.json', { headers: { 'if-none-match': etag! } })
    assert.equal(again.status, 304)
    assert.equal(again.text, '')
  })

  test('is well shaped: operations, parameters, responses, tags and every $ref resolve', async ({
    assert,
  }) => {
    const document = await fetchDocument()
    const operations = operationsOf(document)
    assert.isAbove(operations.length, 0)
    const declaredTags = new Set(document.tags.map((tag: any) => tag.name))
    const ids = new Set<string>()
    for (const { method, path, operation } of operations) {
      const where = `${method} ${path}`
      assert.isTrue(path.startsWith('/'), where)
      assert.isString(operation.summary, where)
      assert.isString(operation.operationId, where)
      assert.isFalse(ids.has(operation.operationId), `${where}: duplicate operationId`)
      ids.add(operation.operationId)
      assert.lengthOf(operation.tags, 1, where)
      assert.isTrue(declaredTags.has(operation.tags[0]), `${where}: undeclared tag`)

      const statuses = Object.keys(operation.responses)
      assert.isTrue(
        statuses.some((s) => /^2\d\d$/.test(s)),
        `${where}: no success response`
      )
      for (const status of ['401', '423', '429']) assert.include(statuses, status, where)
      if (operation['x-scope']) {
        assert.include(statuses, '403', where)
        assert.deepEqual(operation.security, [{ bearerAuth: [operation['x-scope']] }], where)
      }
      assert.property(operation.responses['429'].headers, 'Retry-After', where)
      for (const status of statuses.filter((s) => s.startsWith('4'))) {
        assert.equal(
          operation.responses[status].content['application/json'].schema.$ref,
          '#/components/schemas/Error',
          `${where} ${status}`
        )
        assert.isNotEmpty(operation.responses[status]['x-error-codes'], `${where} ${status}`)
      }

      // Path parameters: exactly the {names} of the path, required, with a schema.
      const parameters = (operation.parameters ?? []).map((p: any) =>
        p.$ref ? resolve(document, p.$ref) : p
      )
      for (const parameter of parameters) {
        assert.includeMembers(['path', 'query', 'header'], [parameter.in], where)
        assert.isString(parameter.name, where)
        assert.isObject(parameter.schema, where)
      }
      const inPath = parameters.filter((p: any) => p.in === 'path')
      const named = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])
      assert.sameMembers(
        inPath.map((p: any) => p.name),
        named,
        `${where}: path parameters`
      )
      for (const parameter of inPath) assert.isTrue(parameter.required, where)
      if (operation.requestBody) {
        const media = Object.keys(operation.requestBody.content)
        assert.isNotEmpty(media, where)
        if (media.includes('application/json')) {
          assert.equal(operation.requestBody.content['application/json'].schema.type, 'object')
        }
      }
    }
    for (const [type, item] of Object.entries<any>(document.webhooks ?? {})) {
      const envelope = item.post.requestBody.content['application/json'].schema
      assert.deepEqual(envelope.properties.type, { const: type })
      assert.include(
        item.post.parameters.map((p: any) => p.name),
        'X-FloMastr-Signature',
        type
      )
    }
    for (const ref of refsIn(document)) {
      assert.isDefined(resolve(document, ref), `unresolvable ${ref}`)
    }
  })

  test('every /api/v1 route has an operation and every operation a route', async ({ assert }) => {
    const document = await fetchDocument()
    const routes = apiRoutes().filter((route) => route.name !== DOCUMENT_ROUTE_NAME)
    const routeKeys = new Set(routes.map((r) => `${r.method} ${openApiPath(r.pattern)}`))
    const operationKeys = new Set(operationsOf(document).map((o) => `${o.method} ${o.path}`))

    const undocumented = routes
      .filter((r) => !operationKeys.has(`${r.method} ${openApiPath(r.pattern)}`))
      .map((r) => `${r.method} ${r.pattern} (${r.name ?? 'unnamed'})`)
    const routeNames = new Set(routes.map((r) => r.name))
    const orphans = [...documentedOperations().keys()].filter((name) => !routeNames.has(name))
    const phantom = [...operationKeys].filter((key) => !routeKeys.has(key))

    assert.deepEqual(undocumented, [], `routes without documentApi(): ${undocumented.join(', ')}`)
    assert.deepEqual(
      orphans,
      [],
      `documentApi() for routes that do not exist: ${orphans.join(', ')}`
    )
    assert.deepEqual(phantom, [])
    // The document itself is public and is not an operation of the API.
    assert.notProperty(document.paths, '/openapi.json')
  })

  test("path parameters match the router's, and bodies are exactly the validators' fields", async ({
    assert,
  }) => {
    const document = await fetchDocument()
    const docs = documentedOperations()
    let bodies = 0
    for (const route of apiRoutes()) {
      const doc = route.name ? docs.get(route.name) : undefined
      if (!doc) continue
      const path = openApiPath(route.pattern)
      const operation = document.paths[path][route.method.toLowerCase()]
      const params = (operation.parameters ?? []).filter((p: any) => p.in === 'path')
      assert.deepEqual(
        params.map((p: any) => p.name),
        pathParamsOf(route.pattern),
        `${route.method} ${route.pattern}`
      )
      if (doc.body) {
        bodies++
        const schema = operation.requestBody.content['application/json'].schema
        assert.deepEqual(
          Object.keys(schema.properties),
          [...doc.body.fields],
          `${route.method} ${route.pattern}: body properties`
        )
        assert.isFalse(schema.additionalProperties, `${route.method} ${route.pattern}`)
      }
    }
    assert.isAbove(bodies, 0, 'no documented operation has a JSON body')
  })

  test('real answers of /me, /channels, /contacts and a 422 fit the document', async ({
    assert,
    cleanup,
  }) => {
    const document = await fetchDocument()
    const made = await makeTenant('oapi')
    cleanup(made.cleanup)
    const { token } = await makeKey(made.tenant)
    await addSandboxChannel(made.tenant, systemActor)
    await defineContactFields(made.context, [{ key: 'plan' }])
    const created = await api('POST', '/api/v1/contacts', {
      token,
      body: { phone: freshPhone(), name: 'Amira', tags: ['lead'], attributes: { plan: 'gold' } },
    })
    assert.equal(created.status, 201)
    await api('POST', '/api/v1/contacts', { token, body: { phone: freshPhone() } })

    const me = await api('GET', '/api/v1/me', { token })
    assert.equal(me.status, 200)
    conforms(assert, document, responseSchema(document, 'GET', '/me', 200), me.json, 'GET /me')

    const channels = await api('GET', '/api/v1/channels', { token })
    assert.equal(channels.status, 200)
    assert.lengthOf(channels.json.data, 1)
    conforms(
      assert,
      document,
      responseSchema(document, 'GET', '/channels', 200),
      channels.json,
      'GET /channels'
    )

    const contacts = await api('GET', '/api/v1/contacts?limit=1', { token })
    assert.equal(contacts.status, 200)
    assert.isString(contacts.json.next_cursor)
    const contactsSchema = responseSchema(document, 'GET', '/contacts', 200)
    conforms(assert, document, contactsSchema, contacts.json, 'GET /contacts')
    // The checker is not vacuous: a page missing next_cursor or with a stray field fails.
    assert.isNotEmpty(schemaErrors(contactsSchema, { data: contacts.json.data }, document))
    assert.isNotEmpty(
      schemaErrors(contactsSchema, { ...contacts.json, data: [{ id: 1 }] }, document)
    )

    const one = await api('GET', `/api/v1/contacts/${created.json.id}`, { token })
    conforms(
      assert,
      document,
      responseSchema(document, 'GET', '/contacts/{id}', 200),
      one.json,
      'GET /contacts/:id'
    )

    const invalid = await api('POST', '/api/v1/contacts', {
      token,
      body: { phone: 'not a phone', email: 'nope' },
    })
    assert.equal(invalid.status, 422)
    conforms(
      assert,
      document,
      responseSchema(document, 'POST', '/contacts', 422),
      invalid.json,
      '422'
    )
    const codes = document.paths['/contacts'].post.responses['422']['x-error-codes']
    assert.include(codes, invalid.json.error.code)
    // The rate-limit headers the document promises are on the answer.
    for (const name of Object.keys(document.paths['/me'].get.responses['200'].headers)) {
      assert.isNotNull(me.headers.get(name), name)
    }
  })
})

test.group('OpenAPI document, every list', () => {
  test('every GET without path or required query parameters answers 200 in its documented shape', async ({
    assert,
    cleanup,
  }) => {
    const document = await fetchDocument()
    const made = await makeTenant('oapil')
    cleanup(made.cleanup)
    const { token } = await makeKey(made.tenant)
    await addSandboxChannel(made.tenant, systemActor)
    await api('POST', '/api/v1/contacts', { token, body: { phone: freshPhone() } })
    // A search that needs its terms (booking slots: a service and a range) is tested by its module.
    const lists = operationsOf(document).filter(
      ({ method, path, operation }) =>
        method === 'GET' &&
        !path.includes('{') &&
        !(operation.parameters ?? []).some((p: any) => p.in === 'query' && p.required)
    )
    assert.isAbove(lists.length, 3)
    for (const { path } of lists) {
      const response = await api('GET', `/api/v1${path}`, { token })
      assert.equal(response.status, 200, `GET ${path}: ${response.text}`)
      const [mediaType] = Object.keys(document.paths[path].get.responses['200'].content)
      if (mediaType !== 'application/json') {
        // A file (the contacts CSV): the documented media type is the one served.
        assert.match(response.headers.get('content-type') ?? '', new RegExp(`^${mediaType}`))
        continue
      }
      conforms(assert, document, responseSchema(document, 'GET', path, 200), response.json, path)
    }
  })
})

test.group('API reference page', () => {
  test('renders every documented endpoint with its scope, fields, errors and a curl line', async ({
    assert,
    cleanup,
  }) => {
    const document = await fetchDocument()
    const w = await makeWorkspace(cleanup, 'apiref')
    const web = await signIn(await w.member('owner'))
    const keys = await web.get(`${w.base}/settings/api-keys`)
    assert.include(keys.body, `href="${w.base}/settings/api-reference"`)

    const page = await web.get(`${w.base}/settings/api-reference`)
    assert.equal(page.status, 200)
    assert.include(page.body, '<html lang="en" dir="ltr">')
    assert.include(page.body, 'API reference')
    assert.include(page.body, 'href="/api/v1/openapi.json"')
    for (const { method, path, operation } of operationsOf(document)) {
      assert.include(page.body, `data-operation="${method} /api/v1${path}"`)
      if (operation['x-scope']) assert.include(page.body, operation['x-scope'])
    }
    for (const tag of document.tags) assert.include(page.body, `data-tag="${tag.name}"`)
    assert.include(page.body, 'curl -X GET')
    assert.include(page.body, 'Authorization: Bearer $FLOMASTR_API_KEY')
    assert.include(page.body, 'insufficient_scope')

    const contacts = document.paths['/contacts']?.post
    if (contacts) {
      assert.include(page.body, 'data-field="phone"')
      assert.include(page.body, 'curl -X POST')
      assert.include(page.body, 'Idempotency-Key: $(uuidgen)')
    }
  })

  test('reads right to left in Arabic, and is for the managers who hold keys', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'apiref')
    const owner = await w.member('owner')
    owner.locale = 'ar'
    await owner.save()
    const page = await (await signIn(owner)).get(`${w.base}/settings/api-reference`)
    assert.equal(page.status, 200)
    assert.include(page.body, '<html lang="ar" dir="rtl">')
    assert.include(page.body, 'مرجع الواجهة البرمجية')
    assert.include(page.body, 'رموز الأخطاء')
    assert.include(page.body, 'dir="ltr"')

    const agent = await signIn(await w.member('agent'))
    assert.equal((await agent.get(`${w.base}/settings/api-reference`)).status, 403)
  })
})
