import { test } from '@japa/runner'
import { schemaErrors } from '#tests/helpers/json_schema'

/* The checker the OpenAPI tests trust must itself refuse what it should. */
test.group('JSON Schema checker (test helper)', () => {
  const root = {
    components: {
      schemas: {
        Item: {
          type: 'object',
          required: ['id', 'at'],
          additionalProperties: false,
          properties: {
            id: { type: 'string', format: 'uuid' },
            at: { type: 'string', format: 'date-time' },
            note: { type: ['string', 'null'], maxLength: 3 },
            tags: { type: 'array', items: { type: 'string' }, uniqueItems: true },
            kind: { enum: ['a', 'b'] },
          },
        },
      },
    },
  }
  const item = { $ref: '#/components/schemas/Item' }
  const good = { id: '0b7e8f52-3c1d-4d7a-9a55-2f6c1e0b9d41', at: '2026-01-31T09:00:00.000Z' }

  test('a conforming value has no errors', ({ assert }) => {
    assert.deepEqual(schemaErrors(item, good, root), [])
    assert.deepEqual(schemaErrors(item, { ...good, note: null, tags: ['x'], kind: 'a' }, root), [])
  })

  test('each kind of breach is named with its path', ({ assert }) => {
    const cases: Array<[unknown, string]> = [
      [{ at: good.at }, 'missing required property id'],
      [{ ...good, id: 'nope' }, '$.id: "nope" is not a uuid'],
      [{ ...good, at: '31/01/2026' }, 'is not a date-time'],
      [{ ...good, extra: 1 }, 'property extra is not in the schema'],
      [{ ...good, note: 'long' }, '$.note: longer than 3'],
      [{ ...good, note: 5 }, '$.note: expected string or null, got integer'],
      [{ ...good, tags: ['x', 'x'] }, '$.tags: has repeated items'],
      [{ ...good, tags: [1] }, '$.tags[0]: expected string'],
      [{ ...good, kind: 'c' }, '$.kind: "c" is not one of'],
      [[], 'expected object, got array'],
    ]
    for (const [value, problem] of cases) {
      const errors = schemaErrors(item, value, root)
      assert.isTrue(
        errors.some((error) => error.includes(problem)),
        `${JSON.stringify(value)} → ${JSON.stringify(errors)}`
      )
    }
  })

  test('anyOf, const and integer-versus-number behave as JSON Schema says', ({ assert }) => {
    const schema = { anyOf: [{ type: 'integer' }, { const: 'x' }] }
    assert.deepEqual(schemaErrors(schema, 3), [])
    assert.deepEqual(schemaErrors(schema, 'x'), [])
    assert.isNotEmpty(schemaErrors(schema, 3.5))
    assert.deepEqual(schemaErrors({ type: 'number' }, 3), [])
  })

  test('an unknown keyword is an error, not a silent pass', ({ assert }) => {
    assert.throws(() => schemaErrors({ type: 'string', dependentSchemas: {} }, 'x'))
  })
})
