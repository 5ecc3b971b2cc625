import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import emitter from '@adonisjs/core/services/emitter'
import { addSandboxChannel } from '#modules/channels/index'
import {
  readAssistantSettings,
  replyToInboundMessage,
  saveAssistantSettings,
} from '#modules/brain/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { customerSays, learnText } from '#tests/helpers/brain'
import { useWorkers } from '#tests/helpers/queue'
import { waitFor } from '#tests/helpers/whatsapp'
import { useFakeOpenAI } from '#tests/helpers/fake_openai_server'

/*
| The assistant over a conversation rather than one message: a burst of
| messages sent within the wait gets one answer, a lone message is answered
| after the wait and no later, and a follow-up ("and the rent?") is read with
| the exchange before it and with what the customer told us, offline and
| with a chat model.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

const LISTINGS = `# Available rentals

| Reference | Area | Type | Bedrooms | Annual rent (AED) | Available from |
| --- | --- | --- | --- | --- | --- |
| GV-101 | Jumeirah Lake Towers | Apartment | 1 | 78000 | 2026-01-15 |
| GV-102 | Jumeirah Lake Towers | Apartment | 2 | 115000 | 2026-02-01 |
| GV-103 | Dubai Marina | Apartment | 3 | 210000 | 2026-03-01 |
| GV-104 | Arabian Ranches | Villa | 4 | 265000 | 2026-01-05 |`

async function listingsWorkspace(cleanup: Cleanup) {
  const ws = await makeWorkspace(cleanup, 'turns')
  const channel = await addSandboxChannel(ws.tenant, systemActor)
  await learnText(ws.context, 'Available rentals', LISTINGS)
  const current = await readAssistantSettings(ws.context, channel.id)
  await saveAssistantSettings(ws.context, channel.id, { ...current, enabled: true }, null)
  return { ...ws, channel }
}

/** Sets the burst wait for one test. */
function burstWait(cleanup: Cleanup, ms: number) {
  const previous = app.config.get<Record<string, unknown>>('brain')
  app.config.set('brain', { ...previous, assistantBurstWaitMs: ms })
  cleanup(() => app.config.set('brain', previous))
}

/** A customer message through the inbound path's announcement, as the channels module makes it. */
async function receive(
  tenant: TenantContext & { slug: string },
  tenantId: string,
  channelId: string,
  text: string,
  conversationId?: string
) {
  const said = await customerSays(tenant, channelId, text, conversationId)
  await emitter.emit('message:received', {
    tenant: tenant.slug,
    tenantId,
    messageId: said.messageId,
    externalId: null,
    conversationId: said.conversationId,
    contactId: said.contactId,
    channelId,
    type: 'text',
    text,
    providerTimestamp: null,
  })
  return said
}

async function assistantMessages(tenant: TenantContext, conversationId: string) {
  return tenant.transaction((trx) =>
    trx
      .from('messages')
      .where('conversation_id', conversationId)
      .where('author_type', 'assistant')
      .orderBy('seq')
      .select('id', 'body', 'created_at')
  )
}

async function replyRows(tenant: TenantContext, conversationId: string) {
  return tenant.transaction((trx) =>
    trx
      .from('assistant_replies')
      .where('conversation_id', conversationId)
      .select('inbound_message_id', 'outcome', 'reason', 'message_id')
  )
}

