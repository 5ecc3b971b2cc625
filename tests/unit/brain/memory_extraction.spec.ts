import { test } from '@japa/runner'
import {
  extractFacts,
  factKey,
  rollSummary,
  type MemoryMessage,
} from '#modules/brain/services/memory/extractor'
import { parseMemoryReply } from '#modules/brain/services/memory/model_summarizer'
import { memoryPrompt } from '#modules/brain/services/memory'

function message(body: string, overrides: Partial<MemoryMessage> = {}): MemoryMessage {
  return {
    id: `m-${body.length}-${overrides.seq ?? 1}`,
    seq: 1,
    conversationId: 'c1',
    direction: 'inbound',
    body,
    at: new Date('2026-11-20T10:00:00Z'),
    ...overrides,
  }
}

const kinds = (text: string) => extractFacts(text).map((fact) => `${fact.kind}=${fact.value}`)

test.group('Memory extraction (offline)', () => {
  test('reads an English introduction, policy number, date, email and preference', ({ assert }) => {
    const facts = kinds(
      'Hi, my name is sara al-mansouri. My policy number is MP-2024-00123 and it renews on 12 March 2027. ' +
        'Email me at Sara.M@example.com. I prefer WhatsApp over phone calls.'
    )
    assert.includeMembers(facts, [
      'name=Sara Al-mansouri',
      'policy_number=MP-2024-00123',
      'date=12 March 2027',
      'email=sara.m@example.com',
      'preference=WhatsApp over phone calls',
    ])
    assert.lengthOf(facts, 5)
  })

  test('reads Arabic: the name, the policy number after its word, Arabic digits and months', ({
    assert,
  }) => {
    const facts = kinds(
      'مرحبا، انا اسمي أحمد. رقم الوثيقة ٤٥٦٧٨٩ وتنتهي في 15 مارس 2027. أفضل التواصل عبر واتساب'
    )
    assert.includeMembers(facts, [
      'name=أحمد',
      'policy_number=٤٥٦٧٨٩',
      'date=15 مارس 2027',
      'preference=التواصل عبر واتساب',
    ])
  })

  test('finds policy-like tokens, ISO dates and phone numbers without trigger words', ({
    assert,
  }) => {
    const facts = kinds('Claim for POL-778812 filed 2026-10-02, call +971 50 123 4567')
    assert.includeMembers(facts, [
      'policy_number=POL-778812',
      'date=2026-10-02',
      'phone=+971 50 123 4567',
    ])
  })

  test('does not take amounts, short codes or ordinary sentences as facts', ({ assert }) => {
    assert.deepEqual(kinds('The premium was 3500 AED and I am worried about it'), [])
    assert.deepEqual(kinds('Is code A12 valid?'), [])
  })

  test('keys fold case, spacing and Arabic letter forms', ({ assert }) => {
    assert.equal(factKey('name', ' Sara  Lee '), factKey('name', 'sara lee.'))
    assert.equal(factKey('name', 'أحمد'), factKey('name', 'احمد'))
    assert.equal(factKey('policy_number', 'MP-2024 001'), factKey('policy_number', 'mp2024001'))
  })

  test('the rolling summary quotes the customer per conversation, once, dropping the oldest', ({
    assert,
  }) => {
    const first = rollSummary(null, [
      message('Does my malpractice policy cover locum work at another clinic?', { seq: 1 }),
      message('thanks', { seq: 2 }),
      message('The agent replied here', { seq: 3, direction: 'outbound' }),
    ])
    // One-word messages ("thanks") and the team's replies are not quoted.
    assert.equal(
      first,
      '2026-11-20: Does my malpractice policy cover locum work at another clinic?'
    )
    // The same messages read again add nothing.
    assert.equal(
      rollSummary(first, [
        message('Does my malpractice policy cover locum work at another clinic?', { seq: 1 }),
      ]),
      first
    )
    let summary: string | null = first
    for (let day = 1; day <= 12; day++) {
      summary = rollSummary(summary, [
        message(`Question number ${day} about my cover`, {
          conversationId: `c${day + 1}`,
          at: new Date(Date.UTC(2026, 11, day)),
        }),
      ])
    }
    const lines = summary!.split('\n')
    assert.lengthOf(lines, 8)
    assert.include(lines[7], 'Question number 12')
    assert.notInclude(summary!, 'locum')
  })

  test('a malformed model reply is refused; a good one is checked field by field', ({ assert }) => {
    assert.isNull(parseMemoryReply('Sure! Here is the summary: the customer asked.', 3))
    assert.isNull(parseMemoryReply('{"summary": 42}', 3))
    assert.isNull(parseMemoryReply('{"facts": "none"}', 3))
    const reply = parseMemoryReply(
      '```json\n{"summary":" Asked about locum cover. ","facts":[{"kind":"policy_number","value":"MP-1","message":2},{"kind":"shoe_size","value":"42","message":9},{"kind":"name","value":""}]}\n```',
      3
    )
    assert.deepEqual(reply, {
      summary: 'Asked about locum cover.',
      facts: [
        { kind: 'policy_number', value: 'MP-1', message: 2 },
        { kind: 'other', value: '42', message: null },
      ],
    })
  })

  test('the prompt block lists the summary and facts, and is empty for no memory', ({ assert }) => {
    assert.equal(memoryPrompt({ summary: null, facts: [], updatedAt: null }), '')
    const block = memoryPrompt({
      summary: 'Asked about locum cover.',
      facts: [
        { kind: 'name', value: 'Sara' },
        { kind: 'policy_number', value: 'MP-1' },
      ],
      updatedAt: null,
    })
    assert.include(block, 'Summary: Asked about locum cover.')
    assert.include(block, '- Name: Sara')
    assert.include(block, '- Policy number: MP-1')
  })
})
