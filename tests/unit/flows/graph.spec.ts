import { test } from '@japa/runner'
import { parseGraph, validateGraph, fillText, type FlowGraph } from '#modules/flows/index'
import { editDistance, matchChoice, readAnswer } from '#modules/flows/services/answers'

function intake(): FlowGraph {
  return {
    nodes: [
      {
        id: 'welcome',
        type: 'message',
        position: { x: 0, y: 0 },
        data: {
          text: 'Hi {{contact.name}}! What cover do you need?',
          buttons: [
            { id: 'car', title: 'Car' },
            { id: 'home', title: 'Home' },
          ],
        },
      },
      {
        id: 'age',
        type: 'question',
        position: { x: 0, y: 100 },
        data: { text: 'How old are you?', kind: 'number', variable: 'age' },
      },
      { id: 'done', type: 'end', position: { x: 0, y: 200 }, data: { text: 'Thanks!' } },
    ],
    edges: [
      { from: 'welcome', port: 'next', to: 'age' },
      { from: 'age', port: 'next', to: 'done' },
    ],
  }
}

const codes = (graph: FlowGraph) => validateGraph(graph).map((p) => `${p.node}:${p.code}`)

test.group('Flow graph validator', () => {
  test('a well-formed intake has no problems', ({ assert }) => {
    assert.deepEqual(validateGraph(intake()), [])
  })

  test('an unreachable node and a port with no target are reported on their nodes', ({
    assert,
  }) => {
    const graph = intake()
    graph.nodes.push({
      id: 'orphan',
      type: 'condition',
      position: { x: 0, y: 0 },
      data: { match: 'all', rules: [{ on: 'variable', key: 'age', op: 'gt', value: '30' }] },
    })
    assert.sameMembers(codes(graph), [
      'orphan:unreachable',
      'orphan:port_without_target',
      'orphan:port_without_target',
    ])
    graph.edges = graph.edges.filter((e) => e.from !== 'age')
    assert.include(codes(graph), 'age:port_without_target')
    assert.include(codes(graph), 'done:unreachable')
  })

  test('an edge to a missing node, or from an unknown port, is a problem', ({ assert }) => {
    const graph = intake()
    graph.edges.push({ from: 'age', port: 'fallback', to: 'nowhere' })
    graph.edges.push({ from: 'done', port: 'next', to: 'age' })
    assert.includeMembers(codes(graph), ['age:edge_to_missing', 'done:unknown_port'])
  })

  test('WhatsApp’s limits: 3 buttons of 20 characters, 10 rows of 24 (72 for descriptions), a 1,024 body', ({
    assert,
  }) => {
    const graph = intake()
    graph.nodes[0].data.buttons = [
      { id: 'a', title: 'A' },
      { id: 'b', title: 'Exactly twenty chars' },
      { id: 'c', title: 'Twenty-one characters' },
      { id: 'd', title: 'D' },
    ]
    graph.nodes[0].data.text = 'x'.repeat(1025)
    assert.sameMembers(codes(graph), [
      'welcome:too_many_buttons',
      'welcome:button_title_too_long',
      'welcome:text_too_long',
    ])
    graph.nodes[0].data = {
      text: 'Pick one',
      list: {
        button: 'Options',
        rows: Array.from({ length: 11 }, (_, i) => ({
          id: `r${i}`,
          title: i === 0 ? 'y'.repeat(25) : `Row ${i}`,
          description: i === 1 ? 'z'.repeat(73) : undefined,
        })),
      },
    }
    assert.sameMembers(codes(graph), [
      'welcome:too_many_rows',
      'welcome:row_title_too_long',
      'welcome:row_description_too_long',
    ])
    // Titles of exactly 24 and descriptions of exactly 72 are fine, in characters not bytes.
    graph.nodes[0].data.list.rows = [
      { id: 'r1', title: 'ت'.repeat(24), description: 'و'.repeat(72) },
    ]
    assert.deepEqual(codes(graph), [])
  })

  test('a URL button: a name of at most 20 characters and an https address, on a message without choices', ({
    assert,
  }) => {
    const graph = intake()
    graph.nodes[0].data = {
      text: 'Our plans',
      url: { title: 'See the plans', url: 'https://example.com/p' },
    }
    graph.edges = graph.edges.filter((e) => e.from !== 'welcome')
    graph.edges.push({ from: 'welcome', port: 'next', to: 'age' })
    assert.deepEqual(codes(graph), [])
    graph.nodes[0].data.url = { title: 'See every one of our plans', url: 'http://example.com/p' }
    assert.includeMembers(codes(graph), ['welcome:url_title_too_long', 'welcome:url_invalid'])
    graph.nodes[0].data.url = { title: '', url: 'https://example.com/p' }
    assert.include(codes(graph), 'welcome:url_title_missing')
    // Exactly 20 characters (not bytes) is fine.
    graph.nodes[0].data.url = { title: 'خ'.repeat(20), url: 'https://example.com/p' }
    assert.deepEqual(codes(graph), [])
  })

  test('a choice with no edge of its own needs a "next" to fall through to', ({ assert }) => {
    const graph = intake()
    graph.edges = graph.edges.filter((e) => e.from !== 'welcome')
    graph.edges.push({ from: 'welcome', port: 'car', to: 'age' })
    assert.include(codes(graph), 'welcome:port_without_target')
    graph.edges.push({ from: 'welcome', port: 'home', to: 'done' })
    assert.deepEqual(codes(graph), [])
  })

  test('nodes the runtime cannot run yet cannot be published', ({ assert }) => {
    const graph = intake()
    graph.nodes.push({ id: 'look', type: 'lookup', position: { x: 0, y: 0 }, data: {} })
    graph.edges.push({ from: 'age', port: 'fallback', to: 'look' })
    graph.edges.push({ from: 'look', port: 'next', to: 'done' })
    assert.include(codes(graph), 'look:unsupported')
  })

  test('parseGraph refuses what is not a graph, with the reason per node', ({ assert }) => {
    assert.equal(parseGraph('{nope').problems[0].code, 'invalid_json')
    assert.equal(parseGraph({ nodes: 1 }).problems[0].code, 'invalid_shape')
    const parsed = parseGraph({
      nodes: [
        { id: 'a', type: 'message', data: { text: 'hi' } },
        { id: 'a', type: 'end' },
        { id: 'b', type: 'teleport' },
      ],
      edges: [],
    })
    assert.isNull(parsed.graph)
    assert.deepEqual(
      parsed.problems.map((p) => `${p.node}:${p.code}`),
      ['a:duplicate_id', 'b:invalid_type']
    )
    const ok = parseGraph(JSON.stringify(intake()))
    assert.deepEqual(ok.graph, intake())
  })

  test('fillText fills variables and contact fields, and leaves no placeholder', ({ assert }) => {
    assert.equal(
      fillText(
        'Hi {{contact.name}}, {{ cover }} at {{age}}{{unknown}}.',
        { cover: 'Car', age: 34 },
        { name: 'Layla' }
      ),
      'Hi Layla, Car at 34.'
    )
  })
})

