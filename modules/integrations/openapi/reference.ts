/*
| The readable reference is a view of the OpenAPI document, not a second
| description: endpoints grouped by tag, each with its scope, parameters,
| body fields (types and limits as the validator enforces them), responses,
| error codes and a curl line a person can paste. Limits are worded through
| i18n so the Arabic page reads in Arabic; names, paths and codes stay as
| the API spells them.
*/
import type { JsonSchema } from '#app/http/api/index'
import { API_PREFIX } from './document.js'

interface Translator {
  t(identifier: string, data?: Record<string, any>): string
}

export interface ReferenceField {
  name: string
  type: string
  required: boolean
  nullable: boolean
  limits: string[]
  description: string | null
}

export interface ReferenceOperation {
  anchor: string
  method: string
  path: string
  summary: string
  description: string | null
  scope: string | null
  idempotent: boolean
  parameters: Array<ReferenceField & { where: string }>
  body: ReferenceField[] | null
  bodyType: string | null
  responses: Array<{ status: string; description: string; page: boolean; fields: ReferenceField[] }>
  errors: Array<{ status: string; codes: string[] }>
  curl: string
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete']

function slug(text: string) {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
}

/** Follows a local $ref (#/components/...) once or more. */
function resolve(document: any, schema: any): any {
  let current = schema
  for (let hops = 0; current && typeof current.$ref === 'string' && hops < 10; hops++) {
    const path = current.$ref.replace(/^#\//, '').split('/')
    current = path.reduce((node: any, part: string) => node?.[part], document)
  }
  return current ?? {}
}

function typesOf(schema: JsonSchema): string[] {
  const type = schema.type
  return Array.isArray(type) ? type.map(String) : type ? [String(type)] : []
}

function isNullable(schema: JsonSchema) {
  return (
    typesOf(schema).includes('null') ||
    (Array.isArray(schema.enum) && schema.enum.includes(null)) ||
    (Array.isArray(schema.anyOf) && schema.anyOf.some((s: any) => s?.type === 'null'))
  )
}

function typeLabel(document: any, raw: JsonSchema): string {
  const schema = resolve(document, raw)
  if (Array.isArray(schema.anyOf)) {
    return schema.anyOf
      .filter((s: any) => s?.type !== 'null')
      .map((s: any) => typeLabel(document, s))
      .join(' | ')
  }
  if ('const' in schema) return JSON.stringify(schema.const)
  const types = typesOf(schema).filter((t) => t !== 'null')
  const main = types[0] ?? 'any'
  if (main === 'array') return `array<${typeLabel(document, schema.items ?? {})}>`
  if (main === 'object' && schema.additionalProperties && !schema.properties) {
    return `object<string, ${typeLabel(document, schema.additionalProperties)}>`
  }
  return types.length ? types.join(' | ') : main
}

function limitsOf(schema: JsonSchema, i18n: Translator): string[] {
  const limits: string[] = []
  // Values (patterns, formats, lists) are API tokens: isolated left to right
  // (U+2066..U+2069) so a pattern reads the same inside an Arabic sentence.
  const isolate = (value: unknown) => `\u2066${String(value)}\u2069`
  const say = (key: string, data?: Record<string, unknown>) =>
    limits.push(
      i18n.t(
        `integrations.reference.limits.${key}`,
        Object.fromEntries(
          Object.entries(data ?? {}).map(([name, value]) => [
            name,
            typeof value === 'number' ? value : isolate(value),
          ])
        )
      )
    )
  if (Array.isArray(schema.enum)) {
    say('one_of', { values: schema.enum.filter((v: unknown) => v !== null).join(', ') })
  }
  if (schema.format) say('format', { format: schema.format })
  if (schema.pattern) say('pattern', { pattern: schema.pattern })
  if (schema.minLength !== undefined) say('min_length', { n: schema.minLength })
  if (schema.maxLength !== undefined) say('max_length', { n: schema.maxLength })
  if (schema.minimum !== undefined) say('minimum', { n: schema.minimum })
  if (schema.maximum !== undefined) say('maximum', { n: schema.maximum })
  if (schema.minItems !== undefined) say('min_items', { n: schema.minItems })
  if (schema.maxItems !== undefined) say('max_items', { n: schema.maxItems })
  if (schema.uniqueItems) say('unique')
  if (schema.minProperties !== undefined) say('min_properties', { n: schema.minProperties })
  if (schema.maxProperties !== undefined) say('max_properties', { n: schema.maxProperties })
  if (Array.isArray(schema['x-date-formats'])) {
    say('date_formats', { formats: schema['x-date-formats'].join(', ') })
  }
  return limits
}

/** An object schema's properties as rows; nested objects and arrays of objects as a.b and a[].b. */
export function fieldsOf(
  document: any,
  raw: JsonSchema,
  i18n: Translator,
  prefix = '',
  depth = 0
): ReferenceField[] {
  const schema = resolve(document, raw)
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
  const required = new Set((schema.required ?? []) as string[])
  const fields: ReferenceField[] = []
  for (const [name, propertyRaw] of Object.entries(properties)) {
    const property = resolve(document, propertyRaw)
    const plain = Array.isArray(property.anyOf)
      ? (property.anyOf.find((s: any) => s?.type !== 'null') ?? property)
      : property
    const element = resolve(document, plain.items ?? {})
    const items = typesOf(plain).includes('array') ? element : null
    fields.push({
      name: `${prefix}${name}`,
      type: typeLabel(document, property),
      required: required.has(name),
      nullable: isNullable(property),
      limits: [
        ...limitsOf(plain, i18n),
        ...(items && !typesOf(items).includes('object')
          ? limitsOf(items, i18n).map((rule) =>
              i18n.t('integrations.reference.limits.each_item', { rule })
            )
          : []),
      ],
      description: (property.description ?? plain.description ?? null) as string | null,
    })
    if (depth < 3) {
      const resolved = resolve(document, plain)
      if (resolved.properties) {
        fields.push(...fieldsOf(document, resolved, i18n, `${prefix}${name}.`, depth + 1))
      } else if (items?.properties) {
        fields.push(...fieldsOf(document, items, i18n, `${prefix}${name}[].`, depth + 1))
      }
    }
  }
  return fields
}

/** A plausible value for a schema, for the curl example. */
export function exampleOf(document: any, raw: JsonSchema, name = '', depth = 0): unknown {
  const schema = resolve(document, raw)
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0]
  if (schema.example !== undefined) return schema.example
  if ('const' in schema) return schema.const
  if (Array.isArray(schema.anyOf)) {
    return exampleOf(document, schema.anyOf.find((s: any) => s?.type !== 'null') ?? {}, name, depth)
  }
  if (Array.isArray(schema.enum)) return schema.enum.find((v: unknown) => v !== null)
  const type = typesOf(schema).find((t) => t !== 'null')
  if (type === 'integer' || type === 'number') return schema.minimum ?? 1
  if (type === 'boolean') return true
  if (type === 'array') {
    return depth > 3 ? [] : [exampleOf(document, schema.items ?? {}, name, depth + 1)]
  }
  if (type === 'object') {
    if (!schema.properties || depth > 3) return {}
    return objectExample(document, schema, depth + 1)
  }
  if (schema.format === 'email') return 'ana@example.com'
  if (schema.format === 'e164' || /phone/.test(name)) return '+971501234567'
  if (schema.format === 'uri' || /url/.test(name)) return 'https://example.com/hook'
  if (schema.format === 'uuid' || /(^|_)id$/.test(name))
    return '0b7e8f52-3c1d-4d7a-9a55-2f6c1e0b9d41'
  if (schema.format === 'date-time') return '2026-01-31T09:00:00Z'
  if (name === 'name') return 'Ana Silva'
  if (/text|body|message|content/.test(name)) return 'Hello from the API'
  return 'example'
}

function objectExample(document: any, schema: any, depth: number) {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
  const required = (schema.required ?? []) as string[]
  const names = required.length ? required : Object.keys(properties).slice(0, 2)
  return Object.fromEntries(
    names
      .filter((name) => properties[name])
      .map((name) => [name, exampleOf(document, properties[name], name, depth)])
  )
}

function shellQuote(text: string) {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

function curlOf(origin: string, method: string, path: string, operation: any, document: any) {
  const url = `${origin}${API_PREFIX}${path.replace(/\{(\w+)\}/g, (_, name) => `$${name.toUpperCase()}`)}`
  const lines = [
    `curl -X ${method.toUpperCase()} "${url}"`,
    `  -H "Authorization: Bearer $FLOMASTR_API_KEY"`,
  ]
  const hasIdempotency = (operation.parameters ?? []).some(
    (p: any) => p.$ref === '#/components/parameters/Idempotency-Key'
  )
  if (hasIdempotency) lines.push(`  -H "Idempotency-Key: $(uuidgen)"`)
  const json = operation.requestBody?.content?.['application/json']?.schema
  const multipart = operation.requestBody?.content?.['multipart/form-data']?.schema
  if (json) {
    lines.push(`  -H "Content-Type: application/json"`)
    lines.push(
      `  -d ${shellQuote(JSON.stringify(objectExample(document, resolve(document, json), 0)))}`
    )
  } else if (multipart) {
    for (const [name, field] of Object.entries(
      (multipart.properties ?? {}) as Record<string, any>
    )) {
      lines.push(field.contentMediaType ? `  -F "${name}=@file.pdf"` : `  -F "${name}=example"`)
    }
  }
  return lines.join(' \\\n')
}

/** The reference page's content, built from the document. */
export function referenceOf(document: any, origin: string, i18n: Translator) {
  const groups = new Map<string, ReferenceOperation[]>()
  for (const tag of document.tags ?? []) groups.set(tag.name, [])
  for (const [path, item] of Object.entries((document.paths ?? {}) as Record<string, any>)) {
    for (const method of METHODS) {
      const operation = item[method]
      if (!operation) continue
      const tag = operation.tags?.[0] ?? 'API'
      const parameters = (operation.parameters ?? []).map((raw: any) => {
        const parameter = resolve(document, raw)
        const schema = parameter.schema ?? {}
        return {
          where: parameter.in,
          name: parameter.name,
          type: typeLabel(document, schema),
          required: !!parameter.required,
          nullable: false,
          limits: limitsOf(schema, i18n),
          description: parameter.description ?? null,
        }
      })
      const content = operation.requestBody?.content ?? {}
      const bodyType = Object.keys(content)[0] ?? null
      const responses = Object.entries((operation.responses ?? {}) as Record<string, any>)
        .filter(([status]) => !status.startsWith('4'))
        .map(([status, response]) => {
          const schema = response.content?.['application/json']?.schema
          const resolved = schema ? resolve(document, schema) : null
          const page = !!resolved?.properties?.next_cursor && !!resolved?.properties?.data
          const shown = page ? resolve(document, resolved.properties.data.items) : resolved
          return {
            status,
            description: response.description ?? '',
            page,
            fields: shown ? fieldsOf(document, shown, i18n) : [],
          }
        })
      const errors = Object.entries((operation.responses ?? {}) as Record<string, any>)
        .filter(([status]) => status.startsWith('4'))
        .map(([status, response]) => ({
          status,
          codes: (response['x-error-codes'] ?? []) as string[],
        }))
      const entry: ReferenceOperation = {
        anchor: slug(`${method}-${path}`),
        method: method.toUpperCase(),
        path: `${API_PREFIX}${path}`,
        summary: operation.summary ?? '',
        description: operation.description ?? null,
        scope: operation['x-scope'] ?? null,
        idempotent: parameters.some((p: any) => p.name === 'Idempotency-Key'),
        parameters,
        body: bodyType ? fieldsOf(document, content[bodyType].schema, i18n) : null,
        bodyType,
        responses,
        errors,
        curl: curlOf(origin, method, path, operation, document),
      }
      if (!groups.has(tag)) groups.set(tag, [])
      groups.get(tag)!.push(entry)
    }
  }
  return {
    title: document.info?.title ?? '',
    version: document.info?.version ?? '',
    baseUrl: `${origin}${API_PREFIX}`,
    tags: [...groups]
      .filter(([, operations]) => operations.length)
      .map(([name, operations]) => ({ name, anchor: `tag-${slug(name)}`, operations })),
    webhooks: Object.entries((document.webhooks ?? {}) as Record<string, any>).map(
      ([type, item]) => ({ type, summary: item.post?.summary ?? '' })
    ),
  }
}
