import { test } from '@japa/runner'
import {
  fieldsWithUnstorableText,
  isStorableText,
  nestsDeeperThan,
  storableText,
  withStorableText,
} from '#app/http/text_input'

test.group('Text input', () => {
  test('NUL characters and unpaired surrogates are unstorable; whole emoji are text', ({
    assert,
  }) => {
    assert.isTrue(isStorableText('مرحبا 😀 café'))
    assert.isFalse(isStorableText('a\u0000b'))
    assert.isFalse(isStorableText('\ud83d'))
    assert.isFalse(isStorableText('x\ude00y'))
    assert.equal(storableText('a\u0000b\ud83d 😀'), 'a\uFFFDb\uFFFD 😀')
  })

  test('fields are named by their dotted path, keys included', ({ assert }) => {
    const input = {
      name: 'ok',
      notes: 'bad\u0000',
      tags: ['fine', '\udc00'],
      attributes: { 'plan': 'gold', 'k\u0000': 'v', 'nested': { deep: '\ud800' } },
    }
    assert.deepEqual(fieldsWithUnstorableText(input), [
      'attributes',
      'attributes.nested.deep',
      'notes',
      'tags.1',
    ])
    assert.deepEqual(fieldsWithUnstorableText('\u0000'), ['body'])
    assert.deepEqual(fieldsWithUnstorableText({ a: 1, b: null, c: true }), [])
  })

  test('a storable copy replaces what cannot be stored and leaves the input as it was', ({
    assert,
  }) => {
    const input = { 'text': 'Hi\u0000', 'list': ['\ud83d', 2], 'k\u0000': { ok: 'yes' } }
    const copy = withStorableText(input)
    assert.deepEqual(copy, { 'text': 'Hi\uFFFD', 'list': ['\uFFFD', 2], 'k\uFFFD': { ok: 'yes' } })
    assert.equal(input.text, 'Hi\u0000')
    assert.deepEqual(fieldsWithUnstorableText(copy), [])
  })

  test('depth counts arrays and objects, without recursion', ({ assert }) => {
    assert.isFalse(nestsDeeperThan({ a: [{ b: 1 }] }, 3))
    assert.isTrue(nestsDeeperThan({ a: [{ b: {} }] }, 3))
    assert.isFalse(nestsDeeperThan('text', 0))
    const abyss = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000))
    assert.isTrue(nestsDeeperThan(abyss, 32))
  })
})
