import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import {
  Plan,
  recordMonthlyUsage,
  usageChanged,
  usageFor,
  usagePeriod,
} from '#modules/billing/index'
import { Channel, addSandboxChannel, addWhatsAppChannel } from '#modules/channels/index'
import {
  createTextSource,
  readAssistantSettings,
  replyToInboundMessage,
  saveAssistantSettings,
} from '#modules/brain/index'
import { Tenant, systemActor, type TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { assistantReplyTo, customerSays, learnText } from '#tests/helpers/brain'
import { mailCount, waitForMail } from '#tests/helpers/mail'
import { runCommand } from '#tests/helpers/ace'
import { useWorkers } from '#tests/helpers/queue'
import { waitFor } from '#tests/helpers/whatsapp'
import { signIn } from '#tests/functional/workspace/member_browser'
import { api, freshPhone, makeKey } from '#tests/functional/integrations/api_client'

/*
| Plan limits as the plans page states them: each refused at its boundary
| by the back office (the form again, with the field's message and what was
| typed) and by the API (402 plan_limit_reached naming the limit), the
| assistant handing off at the AI-answer limit, the 80% / 100% e-mails sent
| once, the dashboard's usage panel, and one tenant's usage never counting
| against another's.
*/

type Cleanup = (fn: () => void | Promise<void>) => void
type Limits = Partial<
  Pick<
    Plan,
    | 'maxSeats'
    | 'maxChannels'
    | 'maxConversationsPerMonth'
    | 'maxAiAnswersPerMonth'
    | 'maxKnowledgeMb'
  >
>

/** A plan with these limits (the rest unlimited), put on the given tenants. */
async function onPlan(cleanup: Cleanup, limits: Limits, tenantIds: string[]) {
  const plan = await Plan.create({
    slug: `limits-${randomBytes(3).toString('hex')}`,
    name: 'Starter',
    isDefault: false,
    ...limits,
  })
  await Tenant.query().whereIn('id', tenantIds).update({ planId: plan.id })
  cleanup(async () => {
    await Tenant.query().where('plan_id', plan.id).update({ planId: null })
    await plan.delete()
  })
  return plan
}

async function openInvitations(tenantId: string) {
  const rows = await db
    .from('invitations')
    .where('tenant_id', tenantId)
    .whereNull('accepted_at')
    .whereNull('revoked_at')
  return rows.length
}

const LOCUM = `# Locum cover

Your cover follows you when you work as a locum. Locum engagements are covered automatically on the same terms as your regular practice.`

async function assistantOn(tenant: TenantContext, channelId: string) {
  await learnText(tenant, 'Locum cover', LOCUM)
  const current = await readAssistantSettings(tenant, channelId)
  await saveAssistantSettings(tenant, channelId, { ...current, enabled: true }, null)
}

async function assistantMessages(tenant: TenantContext, conversationId: string) {
  return tenant.transaction((trx) =>
    trx
      .from('messages')
      .where('conversation_id', conversationId)
      .where('author_type', 'assistant')
      .select('body')
  )
}

function whatsAppInput() {
  return {
    phoneNumberId: `1${Date.now()}${randomBytes(2).readUInt16BE()}`,
    wabaId: `2${Date.now()}`,
    displayNumber: '+15550001234',
    accessToken: `token-${randomBytes(6).toString('hex')}`,
    appSecret: randomBytes(16).toString('hex'),
    verifyToken: `verify-${randomBytes(6).toString('hex')}`,
  }
}

test.group('Plan limits: seats, channels, knowledge', () => {
  test('seats count members and pending invitations: the invitation past them is refused on the form, e-mail kept', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'seat')
    const owner = await w.member('owner')
    await w.member('agent')
    await onPlan(cleanup, { maxSeats: 3 }, [w.tenant.id])
    const web = await signIn(owner)
    const team = `${w.base}/team`

    const third = await web.submit(team, `${team}/invitations`, {
      email: `third-${randomBytes(3).toString('hex')}@x.test`,
      role: 'agent',
    })
    assert.equal(third.status, 302)
    assert.equal(await openInvitations(w.tenant.id), 1)

    const fourth = `fourth-${randomBytes(3).toString('hex')}@x.test`
    await web.submit(team, `${team}/invitations`, { email: fourth, role: 'agent' })
    const page = await web.get(team)
    assert.include(page.body, 'Your plan allows 3 seats, counting members and pending invitations.')
    assert.include(page.body, `value="${fourth}"`)
    assert.equal(await openInvitations(w.tenant.id), 1)
    // The third seat filled the plan: the owner heard so, once.
    const mail = await waitForMail(owner.email)
    assert.include(mail.subject, 'has reached its limit: Seats (members and pending invitations)')
    assert.equal(await mailCount(owner.email), 1)
  })

  test('an expired invitation holds no seat, so sending it again past the seats is refused', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'exp')
    const owner = await w.member('owner')
    await onPlan(cleanup, { maxSeats: 2 }, [w.tenant.id])
    const web = await signIn(owner)
    const team = `${w.base}/team`
    await web.submit(team, `${team}/invitations`, { email: 'old@x.test', role: 'agent' })
    await db
      .from('invitations')
      .where({ tenant_id: w.tenant.id, email: 'old@x.test' })
      .update({ expires_at: new Date(Date.now() - 60_000) })
    await web.submit(team, `${team}/invitations`, { email: 'new@x.test', role: 'agent' })
    assert.equal(await openInvitations(w.tenant.id), 2)

    const old = await db
      .from('invitations')
      .where({ tenant_id: w.tenant.id, email: 'old@x.test' })
      .first()
    const resent = await web.submit(team, `${team}/invitations/${old.id}/resend`, {})
    assert.equal(resent.location, team)
    assert.include((await web.get(team)).body, 'Your plan allows 2 seats')
    const after = await db.from('invitations').where('id', old.id).first()
    assert.isBelow(new Date(after.expires_at).getTime(), Date.now())
  })

  test('a plan lowered below what is used refuses new seats and deletes nobody', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'low')
    const owner = await w.member('owner')
    await w.member('admin')
    await w.member('agent')
    await onPlan(cleanup, { maxSeats: 1 }, [w.tenant.id])
    const web = await signIn(owner)
    const team = `${w.base}/team`
    await web.submit(team, `${team}/invitations`, { email: 'late@x.test', role: 'agent' })
    const members = await db.from('memberships').where('tenant_id', w.tenant.id)
    assert.lengthOf(members, 3)
    assert.equal(await openInvitations(w.tenant.id), 0)
    const seats = (await usageFor(w.tenant.id)).find((item) => item.limit === 'seats')!
    assert.deepInclude(seats, { used: 3, allowed: 1, reached: true, percent: 100 })
  })

  test('channels: the ace command past the limit answers plan_limit_reached naming the limit', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'chl')
    await onPlan(cleanup, { maxChannels: 1 }, [w.tenant.id])
    await addWhatsAppChannel(w.tenant, whatsAppInput(), systemActor)
    const input = whatsAppInput()
    const result = await runCommand([
      'channels:add-whatsapp',
      `--tenant=${w.tenant.slug}`,
      `--phone-number-id=${input.phoneNumberId}`,
      `--waba-id=${input.wabaId}`,
      `--display-number=${input.displayNumber}`,
      `--access-token=${input.accessToken}`,
      `--app-secret=${input.appSecret}`,
      `--verify-token=${input.verifyToken}`,
      '--json',
    ])
    assert.equal(result.code, 1)
    const line = result.stdout.trim().split('\n').at(-1)!
    assert.deepInclude(JSON.parse(line).error, {
      code: 'plan_limit_reached',
      limit: 'channels',
      allowed: 1,
      used: 1,
    })
    const channels = await Channel.query().where('tenant_id', w.tenant.id)
    assert.lengthOf(channels, 1)
  })

  test('knowledge storage: the API answers 402 past the plan, and the form keeps what was typed', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'kno')
    const owner = await w.member('owner')
    await onPlan(cleanup, { maxKnowledgeMb: 1 }, [w.tenant.id])
    const { token } = await makeKey(w.tenant)
    const half = 'a'.repeat(520_000)

    const first = await api('POST', '/api/v1/brain/sources', {
      token,
      body: { title: 'First half', text: half },
    })
    assert.equal(first.status, 202)
    const second = await api('POST', '/api/v1/brain/sources', {
      token,
      body: { title: 'Second half', text: half },
    })
    assert.equal(second.status, 202)
    const third = await api('POST', '/api/v1/brain/sources', {
      token,
      body: { title: 'One too many', text: 'b'.repeat(20_000) },
    })
    assert.equal(third.status, 402)
    assert.equal(third.json.error.code, 'plan_limit_reached')
    assert.equal(third.json.error.limit, 'knowledge_bytes')
    assert.equal(third.json.error.allowed, 1024 * 1024)
    assert.isAbove(third.json.error.used, 1_040_000)
    assert.isString(third.json.error.message)

    const web = await signIn(owner)
    const form = `${w.base}/knowledge/new?kind=text`
    const sent = await web.submit(form, `${w.base}/knowledge/text`, {
      title: 'Opening hours',
      text: 'We open at nine. '.repeat(1000),
    })
    assert.equal(sent.location, form)
    const page = await web.get(form)
    assert.include(page.body, 'Your plan allows 1 MB of knowledge, and this would go over it.')
    assert.include(page.body, 'value="Opening hours"')
    const sources = await w.context.transaction((trx) => trx.from('knowledge_sources'))
    assert.lengthOf(sources, 2)
  })
})

