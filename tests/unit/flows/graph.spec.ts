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

  test('a picture or file on a message: an https link of a known type, without choices; a file question', ({
    assert,
  }) => {
    const graph = intake()
    graph.nodes[2].data = { text: 'Thanks!' }
    graph.nodes.push({
      id: 'card',
      type: 'message',
      position: { x: 0, y: 300 },
      data: { text: 'Our card', media: { type: 'image', link: 'https://x.example/card.png' } },
    })
    graph.edges.push({ from: 'done', port: 'next', to: 'card' })
    graph.nodes[2].type = 'message'
    graph.nodes[1].data = { text: 'Send your ID', kind: 'file', variable: 'id' }
    assert.deepEqual(codes(graph), [])
    graph.nodes[3].data.media = { type: 'sticker', link: 'http://x.example/card.png' }
    assert.deepEqual(codes(graph), ['card:media_type_invalid', 'card:media_link_invalid'])
    graph.nodes[3].data = {
      text: 'Pick',
      media: { type: 'document', link: 'https://x.example/a.pdf', filename: 'a.pdf' },
      buttons: [{ id: 'yes', title: 'Yes' }],
    }
    assert.include(codes(graph), 'card:media_and_choices')
  })

  test('a message with choices may name the variable its pick is kept under', ({ assert }) => {
    const graph = intake()
    graph.nodes[0].data.variable = 'cover'
    assert.deepEqual(codes(graph), [])
    graph.nodes[0].data.variable = ''
    assert.deepEqual(codes(graph), [])
    graph.nodes[0].data.variable = '2 covers'
    assert.deepEqual(codes(graph), ['welcome:variable_invalid'])
  })

  test('a choice with no edge of its own needs a "next" to fall through to', ({ assert }) => {
    const graph = intake()
    graph.edges = graph.edges.filter((e) => e.from !== 'welcome')
    graph.edges.push({ from: 'welcome', port: 'car', to: 'age' })
    assert.include(codes(graph), 'welcome:port_without_target')
    graph.edges.push({ from: 'welcome', port: 'home', to: 'done' })
    assert.deepEqual(codes(graph), [])
  })

  test('lookup, task, enroll and booking nodes are publishable with their data, each checked', ({
    assert,
  }) => {
    const ID = '7a1f0d2e-8c1b-4d6e-9f00-0123456789ab'
    const graph = intake()
    graph.nodes.push(
      {
        id: 'look',
        type: 'lookup',
        position: { x: 0, y: 0 },
        data: {
          source: 'dataset',
          source_id: ID,
          query: '{{bedrooms}} bedrooms in {{area}}',
          variable: 'listing',
          limit: 10,
          list: {
            text: 'Pick one',
            button: 'Listings',
            title: '{{name}}',
            description: '{{price}}',
          },
        },
      },
      {
        id: 'approve',
        type: 'task',
        position: { x: 0, y: 0 },
        data: { title: 'Approve {{contact.name}}', timeout_minutes: 60, variable: 'decision' },
      },
      { id: 'journey', type: 'enroll', position: { x: 0, y: 0 }, data: { sequence_id: ID } },
      {
        id: 'book',
        type: 'booking',
        position: { x: 0, y: 0 },
        data: { service_id: ID, days: 14, variable: 'session' },
      }
    )
    graph.edges = [
      { from: 'welcome', port: 'next', to: 'age' },
      { from: 'age', port: 'next', to: 'look' },
      { from: 'look', port: 'next', to: 'approve' },
      { from: 'look', port: 'fallback', to: 'done' },
      { from: 'approve', port: 'next', to: 'journey' },
      { from: 'approve', port: 'fallback', to: 'done' },
      { from: 'journey', port: 'next', to: 'book' },
      { from: 'book', port: 'next', to: 'done' },
      { from: 'book', port: 'fallback', to: 'done' },
    ]
    assert.deepEqual(validateGraph(graph), [])

    // Each node's data is checked, and its ports must lead somewhere.
    const bad = structuredClone(graph)
    const data = (id: string) => bad.nodes.find((n) => n.id === id)!.data
    Object.assign(data('look'), {
      source: 'spreadsheet',
      variable: '1st',
      limit: 11,
      params: { order: 12 },
      list: { text: '', button: 'A list button that is too long', title: '' },
    })
    Object.assign(data('approve'), { title: ' ', timeout_minutes: 0, variable: 'a b' })
    data('journey').sequence_id = ''
    Object.assign(data('book'), { service_id: '', days: 32, text: 'x'.repeat(1025) })
    bad.edges = bad.edges.filter((e) => !(e.from === 'journey' && e.port === 'next'))
    assert.sameMembers(codes(bad), [
      'look:source_invalid',
      'look:variable_invalid',
      'look:limit_invalid',
      'look:params_invalid',
      'look:text_missing',
      'look:list_button_too_long',
      'look:row_title_missing',
      'approve:title_missing',
      'approve:timeout_invalid',
      'approve:variable_invalid',
      'journey:port_without_target',
      'journey:sequence_id_missing',
      'book:service_id_missing',
      'book:days_invalid',
      'book:text_too_long',
      'book:unreachable',
    ])
    // Without an id to look in, a lookup says so; a task's outcome variable is optional.
    const bare = structuredClone(graph)
    bare.nodes.find((n) => n.id === 'look')!.data = { source: 'connector', variable: 'order' }
    delete bare.nodes.find((n) => n.id === 'approve')!.data.variable
    assert.deepEqual(codes(bare), ['look:source_id_missing'])
  })

  test('the new nodes’ ports: lookup, task and booking leave by next or fallback, enroll by next', ({
    assert,
  }) => {
    const graph = intake()
    graph.nodes.push({
      id: 'journey',
      type: 'enroll',
      position: { x: 0, y: 0 },
      data: { sequence_id: 'x' },
    })
    graph.edges = [
      { from: 'welcome', port: 'next', to: 'age' },
      { from: 'age', port: 'next', to: 'journey' },
      { from: 'journey', port: 'fallback', to: 'done' },
      { from: 'journey', port: 'next', to: 'done' },
    ]
    assert.deepEqual(codes(graph), ['journey:unknown_port'])
  })

  test('fillText shows a list of rows by their summaries', ({ assert }) => {
    assert.equal(
      fillText(
        '{{listing.rows}} ({{listing.count}})',
        {
          'listing.rows': [{ summary: 'Villa A · 2 bedrooms' }, { summary: 'Flat B' }],
          'listing.count': 2,
        },
        {}
      ),
      'Villa A · 2 bedrooms, Flat B (2)'
    )
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
