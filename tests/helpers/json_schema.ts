/*
| A small JSON Schema (2020-12) checker for the subset our OpenAPI document
| uses, so tests can hold real API responses against the document: type,
| enum, const, properties/required/additionalProperties, items/prefixItems,
| anyOf/oneOf, local $ref, string and number limits, and the formats we
| emit. A keyword it does not know fails loudly rather than passing.
*/

type Schema = Record<string, any> | boolean

const KNOWN = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'prefixItems',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  // Annotations: no effect on validity.
  'description',
  'title',
  'example',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  'contentMediaType',
  'x-date-formats',
])

const FORMATS: Record<string, RegExp> = {
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  'uuid': /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  'email': /^[^\s@]+@[^\s@]+$/,
  'uri': /^[a-z][a-z0-9+.-]*:/i,
  'e164': /^\+[1-9]\d{6,14}$/,
}

function typeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

function matchesType(value: unknown, type: string) {
  const actual = typeOf(value)
  return actual === type || (type === 'number' && actual === 'integer')
}

function resolveRef(root: any, ref: string) {
  if (!ref.startsWith('#/')) throw new Error(`Only local $refs are supported: ${ref}`)
  const target = ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node: any, part) => node?.[part], root)
  if (target === undefined) throw new Error(`Unresolvable $ref ${ref}`)
  return target
}

function equal(a: unknown, b: unknown) {
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * The ways `value` breaks `schema`, each as "path: problem"; empty when it
 * conforms. `root` is the document $refs point into.
 */
export function schemaErrors(
  schema: Schema,
  value: unknown,
  root: unknown = schema,
  path = '$'
): string[] {
  if (schema === true) return []
  if (schema === false) return [`${path}: no value is allowed here`]
  const errors: string[] = []
  for (const keyword of Object.keys(schema)) {
    if (!KNOWN.has(keyword)) throw new Error(`${path}: unsupported keyword ${keyword}`)
  }
  if (schema.$ref) errors.push(...schemaErrors(resolveRef(root, schema.$ref), value, root, path))

  if (schema.type !== undefined) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type]
    if (!types.some((type) => matchesType(value, type))) {
      return [...errors, `${path}: expected ${types.join(' or ')}, got ${typeOf(value)}`]
    }
  }
  if (schema.enum && !schema.enum.some((choice: unknown) => equal(choice, value))) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`)
  }
  if ('const' in schema && !equal(schema.const, value)) {
    errors.push(`${path}: expected ${JSON.stringify(schema.const)}`)
  }
  if (schema.anyOf) {
    const fits = schema.anyOf.some((s: Schema) => !schemaErrors(s, value, root, path).length)
    if (!fits) errors.push(`${path}: matches none of anyOf`)
  }
  if (schema.oneOf) {
    const fits = schema.oneOf.filter((s: Schema) => !schemaErrors(s, value, root, path).length)
    if (fits.length !== 1) errors.push(`${path}: matches ${fits.length} of oneOf, not exactly 1`)
  }
  for (const part of schema.allOf ?? []) errors.push(...schemaErrors(part, value, root, path))
  if (schema.not && !schemaErrors(schema.not, value, root, path).length) {
    errors.push(`${path}: matches a schema it must not`)
  }

  if (typeof value === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) {
      errors.push(`${path}: shorter than ${schema.minLength}`)
    }
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength) {
      errors.push(`${path}: longer than ${schema.maxLength}`)
    }
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) {
      errors.push(`${path}: does not match ${schema.pattern}`)
    }
    if (schema.format && FORMATS[schema.format] && !FORMATS[schema.format].test(value)) {
      errors.push(`${path}: ${JSON.stringify(value)} is not a ${schema.format}`)
    }
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) {
      errors.push(`${path}: below ${schema.minimum}`)
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      errors.push(`${path}: above ${schema.maximum}`)
    }
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
      errors.push(`${path}: not above ${schema.exclusiveMinimum}`)
    }
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) {
      errors.push(`${path}: not below ${schema.exclusiveMaximum}`)
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      errors.push(`${path}: fewer than ${schema.minItems} items`)
    }
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      errors.push(`${path}: more than ${schema.maxItems} items`)
    }
    if (schema.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) {
      errors.push(`${path}: has repeated items`)
    }
    const prefix: Schema[] = schema.prefixItems ?? []
    value.forEach((item, index) => {
      const itemSchema = index < prefix.length ? prefix[index] : schema.items
      if (itemSchema !== undefined) {
        errors.push(...schemaErrors(itemSchema, item, root, `${path}[${index}]`))
      }
    })
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>
    const keys = Object.keys(object)
    for (const name of schema.required ?? []) {
      if (!(name in object)) errors.push(`${path}: missing required property ${name}`)
    }
    if (schema.minProperties !== undefined && keys.length < schema.minProperties) {
      errors.push(`${path}: fewer than ${schema.minProperties} properties`)
    }
    if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) {
      errors.push(`${path}: more than ${schema.maxProperties} properties`)
    }
    for (const key of keys) {
      const child = `${path}.${key}`
      if (schema.properties && key in schema.properties) {
        errors.push(...schemaErrors(schema.properties[key], object[key], root, child))
      } else if (schema.additionalProperties === false) {
        errors.push(`${path}: property ${key} is not in the schema`)
      } else if (typeof schema.additionalProperties === 'object') {
        errors.push(...schemaErrors(schema.additionalProperties, object[key], root, child))
      }
    }
  }
  return errors
}
