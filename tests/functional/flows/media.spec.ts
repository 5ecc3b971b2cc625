import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { messages, waId } from '#tests/helpers/whatsapp'
import {
  conversationOf,
  flowMessages,
  flowTenant,
  publishedFlow,
  runAt,
  say,
  sessionsOf,
  typed,
} from './flow_fixtures.js'

/*
| Pictures and files in a flow: a message node sends a document with its
| text as the caption; a file question asks again when the customer types
| instead of sending one, then takes the document they send (its name into
| the variable, the message it came in kept in the answers).
*/

test.group('Flow media', () => {
  test('a message sends a file with its caption; a file question re-asks on text and takes the document sent', async ({
    assert,
    cleanup,
  }) => {
    const made = await flowTenant(cleanup)
    const { context } = made
    const flow = await publishedFlow(context, {
      nodes: [
        {
          id: 'brochure',
          type: 'message',
          position: { x: 0, y: 0 },
          data: {
            text: 'Our brochure, {{contact.name}}',
            media: {
              type: 'document',
              link: 'https://files.example.com/brochure.pdf',
              filename: 'Brochure.pdf',
            },
          },
        },
        {
          id: 'policy',
          type: 'question',
          position: { x: 0, y: 1 },
          data: {
            text: 'Please send your current policy',
            kind: 'file',
            variable: 'policy',
            retry_text: 'A photo or a file of it, please',
          },
        },
        { id: 'bye', type: 'end', position: { x: 0, y: 2 }, data: { text: 'Got {{policy}}' } },
      ],
      edges: [
        { from: 'brochure', port: 'next', to: 'policy' },
        { from: 'policy', port: 'next', to: 'bye' },
      ],
    })
    const from = waId()
    const t0 = DateTime.now().startOf('second')
    await say(made, typed(from, 'Insurance'), t0)
    await runAt(context, t0)
    const { id: conversationId } = await conversationOf(context, from)
    let sent = await flowMessages(context, conversationId)
    assert.deepEqual(
      sent.map((m) => m.type),
      ['document', 'text']
    )
    assert.equal(sent[0].payload.content.link, 'https://files.example.com/brochure.pdf')
    assert.equal(sent[0].payload.content.caption, 'Our brochure, Layla')
    assert.equal(sent[0].payload.content.filename, 'Brochure.pdf')
    assert.equal(sent[1].body, 'Please send your current policy')

    await say(made, typed(from, 'I will send it later'), t0.plus({ minutes: 1 }))
    await runAt(context, t0.plus({ minutes: 1 }))
    sent = await flowMessages(context, conversationId)
    assert.equal(sent.at(-1)!.body, 'A photo or a file of it, please')

    const document = messages.document({ from })
    const stored = await say(made, document, t0.plus({ minutes: 2 }))
    await runAt(context, t0.plus({ minutes: 2 }))
    sent = await flowMessages(context, conversationId)
    assert.equal(sent.at(-1)!.body, 'Got policy-2024.pdf')
    const [session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'completed')
    assert.equal(session.answers.policy, 'policy-2024.pdf')
    assert.deepEqual(session.answers.policy_file, {
      message_id: stored,
      type: 'document',
      filename: 'policy-2024.pdf',
      caption: 'My policy',
    })
  })
})
