/*
| VineJS 3 has no JSON Schema export, so the document's request bodies are
| read from what a compiled validator really runs: its compiler tree (object,
| array, record, tuple, union and literal nodes, with optional/nullable) and
| the rule functions in its refs. A rule is recognised by its function's
| identity, learned once by compiling a probe of each built-in rule; custom
| rules say what they mean through describeRule(). A rule nobody describes
| adds nothing, so the schema is never stricter than the validator.
*/
import vine, { type VineValidator } from '@vinejs/vine'
import type { SchemaTypes } from '@vinejs/vine/types'
import { ruleDescriberOf, type JsonSchema } from '#app/http/api/index'

interface ValidationNode {
  ruleFnId: string
}
interface CompilerNode {
  type: 'literal' | 'object' | 'array' | 'record' | 'tuple' | 'union'
  subtype?: string
  fieldName: string
  isOptional?: boolean
  allowNull?: boolean
  allowUnknownProperties?: boolean
  validations?: ValidationNode[]
  properties?: CompilerNode[]
  each?: CompilerNode
  conditions?: Array<{ schema: CompilerNode }>
}
type Refs = Record<string, unknown>
type Compiled = { schema: { schema: CompilerNode }; refs: Refs }

/** What a known rule adds to the schema, given its options and the schema so far. */
type RuleEffect = (options: any, schema: JsonSchema) => void

const DEFAULT_DATE_FORMATS = ['YYYY-MM-DD', 'YYYY-MM-DD HH:mm:ss']

