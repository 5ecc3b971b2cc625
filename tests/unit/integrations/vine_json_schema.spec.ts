import { test } from '@japa/runner'
import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { describeRule, apiBody } from '#app/http/api/index'
import { vineToJsonSchema } from '#modules/integrations/openapi/vine_json_schema'
import { schemaErrors } from '#tests/helpers/json_schema'

const described = vine.createRule(
  (_value: unknown, _options: undefined, _field: FieldContext) => {}
)
describeRule(described, () => ({ format: 'e164', pattern: '^\\+[1-9]\\d{6,14}$' }))
const undescribed = vine.createRule(
  (_value: unknown, _options: undefined, _field: FieldContext) => {}
)

test.group('VineJS to JSON Schema', () => {
  test('strings carry their length, format, pattern and choice rules', ({ assert }) => {
    const schema = vineToJsonSchema(
      vine.object({
        email: vine.string().trim().email().maxLength(254),
        site: vine.string().url(),
        code: vine.string().regex(/^[A-Z]{3}$/),
        id: vine.string().uuid(),
        pin: vine.string().fixedLength(4),
        size: vine.string().in(['s', 'm']),
        prefixed: vine.string().startsWith('wa.'),
        name: vine.string().minLength(1).maxLength(200),
      })
    )
    const p = schema.properties as Record<string, any>
    assert.deepEqual(p.email, { type: 'string', format: 'email', maxLength: 254 })
    assert.deepEqual(p.site, { type: 'string', format: 'uri' })
    assert.deepEqual(p.code, { type: 'string', pattern: '^[A-Z]{3}$' })
    assert.deepEqual(p.id, { type: 'string', format: 'uuid' })
    assert.deepEqual(p.pin, { type: 'string', minLength: 4, maxLength: 4 })
    assert.deepEqual(p.size, { type: 'string', enum: ['s', 'm'] })
    assert.deepEqual(p.prefixed, { type: 'string', pattern: '^wa\\.' })
    assert.deepEqual(p.name, { type: 'string', minLength: 1, maxLength: 200 })
  })

  test('numbers, booleans, enums, literals and dates', ({ assert }) => {
    const schema = vineToJsonSchema(
      vine.object({
        count: vine.number().withoutDecimals().min(1).max(100),
        score: vine.number().range([0, 5]),
        flag: vine.boolean(),
        status: vine.enum(['open', 'resolved'] as const),
        level: vine.enum([1, 2, 3]),
        kind: vine.literal('text'),
        day: vine.date(),
      })
    )
    const p = schema.properties as Record<string, any>
    assert.deepEqual(p.count, { type: 'integer', minimum: 1, maximum: 100 })
    assert.deepEqual(p.score, { type: 'number', minimum: 0, maximum: 5 })
    assert.deepEqual(p.flag, { type: 'boolean' })
    assert.deepEqual(p.status, { type: 'string', enum: ['open', 'resolved'] })
    assert.deepEqual(p.level, { type: 'number', enum: [1, 2, 3] })
    assert.deepEqual(p.kind, { const: 'text' })
    assert.deepEqual(p.day, {
      'type': 'string',
      'x-date-formats': ['YYYY-MM-DD', 'YYYY-MM-DD HH:mm:ss'],
    })
  })

  test('optional fields leave `required`; nullable ones admit null', ({ assert }) => {
    const schema = vineToJsonSchema(
      vine.object({
        phone: vine.string(),
        name: vine.string().maxLength(10).nullable().optional(),
        note: vine.string().nullable(),
        opt_in: vine
          .enum(['a', 'b'] as const)
          .nullable()
          .optional(),
        limit: vine.number().optional(),
      })
    )
    assert.deepEqual(schema.required, ['phone', 'note'])
    const p = schema.properties as Record<string, any>
    assert.deepEqual(p.name, { type: ['string', 'null'], maxLength: 10 })
    assert.deepEqual(p.note, { type: ['string', 'null'] })
    assert.deepEqual(p.opt_in, { type: ['string', 'null'], enum: ['a', 'b', null] })
    assert.deepEqual(p.limit, { type: 'number' })
    assert.isFalse(schema.additionalProperties)
  })

  test('arrays, records, nested objects, tuples and unions', ({ assert }) => {
    const schema = vineToJsonSchema(
      vine.object({
        tags: vine.array(vine.string().minLength(1)).maxLength(30).distinct().optional(),
        ids: vine.array(vine.string()).notEmpty(),
        attributes: vine.record(vine.string().maxLength(500)).maxLength(50),
        contact: vine.object({ phone: vine.string(), name: vine.string().optional() }),
        pair: vine.tuple([vine.string(), vine.number()]),
        either: vine.unionOfTypes([vine.string(), vine.number()]),
        items: vine.array(vine.object({ id: vine.string() }).allowUnknownProperties()),
      })
    )
    const p = schema.properties as Record<string, any>
    assert.deepEqual(p.tags, {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      maxItems: 30,
      uniqueItems: true,
    })
    assert.deepEqual(p.ids, { type: 'array', items: { type: 'string' }, minItems: 1 })
    assert.deepEqual(p.attributes, {
      type: 'object',
      additionalProperties: { type: 'string', maxLength: 500 },
      maxProperties: 50,
    })
    assert.deepEqual(p.contact, {
      type: 'object',
      properties: { phone: { type: 'string' }, name: { type: 'string' } },
      required: ['phone'],
      additionalProperties: false,
    })
    assert.deepEqual(p.pair, {
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'number' }],
      items: false,
    })
    assert.deepEqual(p.either, { anyOf: [{ type: 'string' }, { type: 'number' }] })
    assert.deepEqual(p.items.items, {
      type: 'object',
      properties: { id: { type: 'string' } },
      required: ['id'],
    })
  })

  test('a custom rule adds what describeRule says, and nothing when undescribed', ({ assert }) => {
    const schema = vineToJsonSchema(
      vine.object({
        phone: vine.string().trim().use(described()),
        other: vine.string().use(undescribed()),
      })
    )
    const p = schema.properties as Record<string, any>
    assert.deepEqual(p.phone, { type: 'string', format: 'e164', pattern: '^\\+[1-9]\\d{6,14}$' })
    assert.deepEqual(p.other, { type: 'string' })
  })

  test('an apiBody converts from its compiled validator, with the same fields', ({ assert }) => {
    const body = apiBody({
      phone: vine.string(),
      tags: vine.array(vine.string()).optional(),
    })
    const schema = vineToJsonSchema(body.validator)
    assert.deepEqual(Object.keys(schema.properties as object), body.fields)
  })

  test('values the validator accepts fit the schema, and refused ones mostly do not', async ({
    assert,
  }) => {
    const body = apiBody({
      name: vine.string().trim().minLength(1).maxLength(5),
      count: vine.number().withoutDecimals().range([1, 3]).optional(),
      tags: vine.array(vine.string()).maxLength(2).distinct().optional(),
      kind: vine
        .enum(['a', 'b'] as const)
        .nullable()
        .optional(),
    })
    const schema = vineToJsonSchema(body.validator)
    for (const good of [
      { name: 'ab' },
      { name: 'abcde', count: 3, tags: ['x', 'y'], kind: null },
      { name: 'x', kind: 'b' },
    ]) {
      await body.validator.validate(good)
      assert.deepEqual(schemaErrors(schema, good), [], JSON.stringify(good))
    }
    for (const bad of [
      {},
      { name: 'abcdef' },
      { name: 'a', count: 4 },
      { name: 'a', count: 1.5 },
      { name: 'a', tags: ['x', 'x'] },
      { name: 'a', tags: ['x', 'y', 'z'] },
      { name: 'a', kind: 'c' },
    ]) {
      await assert.rejects(() => body.validator.validate(bad))
      assert.isNotEmpty(schemaErrors(schema, bad), JSON.stringify(bad))
    }
  })
})
