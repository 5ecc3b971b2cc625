import { test } from '@japa/runner'
import type { ContactField } from '#modules/inbox/index'
import {
  ImportPlan,
  checkMapping,
  guessMapping,
  mergeByPhone,
  normalizePhone,
  type RowError,
} from '../../../modules/inbox/services/contact_import_rows.js'

function field(key: string, label: string, extra: Partial<ContactField> = {}) {
  // A definition as the settings page stores it (only these columns are read).
  return { key, label, type: 'text', required: false, choices: [], ...extra } as ContactField
}

test.group('Contact import: headers and phones', () => {
  test('headers in English and Arabic, spaced, cased or with hamza variants map to fields', ({
    assert,
  }) => {
    const fields = [field('policy_no', 'رقم الوثيقة')]
    assert.deepEqual(
      guessMapping(
        [
          'Full Name',
          'Phone Number',
          'E-mail',
          'Labels',
          'Time zone',
          'Lang',
          'Opt-in',
          'Policy_No',
        ],
        fields
      ),
      [
        'name',
        'phone',
        'email',
        'tags',
        'time_zone',
        'language',
        'marketing_consent',
        'attr.policy_no',
      ]
    )
    assert.deepEqual(
      guessMapping(
        ['الأسم', 'رقم الهاتف', 'البريد الالكتروني', 'الوسوم', 'اللغة', 'رقم الوثيقة', 'المدينة'],
        fields
      ),
      ['name', 'phone', 'email', 'tags', 'language', 'attr.policy_no', 'ignore']
    )
    // The second phone-like column is left for the person to choose.
    assert.deepEqual(guessMapping(['Mobile', 'WhatsApp'], []), ['phone', 'ignore'])
  })

  test('a mapping needs one phone column, known fields once, and every required custom field', ({
    assert,
  }) => {
    const fields = [field('broker', 'Broker', { required: true })]
    assert.deepEqual(
      checkMapping(['name', 'name', 'attr.nope'], fields).map((p) => [p.column, p.code]),
      [
        [1, 'duplicate_target'],
        [2, 'unknown_target'],
        [null, 'phone_unmapped'],
        [null, 'required_field_unmapped'],
      ]
    )
    assert.deepEqual(checkMapping(['phone', 'tags', 'tags', 'attr.broker'], fields), [])
  })

  test('phones become E.164 from international, 00 and national forms', ({ assert }) => {
    assert.equal(normalizePhone('+971 50 123 4567', null)?.e164, '+971501234567')
    assert.equal(normalizePhone('00971501234567', null)?.e164, '+971501234567')
    assert.equal(normalizePhone('050-123-4567', 'AE')?.e164, '+971501234567')
    assert.equal(normalizePhone('971501234567', null)?.e164, '+971501234567')
    assert.equal(normalizePhone('(055) 123 4567', 'SA')?.e164, '+966551234567')
    assert.isNull(normalizePhone('050 123 4567', null))
    assert.isNull(normalizePhone('12', 'AE'))
    assert.isNull(normalizePhone('call me', 'AE'))
  })

  test('a row with a bad cell is refused whole; duplicates merge with later values winning', ({
    assert,
  }) => {
    const plan = new ImportPlan(
      ['phone', 'name', 'tags', 'consent'],
      ['phone', 'name', 'tags', 'marketing_consent'],
      [],
      'AE',
      'csv'
    )
    const errors: RowError[] = []
    assert.isNull(plan.read(['0501234567', 'A', 'x', 'maybe'], 2, errors))
    assert.deepEqual(errors, [{ row: 2, column: 'consent', code: 'consent', value: 'maybe' }])
    const first = plan.read(['0501234567', 'A', 'x; y', 'نعم'], 3, errors)!
    const second = plan.read(['+971501234567', '', 'Y، z', ''], 4, errors)!
    assert.deepEqual(first.tags, ['x', 'y', 'csv'])
    const [merged] = mergeByPhone([first, second])
    assert.include(merged, { phone: '+971501234567', name: 'A', consent: 'opted_in' })
    assert.deepEqual(merged.tags, ['x', 'y', 'csv', 'z'])
  })
})
