import { test } from '@japa/runner'
import vine from '@vinejs/vine'
import { apiBody } from '#app/http/api/index'
import type { ApiOperationDoc, JsonSchema } from '#app/http/api/index'
import {
  buildOpenApiDocument,
  openApiPath,
  pathParamsOf,
} from '#modules/integrations/openapi/document'
import { exampleOf, referenceOf } from '#modules/integrations/openapi/reference'

const widgetBody = apiBody({
  name: vine.string().trim().maxLength(20),
  size: vine.enum(['s', 'm'] as const).optional(),
})

function build(
  operations: Record<string, ApiOperationDoc>,
  schemas: Record<string, JsonSchema> = {}
) {
  return buildOpenApiDocument({
    routes: [
      { method: 'GET', pattern: '/api/v1/widgets', name: 'api.v1.widgets.index' },
      { method: 'POST', pattern: '/api/v1/widgets', name: 'api.v1.widgets.store' },
      { method: 'GET', pattern: '/api/v1/widgets/:id', name: 'api.v1.widgets.show' },
      { method: 'GET', pattern: '/api/v1/undocumented', name: 'api.v1.undocumented' },
      { method: 'GET', pattern: '/api/v1/openapi.json', name: 'api.v1.openapi' },
    ],
    operations: new Map(Object.entries(operations)),
    schemas: new Map(Object.entries(schemas)),
    version: '9.9.9',
  }) as any
}

const WIDGET = { type: 'object', properties: { id: { type: 'string' } } }
const operations: Record<string, ApiOperationDoc> = {
  'api.v1.widgets.index': {
    summary: 'List widgets',
    tag: 'Widgets',
    scope: 'contacts:read',
    query: { colour: { type: 'string', description: 'Only this colour' } },
    responses: { 200: { description: 'A page of widgets', schema: 'Widget', page: true } },
  },
  'api.v1.widgets.store': {
    summary: 'Create a widget',
    tag: 'Widgets',
    scope: 'contacts:write',
    body: widgetBody,
    bodyFields: { name: 'What to call it' },
    idempotent: true,
    responses: {
      201: { description: 'Created', schema: 'Widget', headers: { Location: 'Its address' } },
    },
    errors: [{ status: 409, code: 'name_taken' }],
  },
  'api.v1.widgets.show': {
    summary: 'Get a widget',
    tag: 'Widgets',
    scope: 'contacts:read',
    params: { id: { type: 'string', format: 'uuid', description: 'The id' } },
    responses: { 200: { description: 'The widget', schema: 'Widget' } },
  },
}

