import { test } from '@japa/runner'
import { checkFilter, parseQuery } from '#modules/data_engine/services/query_parser'
import {
  coerceValue,
  defaultColumn,
  inferColumn,
  readMoney,
  readNumber,
  type DatasetColumn,
} from '#modules/data_engine/services/column_types'

function column(
  name: string,
  slot: string,
  type: DatasetColumn['type'],
  extra: Partial<DatasetColumn> = {}
): DatasetColumn {
  return { ...defaultColumn(name, slot, { type, currency: null, choices: [] }), ...extra }
}

const LISTINGS = [
  column('title', 'c1', 'text'),
  column('community', 'c2', 'choice', {
    choices: ['JLT', 'Dubai Marina', 'Downtown', 'JVC'],
    synonyms: ['area', 'Dubai Marina=مرسى دبي'],
  }),
  column('bedrooms', 'c3', 'integer', { synonyms: ['br', 'bed', 'غرف'] }),
  column('price', 'c4', 'money', { currency: 'AED' }),
  column('type', 'c5', 'choice', { choices: ['Apartment', 'Villa'], synonyms: ['Apartment=شقة'] }),
  column('furnished', 'c6', 'boolean'),
  column('features', 'c7', 'text', { choices: ['sea view', 'balcony'] }),
]

test.group('Query parser', () => {
  test('the issue’s example: bedrooms, community, price and a listed feature', ({ assert }) => {
    assert.deepEqual(parseQuery('2br sea view JLT under 150k', LISTINGS), {
      filters: [
        { column: 'features', op: 'contains', value: 'sea view' },
        { column: 'community', op: 'eq', value: 'JLT' },
        { column: 'bedrooms', op: 'eq', value: 2 },
        { column: 'price', op: 'lte', value: 150000 },
      ],
      rest: '',
      dropped: [],
    })
  })

  test('a list of values for one column: "2 or 3 bedrooms" keeps both', ({ assert }) => {
    const filters = (q: string) => parseQuery(q, LISTINGS).filters
    assert.deepEqual(filters('2 or 3 bedrooms'), [{ column: 'bedrooms', op: 'in', value: [2, 3] }])
    assert.deepEqual(filters('1, 2 or 3 br in JLT'), [
      { column: 'community', op: 'eq', value: 'JLT' },
      { column: 'bedrooms', op: 'in', value: [1, 2, 3] },
    ])
    // Money and a count are not one list.
    assert.deepEqual(filters('2br or 150k'), [
      { column: 'bedrooms', op: 'eq', value: 2 },
      { column: 'price', op: 'eq', value: 150000 },
    ])
  })

  test('"4+ bedroom" is at least 4 bedrooms, not a price', ({ assert }) => {
    const filters = (q: string) => parseQuery(q, LISTINGS).filters
    assert.deepEqual(filters('4+ bedroom villa'), [
      { column: 'type', op: 'eq', value: 'Villa' },
      { column: 'bedrooms', op: 'gte', value: 4 },
    ])
    assert.deepEqual(filters('3+ br under 250k'), [
      { column: 'bedrooms', op: 'gte', value: 3 },
      { column: 'price', op: 'lte', value: 250000 },
    ])
  })

  test('Arabic one after its noun: "غرفة واحدة" is one bedroom', ({ assert }) => {
    const columns = LISTINGS.map((c) =>
      c.name === 'bedrooms' ? { ...c, synonyms: [...c.synonyms, 'غرفه'] } : c
    )
    assert.deepInclude(parseQuery('شقة غرفة واحدة', columns).filters, {
      column: 'bedrooms',
      op: 'eq',
      value: 1,
    })
  })

  test('comparisons: over, at least, between, ranges with a dash, and two bounds merged', ({
    assert,
  }) => {
    const filters = (q: string) => parseQuery(q, LISTINGS).filters
    assert.deepInclude(filters('villa over 2m'), { column: 'price', op: 'gte', value: 2_000_000 })
    assert.deepInclude(filters('at least 3 bedrooms'), { column: 'bedrooms', op: 'gte', value: 3 })
    assert.deepInclude(filters('between 100k and 1.5m'), {
      column: 'price',
      op: 'between',
      value: [100_000, 1_500_000],
    })
    assert.deepInclude(filters('price 90k-120k'), {
      column: 'price',
      op: 'between',
      value: [90_000, 120_000],
    })
    assert.deepInclude(filters('over 100k under 200k'), {
      column: 'price',
      op: 'between',
      value: [100_000, 200_000],
    })
    assert.deepInclude(filters('AED 95,000 max'), { column: 'price', op: 'lte', value: 95_000 })
  })

  test('Arabic: folded spellings, Arabic digits, thousands words, duals and value aliases', ({
    assert,
  }) => {
    const parsed = parseQuery('شقة غرفتين في مرسى دبي أقل من ١٥٠ ألف', LISTINGS)
    assert.sameDeepMembers(parsed.filters, [
      { column: 'type', op: 'eq', value: 'Apartment' },
      { column: 'bedrooms', op: 'eq', value: 2 },
      { column: 'community', op: 'eq', value: 'Dubai Marina' },
      { column: 'price', op: 'lte', value: 150_000 },
    ])
    assert.deepInclude(parseQuery('اكثر من 3 غرف', LISTINGS).filters, {
      column: 'bedrooms',
      op: 'gte',
      value: 3,
    })
  })

  test('yes/no columns, negation and several values of one column', ({ assert }) => {
    assert.deepEqual(parseQuery('not furnished JLT or JVC', LISTINGS).filters, [
      { column: 'community', op: 'in', value: ['JLT', 'JVC'] },
      { column: 'furnished', op: 'eq', value: false },
    ])
  })

  test('a comparison on a text column is dropped and said; unparsed words are left to rank', ({
    assert,
  }) => {
    const parsed = parseQuery('quiet title under 150k near the metro', LISTINGS)
    assert.deepEqual(parsed.filters, [])
    assert.deepEqual(parsed.dropped, [
      { text: 'under 150k', reason: 'not_numeric', column: 'title' },
    ])
    assert.equal(parsed.rest, 'quiet near metro')
  })

  test('filters from outside are checked against the columns', ({ assert }) => {
    assert.deepEqual(checkFilter(LISTINGS, { column: 'price', op: 'lte', value: '150k' }), {
      column: 'price',
      op: 'lte',
      value: 150000,
    })
    assert.deepEqual(checkFilter(LISTINGS, { column: 'title', op: 'gt', value: 3 }), {
      text: 'title gt 3',
      reason: 'not_numeric',
      column: 'title',
    })
    assert.equal(
      (checkFilter(LISTINGS, { column: 'nope', op: 'eq', value: 1 }) as any).reason,
      'unknown_column'
    )
    assert.equal(
      (checkFilter(LISTINGS, { column: 'price', op: 'between', value: [1] }) as any).reason,
      'invalid_value'
    )
  })
})

