import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import { DateTime } from 'luxon'
import {
  addWhatsAppChannel,
  MessageTemplate,
  queueOutboundMessage,
  submitTemplate,
  syncTemplates,
  SyncAllTemplatesJob,
  type Channel,
} from '#modules/channels/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { runAce } from '#tests/helpers/ace'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { waitFor } from '#tests/helpers/whatsapp'

const TOKEN = `token-${randomBytes(6).toString('hex')}`

function remoteTemplate(
  name: string,
  status = 'APPROVED',
  body = 'Hello {{1}}, your policy {{2}} renews soon.'
) {
  return {
    id: String(randomBytes(6).readUIntBE(0, 6)),
    name,
    language: 'en_US',
    status,
    category: 'UTILITY',
    components: [{ type: 'BODY', text: body }],
  }
}

async function code(promise: Promise<unknown>) {
  try {
    await promise
  } catch (error) {
    return (error as { code?: string }).code
  }
  return null
}

async function templatesOf(context: TenantContext) {
  return context.transaction((trx) => MessageTemplate.query({ client: trx }).orderBy('name'))
}

test.group('Message templates', (group) => {
  const graph = useFakeGraph(group, { token: TOKEN })

  async function number(cleanup: (fn: () => Promise<void>) => void) {
    const made = await makeTenant('tpl')
    cleanup(made.cleanup)
    const waba = String(Date.now()) + randomBytes(2).readUInt16BE(0)
    const channel: Channel = await addWhatsAppChannel(
      made.tenant,
      {
        phoneNumberId: waba + '1',
        wabaId: waba,
        displayNumber: '+15550002222',
        accessToken: TOKEN,
        appSecret: 's',
        verifyToken: 'v',
      },
      systemActor
    )
    return { ...made, channel, waba }
  }

  test('a sync pulls every page of the account’s templates with their variables', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, waba } = await number(cleanup)
    graph.templates.set(
      waba,
      Array.from({ length: 130 }, (_, i) => remoteTemplate(`notice_${String(i).padStart(3, '0')}`))
    )
    const result = await syncTemplates(context, channel)
    assert.equal(result.total, 130)
    const stored = await templatesOf(context)
    assert.lengthOf(stored, 130)
    assert.equal(stored[0].bodyVariables, 2)
    assert.equal(stored[0].category, 'UTILITY')
    assert.isTrue(stored[0].isApproved)
  })

  test('status changes are recorded, and templates gone from WhatsApp are marked deleted', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, waba } = await number(cleanup)
    graph.templates.set(waba, [remoteTemplate('welcome', 'PENDING'), remoteTemplate('old_offer')])
    await syncTemplates(context, channel)

    graph.templates.set(waba, [remoteTemplate('welcome', 'REJECTED')])
    const result = await syncTemplates(context, channel)
    assert.sameDeepMembers(
      result.changed.map((c) => `${c.name}:${c.from}->${c.to}`),
      ['welcome:PENDING->REJECTED', 'old_offer:APPROVED->DELETED']
    )
    const [gone, welcome] = await templatesOf(context)
    assert.equal(welcome.status, 'REJECTED')
    assert.equal(welcome.previousStatus, 'PENDING')
    assert.isNotNull(welcome.statusChangedAt)
    assert.equal(gone.status, 'DELETED')
  })

  test('a new template is checked, submitted with its example values, and recorded pending', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, waba } = await number(cleanup)
    assert.equal(
      await code(
        submitTemplate(context, channel, {
          name: 'Bad Name',
          language: 'en',
          category: 'UTILITY',
          body: 'Hi {{1}} and {{3}}',
          bodyExamples: ['Sam'],
        })
      ),
      'invalid_template'
    )

    const template = await submitTemplate(context, channel, {
      name: 'renewal_reminder',
      language: 'en_US',
      category: 'UTILITY',
      body: 'Hi {{1}}, policy {{2}} renews on {{3}}.',
      bodyExamples: ['Sam', 'PL-123', '1 May'],
      footer: 'Reply STOP to opt out',
      quickReplies: ['Renew', 'Call me'],
    })
    assert.equal(template.status, 'PENDING')
    assert.equal(template.bodyVariables, 3)
    const sent = graph.templates.get(waba)!.at(-1)!
    assert.equal(sent.name, 'renewal_reminder')
    assert.deepEqual(sent.components.find((c: any) => c.type === 'BODY').example, {
      body_text: [['Sam', 'PL-123', '1 May']],
    })

    graph.fail(400, 100, 'Invalid parameter')
    assert.equal(
      await code(
        submitTemplate(context, channel, {
          name: 'another_one',
          language: 'en',
          category: 'MARKETING',
          body: 'Sale!',
        })
      ),
      'template_refused'
    )
  })

  test('a template send needs an approved template and exactly its variables', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, waba } = await number(cleanup)
    graph.templates.set(waba, [
      remoteTemplate('renewal_notice'),
      remoteTemplate('draft_offer', 'PENDING'),
    ])
    await syncTemplates(context, channel)
    const conversationId = await context.transaction(async (trx) => {
      const [contact] = await trx
        .table('contacts')
        .insert({ phone: '+15550007777' })
        .returning('id')
      const [conversation] = await trx
        .table('conversations')
        .insert({
          contact_id: contact.id,
          channel_id: channel.id,
          last_customer_message_at: DateTime.now().minus({ days: 3 }).toJSDate(),
        })
        .returning('id')
      return conversation.id as string
    })
    const send = (name: string, variables: string[]) =>
      code(
        queueOutboundMessage(context, {
          conversationId,
          content: { type: 'template', name, language: 'en_US', variables },
          authorType: 'agent',
        })
      )

    assert.equal(await send('no_such_template', []), 'invalid_message')
    assert.equal(await send('draft_offer', ['a', 'b']), 'invalid_message')
    assert.equal(await send('renewal_notice', ['Sam']), 'invalid_message')
    assert.isNull(await send('renewal_notice', ['Sam', 'PL-1']))
  })

  test('channels:sync-templates syncs from the shell; tenants keep their own templates', async ({
    assert,
    cleanup,
  }) => {
    const mine = await number(cleanup)
    const theirs = await number(cleanup)
    graph.templates.set(mine.waba, [remoteTemplate('mine_only')])
    graph.templates.set(theirs.waba, [remoteTemplate('theirs_only')])

    const result = await runAce(
      ['channels:sync-templates', '--tenant', mine.tenant.slug, '--json'],
      {
        WHATSAPP_GRAPH_URL: graph.url,
      }
    )
    assert.equal(result.code, 0, result.stderr + result.stdout)
    assert.equal(JSON.parse(result.stdout.trim().split('\n').at(-1)!).channels[0].templates, 1)
    await syncTemplates(theirs.context, theirs.channel)

    assert.deepEqual(
      (await templatesOf(mine.context)).map((t) => t.name),
      ['mine_only']
    )
    assert.deepEqual(
      (await templatesOf(theirs.context)).map((t) => t.name),
      ['theirs_only']
    )
  })
})

test.group('Message templates on a schedule', (group) => {
  const graph = useFakeGraph(group, { token: TOKEN })
  withDefaultQueueWorker(group)

  test('the scheduled run syncs every active WhatsApp number of every active tenant', async ({
    assert,
    cleanup,
  }) => {
    const made = await makeTenant('tpl-sched')
    cleanup(made.cleanup)
    const waba = String(Date.now()) + randomBytes(2).readUInt16BE(0)
    await addWhatsAppChannel(
      made.tenant,
      {
        phoneNumberId: waba + '7',
        wabaId: waba,
        displayNumber: '+15550003333',
        accessToken: TOKEN,
        appSecret: 's',
        verifyToken: 'v',
      },
      systemActor
    )
    graph.templates.set(waba, [remoteTemplate('scheduled_one')])

    await new SyncAllTemplatesJob().handle()
    const synced = await waitFor(async () => {
      const templates = await templatesOf(made.context)
      return templates.length ? templates : null
    })
    assert.deepEqual(
      synced.map((t) => t.name),
      ['scheduled_one']
    )
  }).timeout(30_000)
})
