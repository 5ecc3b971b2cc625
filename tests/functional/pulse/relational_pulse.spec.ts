import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { Task } from '#modules/hitl/index'
import { PULSE_KIND, listDrafts, savePulseSettings, type PulseSettings } from '#modules/pulse/index'
import { makeMember } from '#tests/helpers/users'
import { signIn } from '#tests/functional/workspace/member_browser'
import { useFakeOpenAI } from '#tests/helpers/fake_openai_server'
import { customer, waitFor } from '#tests/helpers/whatsapp'
import type { TenantContext } from '#modules/tenancy/index'
import { campaignTenant } from './campaign_fixtures.js'
import { clockAt, dueOf, runAt, systemMessages } from './outreach_fixtures.js'

function settings(overrides: Partial<PulseSettings> = {}): PulseSettings {
  return {
    enabled: true,
    weekday: 1,
    localTime: '09:00',
    tag: 'pulse',
    requiresApproval: true,
    instructions: null,
    channelId: null,
    templateName: 'policy_notice',
    templateLanguage: 'en',
    templateVariables: ['{{text}}'],
    ...overrides,
  }
}

/** A client tagged for the pulse, in Dubai, who wrote an hour ago, with remembered facts. */
async function client(
  context: TenantContext,
  channel: { id: string },
  name: string,
  facts: Array<[string, string]>
) {
  const made = await customer(context, channel)
  await context.transaction(async (trx) => {
    await trx.rawQuery(
      `update contacts set name = ?, time_zone = 'Asia/Dubai', tags = '{pulse}' where id = ?`,
      [name, made.contactId]
    )
    for (const [kind, value] of facts) {
      await trx
        .table('contact_memory_facts')
        .insert({ contact_id: made.contactId, kind, value, value_key: value.toLowerCase() })
    }
  })
  return made
}