test.group('Plan limits: conversations and AI answers', (group) => {
  useWorkers(group, ['default', 'inbound'])

  test('a new conversation past the month answers 402 on the API; one in progress still takes messages', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cnv')
    // The sandbox phone has no 24-hour window: a text may open a conversation.
    const channel = await addSandboxChannel(w.tenant, systemActor)
    const { token } = await makeKey(w.tenant)
    await onPlan(cleanup, { maxConversationsPerMonth: 1 }, [w.tenant.id])
    const text = 'Your renewal is due next week.'

    const to = freshPhone()
    const opened = await api('POST', '/api/v1/messages', {
      token,
      body: { channel_id: channel.id, to, type: 'text', text },
    })
    assert.equal(opened.status, 202)
    const again = await api('POST', '/api/v1/messages', {
      token,
      body: { channel_id: channel.id, to, type: 'text', text },
    })
    assert.equal(again.status, 202)
    assert.equal(again.json.conversation_id, opened.json.conversation_id)

    const refused = await api('POST', '/api/v1/messages', {
      token,
      body: { channel_id: channel.id, to: freshPhone(), type: 'text', text },
    })
    assert.equal(refused.status, 402)
    assert.deepInclude(refused.json.error, {
      code: 'plan_limit_reached',
      limit: 'conversations',
      allowed: 1,
      used: 1,
    })
    const conversations = await w.context.transaction((trx) => trx.from('conversations'))
    assert.lengthOf(conversations, 1)
  })

  test('sends racing to open the last conversation of the month: exactly one opens it', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cnr')
    const channel = await addSandboxChannel(w.tenant, systemActor)
    const { token } = await makeKey(w.tenant)
    await onPlan(cleanup, { maxConversationsPerMonth: 2 }, [w.tenant.id])
    await recordMonthlyUsage(w.tenant.id, 'conversations', 'earlier')
    const sends = await Promise.all(
      Array.from({ length: 10 }, () =>
        api('POST', '/api/v1/messages', {
          token,
          body: { channel_id: channel.id, to: freshPhone(), type: 'text', text: 'Hello' },
        })
      )
    )
    assert.deepEqual(sends.map((send) => send.status).sort(), [202, ...Array(9).fill(402)])
    const conversations = await w.context.transaction((trx) => trx.from('conversations'))
    assert.lengthOf(conversations, 1)
  })

  test('a conversation the customer opens past the month is kept, and a person is asked for instead of the assistant', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cin')
    const owner = await w.member('owner')
    const channel = await addSandboxChannel(w.tenant, systemActor)
    await assistantOn(w.context, channel.id)
    await onPlan(cleanup, { maxConversationsPerMonth: 1 }, [w.tenant.id])
    const web = await signIn(owner)

    const writes = async (phone: string) => {
      await web.get(`${w.base}/sandbox?phone=${encodeURIComponent(phone)}`)
      const sent = await web.post(`${w.base}/sandbox/messages`, {
        phone,
        name: 'Customer',
        kind: 'text',
        text: 'Am I covered when I work as a locum?',
      })
      assert.equal(sent.status, 302)
      return assistantReplyTo(w.context, phone)
    }
    const first = await writes(`+1557${String(Date.now() % 1_000_000).padStart(6, '0')}1`)
    assert.include(first.body, 'Your cover follows you when you work as a locum')
    const second = await writes(`+1557${String(Date.now() % 1_000_000).padStart(6, '0')}2`)
    assert.equal(
      second.body,
      'I have passed your message to a member of our team. They will reply here shortly.'
    )
    const state = await w.context.transaction((trx) =>
      trx.from('assistant_conversations').where('conversation_id', second.conversation_id).first()
    )
    assert.deepInclude(state, { state: 'human', handoff_reason: 'plan_limit' })
    const inbound = await w.context.transaction((trx) =>
      trx.from('messages').where('direction', 'inbound')
    )
    assert.lengthOf(inbound, 2)
    const mail = await waitForMail(owner.email)
    assert.include(mail.subject, 'has reached its limit: New conversations this month')
  })

  test('at the AI-answer limit the assistant hands off and tells the customer; the API answers 402', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'aia')
    const channel = await addSandboxChannel(w.tenant, systemActor)
    await assistantOn(w.context, channel.id)
    await onPlan(cleanup, { maxAiAnswersPerMonth: 1 }, [w.tenant.id])

    const one = await customerSays(w.context, channel.id, 'Am I covered as a locum?')
    const answered = await replyToInboundMessage(w.context, one.messageId)
    assert.equal(answered.kind, 'answered')
    // The same message again (a retried job) counts once.
    await replyToInboundMessage(w.context, one.messageId)

    const two = await customerSays(w.context, channel.id, 'And when I work as a locum abroad?')
    const outcome = await replyToInboundMessage(w.context, two.messageId)
    assert.deepInclude(outcome, { kind: 'handoff', reason: 'plan_limit' })
    const told = await assistantMessages(w.context, two.conversationId)
    assert.deepEqual(
      told.map((row) => row.body),
      ['I have passed your message to a member of our team. They will reply here shortly.']
    )

    const { token } = await makeKey(w.tenant)
    const refused = await api('POST', '/api/v1/brain/answer', {
      token,
      body: { question: 'Am I covered as a locum?' },
    })
    assert.equal(refused.status, 402)
    assert.deepInclude(refused.json.error, {
      code: 'plan_limit_reached',
      limit: 'ai_answers',
      allowed: 1,
      used: 1,
    })
  })

  test('requests racing for the last AI answer: exactly one gets it', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'race')
    await onPlan(cleanup, { maxAiAnswersPerMonth: 2 }, [w.tenant.id])
    await recordMonthlyUsage(w.tenant.id, 'ai_answers', 'earlier')
    const { token } = await makeKey(w.tenant)
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        api('POST', '/api/v1/brain/answer', { token, body: { question: 'Opening hours?' } })
      )
    )
    const statuses = answers.map((answer) => answer.status).sort()
    assert.deepEqual(statuses, [200, ...Array(9).fill(402)])
    const usage = await usageFor(w.tenant.id)
    assert.deepInclude(
      usage.find((item) => item.limit === 'ai_answers')!,
      { used: 2 }
    )
  })

  test("one tenant's usage never counts against another's on the same plan", async ({
    assert,
    cleanup,
  }) => {
    const a = await makeWorkspace(cleanup, 'isa')
    const b = await makeWorkspace(cleanup, 'isb')
    await onPlan(cleanup, { maxAiAnswersPerMonth: 1, maxSeats: 2 }, [a.tenant.id, b.tenant.id])
    await learnText(b.context, 'Locum cover', LOCUM)
    const ka = await makeKey(a.tenant)
    const kb = await makeKey(b.tenant)
    await a.member('owner')
    await a.member('agent')

    const aFirst = await api('POST', '/api/v1/brain/answer', {
      token: ka.token,
      body: { question: 'locum?' },
    })
    assert.equal(aFirst.status, 200)
    assert.equal(
      (await api('POST', '/api/v1/brain/answer', { token: ka.token, body: { question: 'x?' } }))
        .status,
      402
    )
    const bFirst = await api('POST', '/api/v1/brain/answer', {
      token: kb.token,
      body: { question: 'Am I covered as a locum?' },
    })
    assert.equal(bFirst.status, 200)

    const bOwner = await b.member('owner')
    const web = await signIn(bOwner)
    const team = `${b.base}/team`
    const invited = await web.submit(team, `${team}/invitations`, {
      email: `b-${randomBytes(3).toString('hex')}@x.test`,
      role: 'agent',
    })
    assert.equal(invited.status, 302)
    assert.equal(await openInvitations(b.tenant.id), 1)
    const usageB = await usageFor(b.tenant.id)
    assert.deepInclude(
      usageB.find((item) => item.limit === 'ai_answers')!,
      { used: 1 }
    )
    assert.deepInclude(
      usageB.find((item) => item.limit === 'seats')!,
      { used: 2 }
    )
  })
})