function escapeRegExp(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function choicesOf(options: any): unknown[] | null {
  return Array.isArray(options?.choices) ? options.choices : null
}

/** Probes: a schema whose last rule is the built-in rule, and what that rule means. */
function probes(): Array<[SchemaTypes, RuleEffect]> {
  const s = () => vine.string()
  const n = () => vine.number()
  const a = () => vine.array(vine.string())
  const r = () => vine.record(vine.string())
  return [
    [s().email(), (_o, x) => (x.format = 'email')],
    [s().url(), (_o, x) => (x.format = 'uri')],
    [s().activeUrl(), (_o, x) => (x.format = 'uri')],
    [s().uuid(), (_o, x) => (x.format = 'uuid')],
    [
      s().ipAddress(),
      (o, x) => {
        if (o?.version === 4 || o?.version === 6) x.format = `ipv${o.version}`
      },
    ],
    [
      s().regex(/x/),
      (o, x) => {
        if (o instanceof RegExp) x.pattern = o.source
      },
    ],
    [s().minLength(1), (o, x) => (x.minLength = o.min)],
    [s().maxLength(1), (o, x) => (x.maxLength = o.max)],
    [
      s().fixedLength(1),
      (o, x) => {
        x.minLength = o.size
        x.maxLength = o.size
      },
    ],
    [s().startsWith('x'), (o, x) => (x.pattern ??= `^${escapeRegExp(String(o.substring))}`)],
    [s().endsWith('x'), (o, x) => (x.pattern ??= `${escapeRegExp(String(o.substring))}$`)],
    [s().hexCode(), (_o, x) => (x.pattern ??= '^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$')],
    [
      s().in(['x']),
      (o, x) => {
        const choices = choicesOf(o)
        if (choices) x.enum = choices
      },
    ],
    [
      s().notIn(['x']),
      (o, x) => {
        const list = Array.isArray(o?.list) ? o.list : null
        if (list) x.not = { enum: list }
      },
    ],
    [n().min(1), (o, x) => (x.minimum = o.min)],
    [n().max(1), (o, x) => (x.maximum = o.max)],
    [
      n().range([1, 2]),
      (o, x) => {
        x.minimum = o.min
        x.maximum = o.max
      },
    ],
    [n().positive(), (_o, x) => (x.minimum = 0)],
    [n().negative(), (_o, x) => (x.maximum = 0)],
    [n().withoutDecimals(), (_o, x) => (x.type = 'integer')],
    [
      n().in([1]),
      (o, x) => {
        const values = Array.isArray(o?.values) ? o.values : null
        if (values) x.enum = values
      },
    ],
    [a().minLength(1), (o, x) => (x.minItems = o.min)],
    [a().maxLength(1), (o, x) => (x.maxItems = o.max)],
    [
      a().fixedLength(1),
      (o, x) => {
        x.minItems = o.size
        x.maxItems = o.size
      },
    ],
    [a().notEmpty(), (_o, x) => (x.minItems = Math.max(1, Number(x.minItems ?? 0)))],
    [
      a().distinct(),
      (o, x) => {
        if (!o?.fields) x.uniqueItems = true
      },
    ],
    [r().minLength(1), (o, x) => (x.minProperties = o.min)],
    [r().maxLength(1), (o, x) => (x.maxProperties = o.max)],
    [
      r().fixedLength(1),
      (o, x) => {
        x.minProperties = o.size
        x.maxProperties = o.size
      },
    ],
  ]
}

let knownRules: Map<unknown, RuleEffect> | null = null

function ruleEffects() {
  if (knownRules) return knownRules
  knownRules = new Map()
  for (const [schema, effect] of probes()) {
    const { schema: root, refs } = compiledOf(vine.object({ probe: schema }))
    const node = root.schema.properties![0]
    const last = node.validations!.at(-1)!
    knownRules.set(validatorOf(refs, last), effect)
  }
  return knownRules
}

function compiledOf(schema: SchemaTypes | VineValidator<any, any>): Compiled {
  const validator = 'toJSON' in schema ? schema : vine.compile(schema as any)
  return validator.toJSON() as unknown as Compiled
}

function validatorOf(refs: Refs, validation: ValidationNode) {
  return (refs[validation.ruleFnId] as { validator?: unknown } | undefined)?.validator
}

function optionsOf(refs: Refs, validation: ValidationNode) {
  return (refs[validation.ruleFnId] as { options?: unknown } | undefined)?.options
}

function applyRules(node: CompilerNode, refs: Refs, schema: JsonSchema) {
  const effects = ruleEffects()
  for (const validation of node.validations ?? []) {
    const validator = validatorOf(refs, validation)
    const options = optionsOf(refs, validation)
    const effect = effects.get(validator)
    if (effect) {
      effect(options, schema)
      continue
    }
    const describe = ruleDescriberOf(validator)
    if (describe) Object.assign(schema, describe(options))
  }
}

/** The options of the node's first rule of a given kind (enum choices, literal value, date formats). */
function firstOptions(node: CompilerNode, refs: Refs, has: (options: any) => boolean) {
  for (const validation of node.validations ?? []) {
    const options = optionsOf(refs, validation)
    if (options && typeof options === 'object' && has(options)) return options as any
  }
  return null
}

function literalSchema(node: CompilerNode, refs: Refs): JsonSchema {
  const schema: JsonSchema = {}
  switch (node.subtype) {
    case 'string':
      schema.type = 'string'
      break
    case 'number':
      schema.type = 'number'
      break
    case 'boolean':
      schema.type = 'boolean'
      break
    case 'enum': {
      const choices = choicesOf(firstOptions(node, refs, (o) => 'choices' in o))
      if (choices) {
        schema.enum = choices
        if (choices.every((c) => typeof c === 'string')) schema.type = 'string'
        else if (choices.every((c) => typeof c === 'number')) schema.type = 'number'
      }
      break
    }
    case 'literal': {
      const options = firstOptions(node, refs, (o) => 'expectedValue' in o)
      if (options) schema.const = options.expectedValue
      break
    }
    case 'date': {
      const options = firstOptions(node, refs, (o) => 'formats' in o) ?? {}
      const formats = options.formats ?? DEFAULT_DATE_FORMATS
      schema.type = 'string'
      if (Array.isArray(formats)) schema['x-date-formats'] = formats
      break
    }
    case 'checkbox':
      schema.enum = ['on', '1', 'yes', 'true', true, 1]
      break
  }
  applyRules(node, refs, schema)
  return schema
}

function withNull(schema: JsonSchema): JsonSchema {
  if (typeof schema.type === 'string') {
    const out: JsonSchema = { ...schema, type: [schema.type, 'null'] }
    if (Array.isArray(schema.enum)) out.enum = [...schema.enum, null]
    return out
  }
  if (Array.isArray(schema.enum)) return { ...schema, enum: [...schema.enum, null] }
  if ('const' in schema) return { enum: [schema.const, null] }
  return { anyOf: [schema, { type: 'null' }] }
}

function nodeSchema(node: CompilerNode, refs: Refs, root = false): JsonSchema {
  let schema: JsonSchema
  switch (node.type) {
    case 'object': {
      const properties: Record<string, JsonSchema> = {}
      const required: string[] = []
      for (const child of node.properties ?? []) {
        properties[child.fieldName] = nodeSchema(child, refs)
        if (!('isOptional' in child) || !child.isOptional) required.push(child.fieldName)
      }
      schema = { type: 'object', properties }
      if (required.length) schema.required = required
      // The API refuses unknown fields at the top of a body (validateApiBody);
      // inside, VineJS drops them, so they are not worth sending either.
      if (!node.allowUnknownProperties) schema.additionalProperties = false
      applyRules(node, refs, schema)
      break
    }
    case 'array':
      schema = { type: 'array', items: nodeSchema(node.each!, refs) }
      applyRules(node, refs, schema)
      break
    case 'record':
      schema = { type: 'object', additionalProperties: nodeSchema(node.each!, refs) }
      applyRules(node, refs, schema)
      break
    case 'tuple':
      schema = {
        type: 'array',
        prefixItems: (node.properties ?? []).map((child) => nodeSchema(child, refs)),
      }
      if (!node.allowUnknownProperties) schema.items = false
      applyRules(node, refs, schema)
      break
    case 'union':
      schema = { anyOf: (node.conditions ?? []).map(({ schema: s }) => nodeSchema(s, refs)) }
      break
    default:
      schema = literalSchema(node, refs)
  }
  if (!root && node.allowNull) schema = withNull(schema)
  return schema
}

/**
 * The JSON Schema (2020-12) of a VineJS schema or compiled validator: for a
 * request body, pass the apiBody()'s validator.
 */
export function vineToJsonSchema(schema: SchemaTypes | VineValidator<any, any>): JsonSchema {
  const { schema: root, refs } = compiledOf(schema)
  return nodeSchema(root.schema, refs, true)
}
