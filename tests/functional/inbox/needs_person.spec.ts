import { test } from '@japa/runner'
import { addSandboxChannel } from '#modules/channels/index'
import {
  readAssistantSettings,
  replyToInboundMessage,
  saveAssistantSettings,
} from '#modules/brain/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { customerSays } from '#tests/helpers/brain'
import { signIn } from '#tests/functional/workspace/member_browser'
import type { WebSession } from '#tests/helpers/web_session'

/*
| Bot or person at a glance: a handoff (the customer asks for a person here,
| through the real assistant) marks the conversation as needing a person.
| The list, its "Needs a person" tab, the navigation's count and the thread
| say so; taking it, resolving it or handing it back settles it; a member
| who replies to it becomes its assignee unless the channel says not to.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

async function handoffWorkspace(cleanup: Cleanup) {
  const ws = await makeWorkspace(cleanup, 'needp')
  const channel = await addSandboxChannel(ws.tenant, systemActor)
  const settings = await readAssistantSettings(ws.context, channel.id)
  await saveAssistantSettings(ws.context, channel.id, { ...settings, enabled: true }, null)
  return { ...ws, channel }
}

async function handedOff(context: TenantContext, channelId: string) {
  const said = await customerSays(context, channelId, 'I want to talk to a person')
  const outcome = await replyToInboundMessage(context, said.messageId)
  if (outcome.kind !== 'handoff') throw new Error(`expected a handoff, got ${outcome.kind}`)
  return said.conversationId
}

async function conversationRow(context: TenantContext, id: string) {
  return context.transaction((trx) => trx.from('conversations').where('id', id).first())
}

function ownerIn(body: string, conversationId: string) {
  const row = body.slice(body.indexOf(`data-conversation="${conversationId}"`))
  return row.match(/data-owner="(\w+)"/)?.[1] ?? null
}

async function composerKey(web: WebSession, page: string) {
  const body = (await web.get(page)).body
  return body.match(/name="idempotency_key" value="([^"]+)"/)?.[1] ?? ''
}

test.group('Inbox: needs a person', () => {
  test('a handoff shows in the list, the tab, the navigation count and the thread', async ({
    assert,
    cleanup,
  }) => {
    const w = await handoffWorkspace(cleanup)
    const waiting = await handedOff(w.context, w.channel.id)
    const quiet = (await customerSays(w.context, w.channel.id, 'Hello')).conversationId
    const agent = await signIn(await w.member('agent'))

    const list = await agent.get(`${w.base}/inbox`)
    assert.equal(ownerIn(list.body, waiting), 'needs_person')
    // The assistant has the other one.
    assert.equal(ownerIn(list.body, quiet), 'assistant')
    assert.include(list.body, `href="${w.base}/inbox?view=needs_person"`)
    assert.include(list.body, `hx-get="${w.base}/inbox/needs-person/count"`)

    const tab = await agent.get(`${w.base}/inbox?view=needs_person`)
    assert.include(tab.body, `data-conversation="${waiting}"`)
    assert.notInclude(tab.body, `data-conversation="${quiet}"`)
    assert.include(tab.body, 'data-tab="needs_person" aria-current="page"')

    const count = await agent.get(`${w.base}/inbox/needs-person/count`)
    assert.equal(count.status, 200)
    assert.equal(count.body.trim(), '1')

    // The thread's head says it, and offers the hand-back at once.
    const thread = await agent.get(`${w.base}/inbox/${waiting}`)
    assert.include(thread.body, 'data-owner="needs_person">Needs a person<')
    assert.include(thread.body, 'data-hand-back')
    const status = await agent.get(`${w.base}/inbox/${waiting}`, {
      'HX-Request': 'true',
      'HX-Target': 'inbox-conversation-status',
    })
    assert.notInclude(status.body, '<html')
    assert.include(status.body, 'data-owner="needs_person"')
    assert.include(status.body, 'data-action="hand-back"')

    // Another workspace sees neither the count nor the conversation.
    const other = await makeWorkspace(cleanup, 'needq')
    const stranger = await signIn(await other.member('owner'))
    assert.equal((await stranger.get(`${other.base}/inbox/needs-person/count`)).body.trim(), '')
    assert.equal((await stranger.get(`${w.base}/inbox/needs-person/count`)).status, 404)
    assert.notInclude(
      (await stranger.get(`${other.base}/inbox?view=needs_person`)).body,
      `data-conversation="${waiting}"`
    )
  })

  test('assigning it, resolving it or handing it back settles it', async ({ assert, cleanup }) => {
    const w = await handoffWorkspace(cleanup)
    const owner = await w.member('owner')
    const web = await signIn(owner)
    const count = async () => (await web.get(`${w.base}/inbox/needs-person/count`)).body.trim()

    const taken = await handedOff(w.context, w.channel.id)
    assert.equal(await count(), '1')
    await web.get(`${w.base}/inbox/${taken}`)
    await web.post(`${w.base}/inbox/${taken}/assign`, { assignee: owner.id })
    const none = await web.get(`${w.base}/inbox/needs-person/count`)
    // Empty, but 200: htmx would keep the old number on a 204.
    assert.equal(none.status, 200)
    assert.equal(none.body, '')
    assert.equal(ownerIn((await web.get(`${w.base}/inbox?status=all`)).body, taken), 'person')

    const resolved = await handedOff(w.context, w.channel.id)
    await web.post(`${w.base}/inbox/${resolved}/resolve`, {})
    assert.isNull((await conversationRow(w.context, resolved)).needs_person_at)

    const handedBack = await handedOff(w.context, w.channel.id)
    assert.equal(await count(), '1')
    await web.post(`${w.base}/inbox/${handedBack}/assistant`, {})
    assert.isNull((await conversationRow(w.context, handedBack)).needs_person_at)
    assert.equal(await count(), '')
    assert.equal(ownerIn((await web.get(`${w.base}/inbox`)).body, handedBack), 'assistant')
  })

  test('a member who replies to it becomes its assignee, unless the channel turns that off', async ({
    assert,
    cleanup,
  }) => {
    const w = await handoffWorkspace(cleanup)
    const agentUser = await w.member('agent')
    const agent = await signIn(agentUser)

    const waiting = await handedOff(w.context, w.channel.id)
    let page = `${w.base}/inbox/${waiting}`
    const sent = await agent.post(`${page}/messages`, {
      text: 'Hello, I am here to help.',
      idempotency_key: await composerKey(agent, page),
    })
    assert.equal(sent.status, 302)
    assert.equal((await conversationRow(w.context, waiting)).assignee_id, agentUser.id)

    // A note is not a reply; nor does replying take a conversation that was never handed off.
    const plain = (await customerSays(w.context, w.channel.id, 'Hi')).conversationId
    page = `${w.base}/inbox/${plain}`
    await agent.post(`${page}/messages`, {
      text: 'Hi!',
      idempotency_key: await composerKey(agent, page),
    })
    assert.isNull((await conversationRow(w.context, plain)).assignee_id)

    // The owner turns it off for the channel (round-robin stays as it was).
    const owner = await signIn(await w.member('owner'))
    await owner.get(`${w.base}/channels/${w.channel.id}`)
    const saved = await owner.post(`${w.base}/channels/${w.channel.id}/assignment`, {
      assign_on_reply_shown: '1',
    })
    assert.equal(saved.status, 302)
    const settingsPage = await owner.get(`${w.base}/channels/${w.channel.id}`)
    assert.match(
      settingsPage.body,
      /id="field-assign_on_reply" name="assign_on_reply" value="on" >/
    )

    const second = await handedOff(w.context, w.channel.id)
    page = `${w.base}/inbox/${second}`
    await agent.post(`${page}/messages`, {
      text: 'Looking into it.',
      idempotency_key: await composerKey(agent, page),
    })
    assert.isNull((await conversationRow(w.context, second)).assignee_id)
  })
})

test.group('Inbox and sandbox: the assistant is off', () => {
  test('both say so for the channel, with the way to turn it on for those who may', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'asoff')
    const channel = await addSandboxChannel(ws.tenant, systemActor)
    const conversation = (await customerSays(ws.context, channel.id, 'Hello')).conversationId
    const owner = await signIn(await ws.member('owner'))
    const agent = await signIn(await ws.member('agent'))
    const link = `href="${ws.base}/assistant/${channel.id}"`

    for (const path of ['/sandbox', `/inbox/${conversation}`]) {
      const asOwner = await owner.get(`${ws.base}${path}`)
      assert.include(asOwner.body, `data-assistant-off="${channel.id}"`, path)
      assert.include(asOwner.body, 'The assistant is off for this channel', path)
      assert.include(asOwner.body, `${link}>turn it on</a>`, path)
      const asAgent = await agent.get(`${ws.base}${path}`)
      assert.include(asAgent.body, 'an owner or admin can turn it on', path)
      assert.notInclude(asAgent.body, `${link}>turn it on</a>`, path)
    }

    const settings = await readAssistantSettings(ws.context, channel.id)
    await saveAssistantSettings(ws.context, channel.id, { ...settings, enabled: true }, null)
    for (const path of ['/sandbox', `/inbox/${conversation}`]) {
      assert.notInclude((await owner.get(`${ws.base}${path}`)).body, 'data-assistant-off', path)
    }
  })
})
