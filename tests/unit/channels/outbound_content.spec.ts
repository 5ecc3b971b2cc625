import { test } from '@japa/runner'
import { checkOutboundContent, toGraphMessage, type OutboundContent } from '#modules/channels/index'

const fields = (content: OutboundContent) => checkOutboundContent(content).map((p) => p.field)

test.group('Outbound content rules', () => {
  test('text must be there and at most 4096 characters', ({ assert }) => {
    assert.deepEqual(fields({ type: 'text', text: 'Hello' }), [])
    assert.deepEqual(fields({ type: 'text', text: '   ' }), ['text'])
    assert.deepEqual(fields({ type: 'text', text: 'x'.repeat(4097) }), ['text'])
    // Characters, not bytes: 4096 Arabic letters are allowed.
    assert.deepEqual(fields({ type: 'text', text: 'ب'.repeat(4096) }), [])
  })

  test('reply buttons: one to three, titles of at most 20 characters, distinct', ({ assert }) => {
    const button = (id: string, title: string) => ({ id, title })
    assert.deepEqual(
      fields({ type: 'buttons', body: 'Pick', buttons: [button('a', 'Yes'), button('b', 'No')] }),
      []
    )
    assert.include(
      fields({
        type: 'buttons',
        body: 'Pick',
        buttons: ['a', 'b', 'c', 'd'].map((id) => button(id, id)),
      }),
      'buttons'
    )
    assert.include(
      fields({
        type: 'buttons',
        body: 'Pick',
        buttons: [button('a', 'A title that is far too long')],
      }),
      'buttons.0.title'
    )
    assert.include(
      fields({ type: 'buttons', body: 'Pick', buttons: [button('a', 'Yes'), button('a', 'No')] }),
      'buttons'
    )
    assert.include(fields({ type: 'buttons', body: '', buttons: [button('a', 'Yes')] }), 'body')
  })

  test('lists: at most ten rows in all, row titles of at most 24 characters', ({ assert }) => {
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: `r${i}`, title: `Row ${i}` }))
    assert.deepEqual(
      fields({ type: 'list', body: 'Choose', button: 'Options', sections: [{ rows: rows(10) }] }),
      []
    )
    assert.include(
      fields({
        type: 'list',
        body: 'Choose',
        button: 'Options',
        sections: [
          { title: 'A', rows: rows(6) },
          { title: 'B', rows: rows(5).map((r) => ({ ...r, id: `b${r.id}` })) },
        ],
      }),
      'sections'
    )
    assert.include(
      fields({
        type: 'list',
        body: 'Choose',
        button: 'Options',
        sections: [{ rows: [{ id: 'x', title: 'A row title longer than 24' }] }],
      }),
      'sections.0.rows.0.title'
    )
    assert.include(
      fields({
        type: 'list',
        body: 'Choose',
        button: 'Options',
        sections: [{ rows: rows(1) }, { rows: [{ id: 'z', title: 'Z' }] }],
      }),
      'sections.0.title'
    )
  })

  test('a URL button (cta_url): a body, a label of at most 20 characters, an https address; sent as WhatsApp’s cta_url', ({
    assert,
  }) => {
    const good: OutboundContent = {
      type: 'cta_url',
      body: 'The floor plan is online.',
      displayText: 'See the plan',
      url: 'https://example.com/plan',
    }
    assert.deepEqual(fields(good), [])
    assert.deepEqual(
      fields({ ...good, body: ' ', displayText: 'A label far over twenty', url: 'http://x.test' }),
      ['body', 'displayText', 'url']
    )
    assert.deepEqual(fields({ ...good, displayText: '' }), ['displayText'])
    assert.deepEqual(toGraphMessage('+971501234567', good), {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '971501234567',
      type: 'interactive',
      interactive: {
        type: 'cta_url',
        header: undefined,
        body: { text: 'The floor plan is online.' },
        footer: undefined,
        action: {
          name: 'cta_url',
          parameters: { display_text: 'See the plan', url: 'https://example.com/plan' },
        },
      },
    })
  })

  test('media needs a public https link or an uploaded id; audio has no caption', ({ assert }) => {
    assert.deepEqual(
      fields({ type: 'image', link: 'https://cdn.example/a.png', caption: 'Hi' }),
      []
    )
    assert.include(fields({ type: 'image', link: 'http://cdn.example/a.png' }), 'link')
    assert.include(fields({ type: 'image' }), 'link')
    assert.include(fields({ type: 'audio', mediaId: '123', caption: 'no' }), 'caption')
  })

  test('templates: a valid name and language, every variable filled', ({ assert }) => {
    assert.deepEqual(
      fields({
        type: 'template',
        name: 'renewal_notice',
        language: 'en_US',
        variables: ['Sam', '12 May'],
      }),
      []
    )
    assert.include(fields({ type: 'template', name: 'Renewal Notice', language: 'en' }), 'name')
    assert.include(fields({ type: 'template', name: 'renewal', language: 'english' }), 'language')
    assert.include(
      fields({ type: 'template', name: 'renewal', language: 'en', variables: ['Sam', ' '] }),
      'variables.1'
    )
  })

  test('Graph request bodies follow the Cloud API shapes', ({ assert }) => {
    assert.deepEqual(toGraphMessage('+15550001111', { type: 'text', text: 'Hi' }), {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '15550001111',
      type: 'text',
      text: { body: 'Hi', preview_url: false },
    })
    const template = toGraphMessage('15550001111', {
      type: 'template',
      name: 'renewal_notice',
      language: 'en',
      variables: ['Sam'],
      headerMedia: { type: 'document', link: 'https://cdn.example/policy.pdf' },
    }) as any
    assert.deepEqual(template.template, {
      name: 'renewal_notice',
      language: { code: 'en' },
      components: [
        {
          type: 'header',
          parameters: [{ type: 'document', document: { link: 'https://cdn.example/policy.pdf' } }],
        },
        { type: 'body', parameters: [{ type: 'text', text: 'Sam' }] },
      ],
    })
    const buttons = toGraphMessage('1', {
      type: 'buttons',
      body: 'Pick',
      buttons: [{ id: 'y', title: 'Yes' }],
    }) as any
    assert.deepEqual(buttons.interactive.action.buttons, [
      { type: 'reply', reply: { id: 'y', title: 'Yes' } },
    ])
  })
})
