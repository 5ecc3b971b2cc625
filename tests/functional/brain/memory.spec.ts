import { test } from '@japa/runner'
import emitter from '@adonisjs/core/services/emitter'
import queue from '@rlanz/bull-queue/services/main'
import {
  loadMemory,
  memoryPrompt,
  scheduleMemoryUpdate,
  updateContactMemory,
  UpdateMemoryJob,
} from '#modules/brain/index'
import { deleteContact } from '#modules/inbox/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { signIn } from '#tests/functional/workspace/member_browser'
import { chat, memoryRows, say, sharedWorkspace } from './memory_helpers.js'

const FIRST_CHAT = [
  { from: 'contact', body: 'Hello, my name is sara haddad.' },
  {
    from: 'contact',
    body: 'Does my malpractice policy MP-2024-00123 cover locum work at another clinic?',
  },
  { from: 'agent', body: 'Yes, locum work is covered on the same terms.' },
  { from: 'note', body: 'Internal: my name is Nobody, policy XX-99999999' },
  { from: 'contact', body: 'Great. I prefer email, write to sara.h@example.com' },
] as const

test.group('Contact memory: the update job', (group) => {
  const workspace = sharedWorkspace(group, 'mem')

  test('reads a conversation into facts and a summary, and a second run changes nothing', async ({
    assert,
  }) => {
    const { context } = workspace()
    const { contact, conversation, messageIds } = await chat(context, [...FIRST_CHAT])

    const first = await new UpdateMemoryJob().run(context, {
      tenant: context.slug,
      conversationId: conversation.id,
    })
    assert.deepInclude(first, { status: 'updated', mode: 'extractive', messagesRead: 4 })

    const memory = await context.transaction((trx) => loadMemory(trx, contact.id))
    assert.sameDeepMembers(memory.facts, [
      { kind: 'name', value: 'Sara Haddad' },
      { kind: 'policy_number', value: 'MP-2024-00123' },
      { kind: 'preference', value: 'email, write to sara.h@example.com' },
      { kind: 'email', value: 'sara.h@example.com' },
    ])
    // The internal note is neither a fact nor quoted.
    assert.notInclude(JSON.stringify(memory), 'Nobody')
    assert.include(memory.summary!, 'cover locum work')
    assert.notInclude(memory.summary!, 'same terms')
    assert.isString(memory.updatedAt)
    assert.include(memoryPrompt(memory), '- Policy number: MP-2024-00123')

    // Facts point at the message they came from.
    const source = await context.transaction((trx) =>
      trx.from('contact_memory_facts').where('kind', 'policy_number').first()
    )
    assert.equal(source.message_id, messageIds[1])

    const before = await context.transaction((trx) =>
      trx.from('contact_memories').where('contact_id', contact.id).first()
    )
    const again = await updateContactMemory(context, contact.id)
    assert.deepEqual(again, { status: 'unchanged', mode: null, messagesRead: 0, factsAdded: 0 })
    const after = await context.transaction((trx) =>
      trx.from('contact_memories').where('contact_id', contact.id).first()
    )
    assert.deepEqual(after, before)

    // Only what came since is read next time; the summary rolls on.
    await say(context, conversation, [
      { from: 'contact', body: 'My renewal date is 2027-03-12, please remind me before then.' },
    ])
    const next = await updateContactMemory(context, contact.id)
    assert.deepInclude(next, { status: 'updated', messagesRead: 1, factsAdded: 1 })
    const rolled = await context.transaction((trx) => loadMemory(trx, contact.id))
    assert.deepInclude(rolled.facts, { kind: 'date', value: '2027-03-12' })
  })

  test('remembers Arabic conversations', async ({ assert }) => {
    const { context } = workspace()
    const { contact } = await chat(context, [
      { from: 'contact', body: 'مرحبا، انا اسمي ليلى' },
      { from: 'contact', body: 'رقم البوليصة ٧٨٩٠١٢ هل تغطي العلاج في الخارج؟' },
    ])
    await updateContactMemory(context, contact.id)
    const memory = await context.transaction((trx) => loadMemory(trx, contact.id))
    assert.deepInclude(memory.facts, { kind: 'name', value: 'ليلى' })
    assert.deepInclude(memory.facts, { kind: 'policy_number', value: '٧٨٩٠١٢' })
    assert.include(memory.summary!, 'هل تغطي العلاج في الخارج')
  })

  test('an unknown contact or one of another tenant has no memory', async ({ assert, cleanup }) => {
    const home = workspace()
    const other = await makeWorkspace(cleanup, 'mem-b')
    const { contact } = await chat(home.context, [...FIRST_CHAT])
    assert.equal((await updateContactMemory(other.context, contact.id)).status, 'no_contact')
    await updateContactMemory(home.context, contact.id)
    const seen = await other.context.transaction((trx) => loadMemory(trx, contact.id))
    assert.deepEqual(seen, { summary: null, facts: [], updatedAt: null })
  })
})