test.group('Column types', () => {
  test('numbers, money and dates read as people write them', ({ assert }) => {
    assert.equal(readNumber('150,000'), 150000)
    assert.equal(readNumber('1.5k'), 1500)
    assert.equal(readNumber('٢٥٠'), 250)
    assert.deepEqual(readMoney('AED 150,000'), { amount: 150000, currency: 'AED' })
    assert.deepEqual(readMoney('$12.50'), { amount: 12.5, currency: 'USD' })
    assert.deepEqual(readMoney('99 درهم'), { amount: 99, currency: 'AED' })
    assert.equal(coerceValue({ type: 'date' }, '01/03/2026'), '2026-03-01')
    assert.equal(coerceValue({ type: 'boolean' }, 'نعم'), true)
    assert.throws(() => coerceValue({ type: 'integer' }, '2.5'), 'a whole number')
    assert.throws(() => coerceValue({ type: 'date' }, '31/02/2026'))
  })

  test('a column’s type is guessed from its values; one stray value does not make it text', ({
    assert,
  }) => {
    const guess = (name: string, values: unknown[]) => inferColumn(name, values)
    assert.equal(
      guess('bedrooms', [
        '1',
        '2',
        '3',
        'two',
        '4',
        '2',
        '1',
        '3',
        '2',
        '5',
        '1',
        '2',
        '3',
        '4',
        '2',
        '1',
        '3',
        '2',
        '1',
        '2',
      ]).type,
      'integer'
    )
    assert.deepInclude(guess('price', ['AED 1,000', 'AED 2,500']), {
      type: 'money',
      currency: 'AED',
    })
    assert.equal(guess('price', ['100', '250']).type, 'money')
    assert.equal(guess('rating', ['4.5', '3']).type, 'number')
    assert.equal(guess('listed', ['2026-01-01', '2026-02-03']).type, 'date')
    assert.equal(guess('photo', ['https://x.test/a.jpg']).type, 'image_url')
    assert.equal(guess('site', ['https://x.test/a']).type, 'url')
    assert.equal(guess('mobile', ['+971 50 123 4567']).type, 'phone')
    assert.equal(guess('in_stock', ['yes', 'no', 'yes']).type, 'boolean')
    assert.deepInclude(guess('area', ['JLT', 'JVC', 'JLT', 'JVC', 'JLT', 'JLT']), {
      type: 'choice',
      choices: ['JLT', 'JVC'],
    })
    assert.equal(
      guess('notes', ['a long sentence here', 'another one', 'and a third', 'fourth']).type,
      'text'
    )
  })
})
