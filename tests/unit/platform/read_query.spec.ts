import { test } from '@japa/runner'
import vine from '@vinejs/vine'
import { readQuery, refusedParameters } from '#app/validation/query'

const listQuery = vine.compile(
  vine.object({
    status: vine.enum(['open', 'closed']).optional(),
    page: vine.number().withoutDecimals().min(1).optional(),
    tags: vine.array(vine.string().maxLength(3)).optional(),
    q: vine.string().trim().optional(),
  })
)

test.group('Query strings | readQuery', () => {
  test('values the schema accepts come back checked, trimmed and typed', async ({ assert }) => {
    const query = await readQuery(listQuery, { status: 'open', page: '3', q: '  policy  ' })
    assert.deepEqual(query, { status: 'open', page: 3, q: 'policy' })
  })

  test('a refused parameter is left out; the others are kept', async ({ assert }) => {
    const query = await readQuery(listQuery, { status: 'bogus', page: '0', q: 'renewal' })
    assert.deepEqual(query, { q: 'renewal' })
  })

  test('a repeated parameter keeps its first value; unknown parameters are dropped', async ({
    assert,
  }) => {
    const query = await readQuery(listQuery, { status: ['closed', 'open'], utm_source: 'mail' })
    assert.deepEqual(query, { status: 'closed' })
  })

  test('refusedParameters names the top-level parameter of a nested message', async ({
    assert,
  }) => {
    const error = await listQuery.validate({ tags: ['ok', 'toolong'] }).catch((caught) => caught)
    assert.deepEqual(refusedParameters(error), ['tags'])
    assert.throws(() => refusedParameters(new Error('not a validation error')))
  })
})