test.group('Assistant turns: bursts', (group) => {
  useWorkers(group, ['default', 'inbound'])

  test('three messages sent within the wait get one answer, to all of them', async ({
    assert,
    cleanup,
  }) => {
    burstWait(cleanup, 1500)
    const w = await listingsWorkspace(cleanup)
    const first = await receive(w.context, w.tenant.id, w.channel.id, 'hi')
    const { conversationId } = first
    await new Promise((resolve) => setTimeout(resolve, 300))
    const second = await receive(
      w.context,
      w.tenant.id,
      w.channel.id,
      'is the flat in JLT still available',
      conversationId
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    const third = await receive(
      w.context,
      w.tenant.id,
      w.channel.id,
      'the 2 bedroom one',
      conversationId
    )

    const rows = await waitFor(async () => {
      const found = await replyRows(w.context, conversationId)
      return found.length === 3 && found.some((row) => row.message_id) ? found : null
    }, 15_000)
    // The earlier runs stand aside; the last message's run answers the turn.
    const byMessage = new Map(rows.map((row) => [row.inbound_message_id, row]))
    assert.equal(byMessage.get(third.messageId)?.outcome, 'answered')
    assert.equal(byMessage.get(first.messageId)?.reason, 'answered_with_later')
    assert.equal(byMessage.get(second.messageId)?.reason, 'answered_with_later')

    // Give any stray run time to (wrongly) answer again.
    await new Promise((resolve) => setTimeout(resolve, 800))
    const messages = await assistantMessages(w.context, conversationId)
    assert.lengthOf(messages, 1)
    assert.include(messages[0].body, 'GV-102')
    assert.include(messages[0].body, '2026-02-01')
  }).timeout(30_000)

  test('a lone message is answered after the wait, and not later than it', async ({
    assert,
    cleanup,
  }) => {
    const wait = 1200
    burstWait(cleanup, wait)
    const w = await listingsWorkspace(cleanup)
    const sentAt = Date.now()
    const { conversationId } = await receive(
      w.context,
      w.tenant.id,
      w.channel.id,
      'What is the annual rent of the villa in Arabian Ranches?'
    )
    const [reply] = await waitFor(async () => {
      const found = await assistantMessages(w.context, conversationId)
      return found.length ? found : null
    }, 15_000)
    const answeredAfter = Date.now() - sentAt
    assert.include(reply.body, '265000')
    assert.isAtLeast(answeredAfter, wait)
    // The wait, plus the time a queue and an answer take, never a second wait.
    assert.isBelow(answeredAfter, wait + 2500)
  }).timeout(30_000)

  test('with no wait configured, a message is answered at once', async ({ assert, cleanup }) => {
    burstWait(cleanup, 0)
    const w = await listingsWorkspace(cleanup)
    const sentAt = Date.now()
    const { conversationId } = await receive(
      w.context,
      w.tenant.id,
      w.channel.id,
      'What is the annual rent of the villa in Arabian Ranches?'
    )
    await waitFor(async () => {
      const found = await assistantMessages(w.context, conversationId)
      return found.length ? found : null
    }, 15_000)
    assert.isBelow(Date.now() - sentAt, 1200)
  }).timeout(30_000)
})

test.group('Assistant turns: follow-ups', () => {
  test('offline, "and the rent?" is answered for the flat the customer just asked about', async ({
    assert,
    cleanup,
  }) => {
    const w = await listingsWorkspace(cleanup)
    const asked = await customerSays(
      w.context,
      w.channel.id,
      'When is the 2 bedroom apartment in JLT available?'
    )
    assert.equal((await replyToInboundMessage(w.context, asked.messageId)).kind, 'answered')
    const followUp = await customerSays(
      w.context,
      w.channel.id,
      'and the rent?',
      asked.conversationId
    )
    assert.equal((await replyToInboundMessage(w.context, followUp.messageId)).kind, 'answered')
    const [first, second] = await assistantMessages(w.context, asked.conversationId)
    assert.include(first.body, '2026-02-01')
    assert.include(second.body, '115000')
    assert.notInclude(second.body, '78000')

    // Alone, in a conversation of its own, the same words say nothing about which flat.
    const alone = await customerSays(w.context, w.channel.id, 'and the rent?')
    await replyToInboundMessage(w.context, alone.messageId)
    const [lone] = await assistantMessages(w.context, alone.conversationId)
    assert.notInclude(lone.body, '115000')
  })

  test('offline, a follow-up leans on what the customer told us they are after', async ({
    assert,
    cleanup,
  }) => {
    const w = await listingsWorkspace(cleanup)
    const said = await customerSays(w.context, w.channel.id, 'how much is the rent?')
    await w.context.transaction(async (trx) => {
      await trx.table('contact_memory_facts').insert({
        contact_id: said.contactId,
        kind: 'preference',
        value: 'a 4 bedroom villa in Arabian Ranches',
        value_key: 'a 4 bedroom villa in arabian ranches',
      })
    })
    assert.equal((await replyToInboundMessage(w.context, said.messageId)).kind, 'answered')
    const [reply] = await assistantMessages(w.context, said.conversationId)
    assert.include(reply.body, '265000')
  })
})

test.group('Assistant turns: follow-ups with a chat model', (group) => {
  const ai = useFakeOpenAI(group, { chatModel: 'chat-test', embedModel: null })

  test('the model gets the last exchange, and the passages found with it', async ({
    assert,
    cleanup,
  }) => {
    const w = await listingsWorkspace(cleanup)
    ai.respond(() =>
      JSON.stringify({
        answer: 'The 2 bedroom apartment in JLT is available from 2026-02-01 [1].',
        citations: [1],
        covered: true,
        confidence: 0.9,
      })
    )
    const asked = await customerSays(
      w.context,
      w.channel.id,
      'When is the 2 bedroom apartment in JLT available?'
    )
    assert.equal((await replyToInboundMessage(w.context, asked.messageId)).kind, 'answered')

    ai.respond(() =>
      JSON.stringify({
        answer: 'Its annual rent is AED 115000 [1].',
        citations: [1],
        covered: true,
        confidence: 0.9,
      })
    )
    const followUp = await customerSays(
      w.context,
      w.channel.id,
      'and the rent?',
      asked.conversationId
    )
    assert.equal((await replyToInboundMessage(w.context, followUp.messageId)).kind, 'answered')
    const call = ai.chatCalls().at(-1)!
    const user = call.body.messages.at(-1).content as string
    assert.include(user, 'Earlier in this conversation')
    assert.include(user, 'Customer: When is the 2 bedroom apartment in JLT available?')
    assert.include(user, 'You: The 2 bedroom apartment in JLT is available from 2026-02-01')
    assert.include(user, 'Question: and the rent?')
    assert.include(user, 'GV-102')
  })
})