test.group('Relational Pulse (offline drafts)', () => {
  test('once a week in their morning, a draft from remembered facts waits in a batch: approve all, edit one, skip one', async ({
    assert,
    cleanup,
  }) => {
    const w = await campaignTenant(cleanup, {}, 'pls')
    const { context, channel } = w
    // Sunday in Dubai: the pulse goes Monday 09:00 there (05:00 UTC).
    clockAt(cleanup, '2026-12-06T10:00:00+04:00')
    const layla = await client(context, channel, 'Layla Haddad', [
      ['name', 'Layla'],
      ['preference', 'morning runs by the marina'],
    ])
    const omar = await client(context, channel, 'Omar', [])
    const sam = await client(context, channel, 'Sam', [])
    const edited = await client(context, channel, 'Edith', [])
    await savePulseSettings(context, settings())
    const due = await dueOf(context, { kind: PULSE_KIND })
    assert.lengthOf(due, 4)
    assert.isTrue(due.every((row) => row.dueAt.toUTC().toISO() === '2026-12-07T05:00:00.000Z'))

    await runAt(context, DateTime.fromISO('2026-12-07T05:00:00Z'))
    let drafts = await listDrafts(context)
    assert.lengthOf(drafts, 4)
    assert.isTrue(drafts.every((d) => d.status === 'awaiting_approval' && d.source === 'template'))
    const laylas = drafts.find((d) => d.contactId === layla.contactId)!
    assert.include(laylas.text, 'Hi Layla')
    assert.include(laylas.text, 'morning runs by the marina')
    const tasks = await context.transaction((trx) =>
      Task.query({ client: trx }).where('kind', 'relational_pulse')
    )
    assert.lengthOf(tasks, 4)
    // Nothing sent before approval; next week's is already scheduled.
    assert.lengthOf(await systemMessages(context, layla.conversationId), 0)
    const pending = (await dueOf(context, { kind: PULSE_KIND })).filter(
      (r) => r.status === 'pending'
    )
    assert.lengthOf(pending, 4)
    assert.isTrue(pending.every((r) => r.dueAt.toUTC().toISO() === '2026-12-14T05:00:00.000Z'))

    const agent = await makeMember(w.tenant.id, 'agent')
    cleanup(async () => {
      await agent.delete()
    })
    const web = await signIn(agent)
    const page = `/t/${w.tenant.slug}/outreach/pulse`
    const editedDraft = drafts.find((d) => d.contactId === edited.contactId)!
    const skippedDraft = drafts.find((d) => d.contactId === sam.contactId)!
    const one = await web.submit(page, `${page}/drafts/${editedDraft.id}/approve`, {
      text: 'Edith, your new plan starts Monday. Ready?',
    })
    assert.equal(one.status, 302)
    const skip = await web.submit(page, `${page}/drafts/${skippedDraft.id}/skip`, {})
    assert.equal(skip.status, 302)
    const all = await web.submit(page, `${page}/approve-all`, {})
    assert.equal(all.status, 302)

    await waitFor(async () => {
      drafts = await listDrafts(context)
      return drafts.every((d) => d.status !== 'awaiting_approval') &&
        drafts.filter((d) => d.status === 'sent').length === 3
        ? true
        : null
    })
    const byContact = Object.fromEntries(drafts.map((d) => [d.contactId, d]))
    assert.equal(byContact[sam.contactId].status, 'skipped')
    assert.lengthOf(await systemMessages(context, sam.conversationId), 0)
    const [editedMessage] = await systemMessages(context, edited.conversationId)
    assert.equal(editedMessage.body, 'Edith, your new plan starts Monday. Ready?')
    const [laylaMessage] = await systemMessages(context, layla.conversationId)
    assert.equal(laylaMessage.body, laylas.text)
    assert.lengthOf(await systemMessages(context, omar.conversationId), 1)

    // A second run of the same week drafts nothing new.
    await runAt(context, DateTime.fromISO('2026-12-07T05:30:00Z'))
    assert.lengthOf(await listDrafts(context), 4)
  })

  test('sent directly when no approval is asked; outside the window through the template', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'pls')
    clockAt(cleanup, '2026-12-06T10:00:00+04:00')
    const open = await client(context, channel, 'Noor', [['name', 'Noor']])
    const closed = await customer(context, channel, { hoursAgo: 50 })
    await context.transaction((trx) =>
      trx.rawQuery(
        `update contacts set name = 'Rami', time_zone = 'Asia/Dubai', tags = '{pulse}' where id = ?`,
        [closed.contactId]
      )
    )
    await savePulseSettings(context, settings({ requiresApproval: false }))
    await runAt(context, DateTime.fromISO('2026-12-07T05:00:00Z'))
    const [free] = await systemMessages(context, open.conversationId)
    assert.equal(free.type, 'text')
    assert.include(free.body!, 'Hi Noor')
    const [template] = await systemMessages(context, closed.conversationId)
    assert.equal(template.type, 'template')
    assert.include((template.payload as any).content.variables[0], 'Hi Rami')
    const drafts = await listDrafts(context)
    assert.isTrue(drafts.every((d) => d.status === 'sent'))
  })
})

test.group('Relational Pulse (chat model)', (group) => {
  const openai = useFakeOpenAI(group, { chatModel: 'gpt-test' })

  test('the chat model drafts from the memory and the latest messages', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'plm')
    clockAt(cleanup, '2026-12-06T10:00:00+04:00')
    openai.respond(() => 'Layla, how did the marina runs go this week?')
    const layla = await client(context, channel, 'Layla', [['preference', 'marina runs']])
    await savePulseSettings(
      context,
      settings({ requiresApproval: false, instructions: 'Keep it under 20 words.' })
    )
    await runAt(context, DateTime.fromISO('2026-12-07T05:00:00Z'))
    const [draft] = await listDrafts(context)
    assert.equal(draft.source, 'model')
    assert.equal(draft.text, 'Layla, how did the marina runs go this week?')
    const call = openai.chatCalls().at(-1)!
    const prompt = JSON.stringify(call.body.messages)
    assert.include(prompt, 'marina runs')
    assert.include(prompt, 'Keep it under 20 words.')
    const [sent] = await systemMessages(context, layla.conversationId)
    assert.equal(sent.body, 'Layla, how did the marina runs go this week?')
  })
})