test.group('OpenAPI document builder', () => {
  test('router patterns become OpenAPI paths under the /api/v1 server', ({ assert }) => {
    assert.equal(openApiPath('/api/v1/contacts/by-phone/:phone'), '/contacts/by-phone/{phone}')
    assert.deepEqual(pathParamsOf('/api/v1/a/:id/b/:other'), ['id', 'other'])
  })

  test('only routes that are documented appear; the document route never does', ({ assert }) => {
    const document = build(operations, { Widget: WIDGET })
    assert.deepEqual(Object.keys(document.paths).sort(), ['/widgets', '/widgets/{id}'])
    assert.deepEqual(Object.keys(document.paths['/widgets']).sort(), ['get', 'post'])
    assert.equal(document.info.version, '9.9.9')
    assert.deepEqual(document.tags, [{ name: 'Widgets' }])
    assert.deepEqual(document.info.license, {
      name: 'Proprietary',
      identifier: 'LicenseRef-Proprietary',
    })
    assert.deepEqual(document.components.schemas.Widget, WIDGET)
  })

  test('a page response is wrapped as {data, next_cursor} with limit and cursor parameters', ({
    assert,
  }) => {
    const list = build(operations, { Widget: WIDGET }).paths['/widgets'].get
    const schema = list.responses['200'].content['application/json'].schema
    assert.deepEqual(schema.required, ['data', 'next_cursor'])
    assert.deepEqual(schema.properties.data.items, { $ref: '#/components/schemas/Widget' })
    assert.deepEqual(schema.properties.next_cursor.type, ['string', 'null'])
    const refs = list.parameters.map((p: any) => p.$ref ?? p.name)
    assert.includeMembers(refs, [
      'colour',
      '#/components/parameters/limit',
      '#/components/parameters/cursor',
    ])
    assert.deepEqual(list.security, [{ bearerAuth: ['contacts:read'] }])
  })

  test('error responses follow what the operation does', ({ assert }) => {
    const paths = build(operations, { Widget: WIDGET }).paths
    const codes = (op: any) =>
      Object.fromEntries(
        Object.entries<any>(op.responses)
          .filter(([status]) => status.startsWith('4'))
          .map(([status, response]) => [status, response['x-error-codes']])
      )
    assert.deepEqual(codes(paths['/widgets'].post), {
      400: ['invalid_json', 'invalid_idempotency_key'],
      401: ['missing_api_key', 'invalid_api_key', 'revoked_api_key', 'expired_api_key'],
      403: ['insufficient_scope'],
      409: ['idempotency_key_reused', 'request_in_progress', 'name_taken'],
      422: ['validation_failed', 'unknown_field'],
      423: ['tenant_suspended'],
      429: ['rate_limited'],
    })
    // Any query string can carry text the database cannot store: 422 everywhere.
    assert.deepEqual(codes(paths['/widgets/{id}'].get), {
      401: ['missing_api_key', 'invalid_api_key', 'revoked_api_key', 'expired_api_key'],
      403: ['insufficient_scope'],
      404: ['not_found'],
      422: ['validation_failed'],
      423: ['tenant_suspended'],
      429: ['rate_limited'],
    })
    const post = paths['/widgets'].post
    assert.property(post.responses['429'].headers, 'Retry-After')
    assert.property(post.responses['201'].headers, 'RateLimit-Remaining')
    assert.property(post.responses['201'].headers, 'Location')
    assert.deepEqual(post.parameters, [{ $ref: '#/components/parameters/Idempotency-Key' }])
  })

  test('the body is the validator, with the described fields', ({ assert }) => {
    const post = build(operations, { Widget: WIDGET }).paths['/widgets'].post
    const schema = post.requestBody.content['application/json'].schema
    assert.deepEqual(schema.required, ['name'])
    assert.deepEqual(schema.properties.name, {
      type: 'string',
      maxLength: 20,
      description: 'What to call it',
    })
    assert.deepEqual(schema.properties.size, { type: 'string', enum: ['s', 'm'] })
  })

  test('a shared schema may not take the generator’s Error name', ({ assert }) => {
    assert.throws(() => build(operations, { Widget: WIDGET, Error: {} }), /reserved/)
  })
})

test.group('API reference content', () => {
  const i18n = {
    t: (key: string, data?: Record<string, unknown>) => `${key}${data ? JSON.stringify(data) : ''}`,
  }

  test('groups operations by tag with fields, limits, errors and a runnable curl line', ({
    assert,
  }) => {
    const document = build(operations, { Widget: WIDGET })
    const reference = referenceOf(document, 'https://app.example', i18n)
    assert.equal(reference.baseUrl, 'https://app.example/api/v1')
    assert.lengthOf(reference.tags, 1)
    const [list, store, show] = reference.tags[0].operations
    assert.equal(list.path, '/api/v1/widgets')
    assert.isTrue(list.responses[0].page)
    assert.deepEqual(
      store.body!.map((f) => [f.name, f.type, f.required]),
      [
        ['name', 'string', true],
        ['size', 'string', false],
      ]
    )
    assert.equal(store.body![0].description, 'What to call it')
    assert.isTrue(store.body![0].limits[0].startsWith('integrations.reference.limits.max_length'))
    assert.isTrue(store.idempotent)
    assert.equal(
      store.curl,
      [
        'curl -X POST "https://app.example/api/v1/widgets"',
        '  -H "Authorization: Bearer $FLOMASTR_API_KEY"',
        '  -H "Idempotency-Key: $(uuidgen)"',
        '  -H "Content-Type: application/json"',
        `  -d '{"name":"Ana Silva"}'`,
      ].join(' \\\n')
    )
    assert.include(show.curl, '"https://app.example/api/v1/widgets/$ID"')
    assert.deepEqual(
      show.errors.map((e) => e.status),
      ['401', '403', '404', '422', '423', '429']
    )
  })

  test("examples follow types and formats, preferring a schema's own", ({ assert }) => {
    assert.equal(exampleOf({}, { type: 'string', format: 'email' }), 'ana@example.com')
    assert.equal(exampleOf({}, { type: 'string', format: 'e164' }), '+971501234567')
    assert.equal(exampleOf({}, { type: ['string', 'null'], enum: [null, 'b'] }), 'b')
    assert.deepEqual(exampleOf({}, { type: 'array', items: { type: 'integer', minimum: 2 } }), [2])
    assert.equal(exampleOf({}, { type: 'string', examples: ["it's"] }), "it's")
  })
})