test.group('Flow answers', () => {
  const choices = [
    { id: 'car', title: 'Car' },
    { id: 'home', title: 'Home' },
    { id: 'health', title: 'Health cover' },
    { id: 'ar', title: 'تأمين السيارة' },
  ]
  const pick = (text: string, choiceId: string | null = null) =>
    matchChoice({ text, choiceId }, choices)?.id ?? null

  test('a typed answer matches by title, by number or by a close spelling', ({ assert }) => {
    assert.equal(pick('Car', 'home'), 'home', 'the tapped id wins')
    assert.equal(pick('  HOME!  '), 'home')
    assert.equal(pick('2'), 'home')
    assert.equal(pick('٣'), 'health', 'Arabic-Indic digits')
    assert.equal(pick('helth cover'), 'health')
    assert.equal(pick('hme'), 'home')
    assert.equal(pick('تامين السياره'), 'ar', 'hamza and taa marbuta forms fold')
    assert.isNull(pick('5'))
    assert.isNull(pick('bike'))
    assert.isNull(pick('ca'), 'a three-letter title needs the exact word')
  })

  test('a close spelling that fits two titles is not guessed', ({ assert }) => {
    assert.isNull(
      matchChoice({ text: 'bat' }, [
        { id: 'a', title: 'bath' },
        { id: 'b', title: 'bats' },
      ])
    )
    assert.equal(editDistance('kitten', 'sitting'), 3)
  })

  test('questions check their kind', ({ assert }) => {
    const q = (kind: any, extra = {}) => ({ text: '?', variable: 'v', kind, ...extra })
    assert.equal(readAnswer(q('number', { min: 18, max: 99 }), '34'), 34)
    assert.isNull(readAnswer(q('number', { min: 18, max: 99 }), '12'))
    assert.isNull(readAnswer(q('number'), 'thirty'))
    assert.equal(readAnswer(q('email'), 'Layla@Example.com'), 'layla@example.com')
    assert.isNull(readAnswer(q('email'), 'layla@'))
    assert.equal(readAnswer(q('phone'), '+971 50 123 4567'), '+971501234567')
    assert.equal(readAnswer(q('date'), '7/12/2026'), '2026-12-07')
    assert.isNull(readAnswer(q('date'), '31/02/2026'))
    assert.equal(readAnswer(q('choice', { choices: ['Yes', 'No'] }), '2'), 'No')
    assert.isNull(readAnswer(q('text', { pattern: '^[A-Z]{2}\\d{4}$' }), 'ab12'))
  })
})