test.group('Plan limits: what owners see and hear', () => {
  test('owners get one e-mail at 80% and one at 100% of a limit, whatever repeats', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'mail')
    const owner = await w.member('owner')
    await onPlan(cleanup, { maxAiAnswersPerMonth: 5 }, [w.tenant.id])
    for (let i = 0; i < 3; i++) await recordMonthlyUsage(w.tenant.id, 'ai_answers', `t:${i}`)
    assert.equal(await mailCount(owner.email), 0)

    await recordMonthlyUsage(w.tenant.id, 'ai_answers', 't:3')
    const eighty = await waitForMail(owner.email)
    assert.include(eighty.subject, 'has used 80% of its AI answers this month')
    assert.include(eighty.text ?? '', 'has used 4 of 5')

    await recordMonthlyUsage(w.tenant.id, 'ai_answers', 't:3')
    await usageChanged(w.tenant.id, 'ai_answers')
    await recordMonthlyUsage(w.tenant.id, 'ai_answers', 't:4')
    await waitFor(async () => ((await mailCount(owner.email)) === 2 ? true : null))
    const full = await waitForMail(owner.email)
    assert.include(full.subject, 'has reached its limit: AI answers this month')

    // Past the limit, again and again: no third e-mail this month.
    await recordMonthlyUsage(w.tenant.id, 'ai_answers', 't:5')
    await usageChanged(w.tenant.id, 'ai_answers')
    const notices = await db
      .from('usage_notices')
      .where({ tenant_id: w.tenant.id, metric: 'ai_answers', period: usagePeriod() })
      .orderBy('threshold')
    assert.deepEqual(
      notices.map((row) => Number(row.threshold)),
      [80, 100]
    )
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.equal(await mailCount(owner.email), 2)
  })

  test('the dashboard shows owners each limit used against the plan; agents do not see it', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'dash')
    const owner = await w.member('owner')
    const agent = await w.member('agent')
    await onPlan(
      cleanup,
      { maxSeats: 3, maxChannels: 2, maxAiAnswersPerMonth: 100, maxKnowledgeMb: 10 },
      [w.tenant.id]
    )
    await createTextSource(w.context, { title: 'Small', text: 'x'.repeat(1000) })

    const page = await (await signIn(owner)).get(w.base)
    assert.equal(page.status, 200)
    const panel = page.body.slice(page.body.indexOf('id="plan-usage"'))
    assert.include(panel, 'Plan usage')
    assert.match(panel, /data-limit="seats"[\s\S]*?2 of 3/)
    assert.match(panel, /data-limit="channels"[\s\S]*?0 of 2/)
    assert.match(panel, /data-limit="conversations"[\s\S]*?0 \(unlimited\)/)
    assert.match(panel, /data-limit="ai_answers"[\s\S]*?0 of 100/)
    assert.match(panel, /data-limit="knowledge_bytes"[\s\S]*?of 10 MB/)
    assert.include(panel, '<progress max="100" value="66"')

    owner.locale = 'ar'
    await owner.save()
    const arabic = await (await signIn(owner)).get(w.base)
    assert.include(arabic.body, 'استهلاك الباقة')

    const theirs = await (await signIn(agent)).get(w.base)
    assert.equal(theirs.status, 200)
    assert.notInclude(theirs.body, 'id="plan-usage"')
  })

  test("a destroyed tenant's metering goes with it", async ({ assert, cleanup }) => {
    const w = await makeWorkspace(cleanup, 'gone')
    await recordMonthlyUsage(w.tenant.id, 'conversations', 'c:1')
    await w.cleanup()
    const left = await db.from('usage_records').where('tenant_id', w.tenant.id)
    assert.lengthOf(left, 0)
  })

  test('the usage period is the calendar month in UTC', ({ assert }) => {
    assert.equal(usagePeriod(DateTime.fromISO('2026-03-31T23:59:59Z')), '2026-03')
    assert.equal(usagePeriod(DateTime.fromISO('2026-04-01T02:00:00+04:00')), '2026-03')
    assert.equal(usagePeriod(DateTime.fromISO('2026-04-01T00:00:00Z')), '2026-04')
  })
})