test.group('Contact memory: erasure', (group) => {
  const workspace = sharedWorkspace(group, 'mem-del')

  test('deleting a contact erases its summary, facts and tombstones', async ({ assert }) => {
    const { context } = workspace()
    const { contact } = await chat(context, [...FIRST_CHAT])
    await updateContactMemory(context, contact.id)
    await context.transaction((trx) =>
      trx
        .table('contact_memory_dismissed')
        .insert({ contact_id: contact.id, kind: 'email', value_key: 'x@example.com' })
    )
    assert.deepEqual(await memoryRows(context, contact.id), {
      memories: 1,
      facts: 4,
      dismissed: 1,
    })
    await deleteContact(context, contact.id)
    assert.deepEqual(await memoryRows(context, contact.id), {
      memories: 0,
      facts: 0,
      dismissed: 0,
    })
  })

  test("the contact page's delete erases the memory too", async ({ assert }) => {
    const { context, base, member } = workspace()
    const agent = await member('agent')
    const { contact } = await chat(context, [...FIRST_CHAT])
    await updateContactMemory(context, contact.id)
    const web = await signIn(agent)
    const deleted = await web.submit(
      `${base}/contacts/${contact.id}`,
      `${base}/contacts/${contact.id}/delete`,
      { confirm: contact.phone! }
    )
    assert.equal(deleted.location, `${base}/contacts`)
    assert.deepEqual(await memoryRows(context, contact.id), {
      memories: 0,
      facts: 0,
      dismissed: 0,
    })
  })
})

test.group('Contact memory: the queue', (group) => {
  withDefaultQueueWorker(group)

  test('inbound activity waits (debounced); a resolved conversation is remembered at once', async ({
    assert,
    cleanup,
  }) => {
    const { context, tenant } = await makeWorkspace(cleanup, 'mem-q')
    const { contact, conversation } = await chat(context, [...FIRST_CHAT])
    const jobs = queue.getOrSet('default')
    const dedupId = `memory:${context.slug}:${conversation.id}`

    const first = await scheduleMemoryUpdate(context, conversation.id, 60_000)
    const second = await scheduleMemoryUpdate(context, conversation.id, 60_000)
    assert.notEqual(first.id, second.id)
    assert.isUndefined(await jobs.getJob(first.id!), 'the waiting update was replaced')
    assert.equal(await jobs.getJob(second.id!).then((job) => job?.getState()), 'delayed')
    assert.equal(await jobs.getDeduplicationJobId(dedupId), second.id)

    emitter.emit('conversation:resolved', {
      tenant: context.slug,
      tenantId: tenant.id,
      conversationId: conversation.id,
      byUserId: null,
    })
    let memory = await context.transaction((trx) => loadMemory(trx, contact.id))
    for (let i = 0; i < 200 && !memory.summary; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25))
      memory = await context.transaction((trx) => loadMemory(trx, contact.id))
    }
    assert.include(memory.summary!, 'cover locum work')
    assert.isUndefined(await jobs.getJob(second.id!), 'the delayed update was replaced')
  }).timeout(15_000)
})
