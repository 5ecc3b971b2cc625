import { test } from '@japa/runner'
import { loadMemory, updateContactMemory } from '#modules/brain/index'
import { makeTenant } from '#tests/helpers/tenants'
import { useFakeOpenAI } from '#tests/helpers/fake_openai_server'
import { chat, say } from './memory_helpers.js'

const CHAT = [
  { from: 'contact', body: 'Hi, this is Dr Omar. Does policy MP-77 cover locum shifts?' },
  { from: 'agent', body: 'Yes, locum shifts are covered.' },
  { from: 'note', body: 'secret internal note' },
  { from: 'contact', body: 'Great, my email is omar@example.com' },
] as const

test.group('Contact memory with a chat model', (group) => {
  const ai = useFakeOpenAI(group, { chatModel: 'chat-test', embedModel: null })
  let tenant: Awaited<ReturnType<typeof makeTenant>>
  group.setup(async () => {
    tenant = await makeTenant('memllm')
    return () => tenant.cleanup()
  })

  test('the model summarises and extracts from the previous memory and the new messages', async ({
    assert,
  }) => {
    const { context } = tenant
    const { contact, conversation, messageIds } = await chat(context, [...CHAT])
    ai.respond(() =>
      JSON.stringify({
        summary: 'Dr Omar asked whether MP-77 covers locum shifts; told yes.',
        facts: [
          { kind: 'name', value: 'Dr Omar', message: 1 },
          { kind: 'policy_number', value: 'MP-77', message: 1 },
          { kind: 'email', value: 'omar@example.com', message: 3 },
        ],
      })
    )
    const result = await updateContactMemory(context, contact.id)
    assert.deepEqual(result, { status: 'updated', mode: 'model', messagesRead: 3, factsAdded: 3 })

    const [call] = ai.chatCalls()
    assert.equal(call.body.model, 'chat-test')
    assert.deepEqual(call.body.response_format, { type: 'json_object' })
    const prompt = call.body.messages[1].content as string
    assert.include(prompt, 'Previous summary:\n(none)')
    assert.match(prompt, /\[1\] .* Customer: Hi, this is Dr Omar/)
    assert.match(prompt, /\[2\] .* Team: Yes, locum shifts are covered\./)
    assert.notInclude(prompt, 'secret internal note')

    const memory = await context.transaction((trx) => loadMemory(trx, contact.id))
    assert.equal(memory.summary, 'Dr Omar asked whether MP-77 covers locum shifts; told yes.')
    const rows = await context.transaction((trx) =>
      trx.from('contact_memory_facts').where('contact_id', contact.id).orderBy('kind')
    )
    assert.deepEqual(
      rows.map((row) => [row.kind, row.source, row.message_id]),
      [
        ['email', 'model', messageIds[3]],
        ['name', 'model', messageIds[0]],
        ['policy_number', 'model', messageIds[0]],
      ]
    )

    // The next update gives the model what it wrote before and only the new message.
    await say(context, conversation, [{ from: 'contact', body: 'Please call me after 6pm' }])
    ai.respond(() =>
      JSON.stringify({
        summary: 'Dr Omar (MP-77, locum shifts covered) wants calls after 6pm.',
        facts: [{ kind: 'preference', value: 'calls after 6pm', message: 1 }],
      })
    )
    await updateContactMemory(context, contact.id)
    const second = ai.chatCalls()[1].body.messages[1].content as string
    assert.include(second, 'Dr Omar asked whether MP-77 covers locum shifts; told yes.')
    assert.include(second, '- policy_number: MP-77')
    assert.notInclude(second, 'Hi, this is Dr Omar')
    assert.include(second, '[1] ')
    const rolled = await context.transaction((trx) => loadMemory(trx, contact.id))
    assert.equal(rolled.summary, 'Dr Omar (MP-77, locum shifts covered) wants calls after 6pm.')
    assert.deepInclude(rolled.facts, { kind: 'preference', value: 'calls after 6pm' })
  })

  test('a malformed reply or a refused request falls back to offline extraction; nothing is lost', async ({
    assert,
  }) => {
    const { context } = tenant
    const { contact, conversation } = await chat(context, [...CHAT])
    ai.respond(() => 'Sure! The customer is Dr Omar and he likes locum shifts.')
    const result = await updateContactMemory(context, contact.id)
    assert.deepInclude(result, { status: 'updated', mode: 'extractive', messagesRead: 3 })
    const memory = await context.transaction((trx) => loadMemory(trx, contact.id))
    assert.deepInclude(memory.facts, { kind: 'email', value: 'omar@example.com' })
    assert.include(memory.summary!, 'Does policy MP-77 cover locum shifts?')

    await say(context, conversation, [{ from: 'contact', body: 'My name is Omar Khalil.' }])
    ai.fail(400, 'invalid_request', 'response_format is not supported')
    const refused = await updateContactMemory(context, contact.id)
    assert.deepInclude(refused, { mode: 'extractive', messagesRead: 1 })
    const after = await context.transaction((trx) => loadMemory(trx, contact.id))
    assert.deepInclude(after.facts, { kind: 'name', value: 'Omar Khalil' })
    assert.equal(ai.chatCalls().length, 2)
  })

  test("an agent's summary is kept while the model adds facts", async ({ assert }) => {
    const { context } = tenant
    const { contact } = await chat(context, [...CHAT])
    await context.transaction((trx) =>
      trx.table('contact_memories').insert({
        contact_id: contact.id,
        summary: 'VIP client; always escalate to Mona.',
        source: 'agent',
      })
    )
    ai.respond(() =>
      JSON.stringify({
        summary: 'A doctor asking about locum cover.',
        facts: [{ kind: 'policy_number', value: 'MP-77', message: 1 }],
      })
    )
    await updateContactMemory(context, contact.id)
    const prompt = ai.chatCalls()[0].body.messages[1].content as string
    assert.include(prompt, 'VIP client; always escalate to Mona.')
    const memory = await context.transaction((trx) => loadMemory(trx, contact.id))
    assert.equal(memory.summary, 'VIP client; always escalate to Mona.')
    assert.deepEqual(memory.facts, [{ kind: 'policy_number', value: 'MP-77' }])
  })
})
