import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import emitter from '@adonisjs/core/services/emitter'
import redis from '@adonisjs/redis/services/main'
import queue from '@rlanz/bull-queue/services/main'
import { inWorkBatch } from '#app/queue/work_batch'
import { addSandboxChannel } from '#modules/channels/index'
import { readAssistantSettings, saveAssistantSettings } from '#modules/brain/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { customerSays } from '#tests/helpers/brain'

/*
| The hand-off emits `message:received` for a batch of messages inside a
| work batch (app/queue/work_batch.ts): the listeners' jobs go to Redis
| together and once per conversation where once is what they mean. No queue
| worker runs here, so what was queued stays in Redis to be counted.
*/

type Received = Awaited<ReturnType<typeof customerSays>>

function received(tenant: TenantContext, channelId: string, message: Received, text: string) {
  return emitter.emit('message:received', {
    tenant: tenant.slug,
    tenantId: tenant.id,
    messageId: message.messageId,
    externalId: null,
    conversationId: message.conversationId,
    contactId: message.contactId,
    channelId,
    type: 'text',
    text,
    providerTimestamp: null,
  })
}

async function setAssistant(tenant: TenantContext, channelId: string, enabled: boolean) {
  const current = await readAssistantSettings(tenant, channelId)
  await saveAssistantSettings(tenant, channelId, { ...current, enabled }, null)
}

/** Too long to be an opt-out keyword: no keyword job, only the assistant's and memory's. */
const LONG_TEXT =
  'Could you tell me your opening hours for this week, and whether I need to book ahead?'

/** How many jobs were ever added to the default queue (BullMQ counts every add). */
async function addedJobs() {
  const jobs = queue.getOrSet('default')
  const client = await jobs.client
  return Number((await client.get(`${jobs.keys.id}`)) ?? 0)
}

/** Collects the live notices published on a workspace's inbox topic. */
async function inboxNotices(cleanup: (fn: () => Promise<void>) => void, tenantId: string) {
  const prefix = app.config.get<string>('redis.connections.main.keyPrefix', '')
  const channel = `${prefix}live:inbox:${tenantId}`
  const notices: Array<{ kind: string; conversationId?: string; messageId?: string }> = []
  await new Promise<void>((resolve, reject) => {
    redis
      .connection()
      .subscribe(channel, (message: string) => void notices.push(JSON.parse(message)), {
        onSubscription: () => resolve(),
        onError: reject,
      })
  })
  cleanup(async () => {
    await redis.connection().unsubscribe(channel)
  })
  return notices
}

test.group('Channels: a batch of received messages', () => {
  test('queues an assistant job per message, one memory update and one live notice per conversation', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context } = await makeWorkspace(cleanup, 'wbatch')
    const channel = await addSandboxChannel(tenant, systemActor)
    await setAssistant(context, channel.id, true)
    const first = await customerSays(context, channel.id, 'Hello')
    const chatA = [
      first,
      await customerSays(context, channel.id, 'Are you open?', first.conversationId),
      await customerSays(context, channel.id, 'On Friday?', first.conversationId),
    ]
    const chatB = [await customerSays(context, channel.id, 'Prices please')]
    const notices = await inboxNotices(cleanup, tenant.id)
    const addedBefore = await addedJobs()

    // As the hand-off does: conversations side by side, each in order.
    await inWorkBatch(() =>
      Promise.all(
        [chatA, chatB].map(async (chat) => {
          for (const message of chat) await received(context, channel.id, message, LONG_TEXT)
        })
      )
    )

    const jobs = queue.getOrSet('default')
    for (const message of [...chatA, ...chatB]) {
      const job = await jobs.getJob(`assistant-${context.slug}-${message.messageId}`)
      assert.exists(job, `assistant job for ${message.messageId}`)
    }
    // 4 assistant jobs and one memory update per conversation (not per message).
    assert.equal((await addedJobs()) - addedBefore, 4 + 2)
    for (const chat of [chatA, chatB]) {
      const id = await jobs.getDeduplicationJobId(
        `memory:${context.slug}:${chat[0].conversationId}`
      )
      assert.isString(id)
      assert.equal(await jobs.getJob(id!).then((job) => job?.getState()), 'delayed')
    }
    // Published before inWorkBatch returned; delivered to our subscriber right after.
    for (let i = 0; i < 100 && notices.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    const messageNotices = notices.filter((notice) => notice.kind === 'message')
    assert.sameDeepMembers(messageNotices, [
      { kind: 'message', conversationId: chatA[0].conversationId, messageId: chatA[2].messageId },
      { kind: 'message', conversationId: chatB[0].conversationId, messageId: chatB[0].messageId },
    ])
  })

  test('switching the assistant on or off counts from the next message', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context } = await makeWorkspace(cleanup, 'wbatch')
    const channel = await addSandboxChannel(tenant, systemActor)
    const jobs = queue.getOrSet('default')
    const assistantJob = (message: Received) =>
      jobs.getJob(`assistant-${context.slug}-${message.messageId}`)

    const before = await customerSays(context, channel.id, 'Hello')
    await received(context, channel.id, before, 'Hello')
    assert.notExists(await assistantJob(before), 'no job while the assistant is off')

    await setAssistant(context, channel.id, true)
    const on = await customerSays(context, channel.id, 'Still there?', before.conversationId)
    await received(context, channel.id, on, 'Still there?')
    assert.exists(await assistantJob(on), 'a job once it is on')

    await setAssistant(context, channel.id, false)
    const off = await customerSays(context, channel.id, 'Hello?', before.conversationId)
    await inWorkBatch(() => received(context, channel.id, off, 'Hello?'))
    assert.notExists(await assistantJob(off), 'no job once it is off again')
  })

  test("another workspace's assistant being on queues nothing for this one", async ({
    assert,
    cleanup,
  }) => {
    const mine = await makeWorkspace(cleanup, 'wbatch')
    const theirs = await makeWorkspace(cleanup, 'wbatch')
    const myChannel = await addSandboxChannel(mine.tenant, systemActor)
    const theirChannel = await addSandboxChannel(theirs.tenant, systemActor)
    await setAssistant(theirs.context, theirChannel.id, true)

    const message = await customerSays(mine.context, myChannel.id, 'Hello')
    await inWorkBatch(() => received(mine.context, myChannel.id, message, 'Hello'))
    const job = await queue
      .getOrSet('default')
      .getJob(`assistant-${mine.context.slug}-${message.messageId}`)
    assert.notExists(job)
  })
})
