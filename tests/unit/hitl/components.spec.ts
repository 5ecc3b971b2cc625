import { test } from '@japa/runner'
import {
  checkComponents,
  checkValues,
  editedNames,
  initialValues,
} from '#modules/hitl/services/components'

test.group('Task components', () => {
  test('the fixed shapes are accepted', ({ assert }) => {
    assert.deepEqual(
      checkComponents([
        { type: 'text', text: 'Hi' },
        {
          type: 'editable_text',
          name: 'reply',
          label: 'Reply',
          value: 'x',
          max_length: 10,
          required: true,
        },
        {
          type: 'choice',
          name: 'c',
          label: 'C',
          options: [{ value: 'a', label: 'A' }],
          multiple: true,
        },
      ]),
      []
    )
  })

  test('problems name the component and its field', ({ assert }) => {
    const problems = checkComponents([
      { type: 'text' },
      { type: 'choice', name: 'c', label: 'C', options: [] },
      { type: 'editable_text', name: 'dup', label: 'A' },
      { type: 'editable_text', name: 'dup', label: 'B' },
      { type: 'message_preview', text_from: 'missing' },
    ])
    const fields = problems.map((p) => p.field)
    assert.includeMembers(fields, [
      'components.0.text',
      'components.1.options',
      'components.3.name',
      'components.4.text_from',
    ])
    assert.match(problems[1].message, /^Component 2 \(c\):/)
    assert.lengthOf(checkComponents('nope'), 1)
    assert.lengthOf(
      checkComponents(Array.from({ length: 51 }, () => ({ type: 'text', text: 'a' }))),
      1
    )
  })

  test('values: initial, checked, and which were edited', ({ assert }) => {
    const components = [
      { type: 'editable_text', name: 'reply', label: 'Reply', value: 'draft', required: true },
      { type: 'number', name: 'n', label: 'N', min: 1, max: 5 },
      { type: 'date', name: 'd', label: 'D' },
    ] as any
    assert.deepEqual(initialValues(components), { reply: 'draft', n: null, d: null })
    const ok = checkValues(components, { reply: 'final', n: '3' }, { enforceRequired: true })
    assert.deepEqual(ok.problems, [])
    assert.deepEqual(ok.values, { reply: 'final', n: 3, d: null })
    assert.deepEqual(editedNames(initialValues(components), ok.values), ['reply', 'n'])
    const bad = checkValues(
      components,
      { reply: '', n: 9, d: '1/2/2027' },
      { enforceRequired: true }
    )
    assert.deepEqual(
      bad.problems.map((p) => p.field),
      ['values.reply', 'values.n', 'values.d']
    )
    const rejecting = checkValues(components, { reply: '' }, { enforceRequired: false })
    assert.deepEqual(rejecting.problems, [])
  })
})
