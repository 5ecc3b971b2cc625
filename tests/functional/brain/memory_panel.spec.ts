import { test } from '@japa/runner'
import { updateContactMemory } from '#modules/brain/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { signIn } from '#tests/functional/workspace/member_browser'
import { chat, htmxPost, say, sharedWorkspace } from './memory_helpers.js'

const CHAT = [
  { from: 'contact', body: 'Hello, my name is sara haddad.' },
  { from: 'contact', body: 'Is locum work covered under MP-2024-00123?' },
  { from: 'contact', body: 'You can reach me at sara.h@example.com' },
] as const

async function remembered(context: TenantContext) {
  const { contact, conversation } = await chat(context, [...CHAT])
  await updateContactMemory(context, contact.id)
  return { contact, conversation }
}

function factsOf(context: TenantContext, contactId: string) {
  return context.transaction((trx) =>
    trx
      .from('contact_memory_facts')
      .where('contact_id', contactId)
      .select('id', 'kind', 'value', 'edited_by_agent')
      .orderBy('kind')
  )
}

test.group('Contact memory: the panel', (group) => {
  const workspace = sharedWorkspace(group, 'memui')

  test('agents correct it without JavaScript, and later updates keep their corrections', async ({
    assert,
  }) => {
    const { context, base, member } = workspace()
    const { contact, conversation } = await remembered(context)
    const web = await signIn(await member('agent'))
    const page = `${base}/contacts/${contact.id}/memory`

    const shown = await web.get(page)
    assert.equal(shown.status, 200)
    assert.include(shown.body, 'Is locum work covered under MP-2024-00123?')
    assert.include(shown.body, 'sara.h@example.com')
    assert.include(shown.body, 'data-form="memory-summary"')

    const saved = await web.post(`${page}/summary`, { summary: 'Locum GP; prefers email.' })
    assert.equal(saved.location, page)
    assert.include((await web.get(page)).body, 'Summary saved.')

    await web.post(`${page}/facts`, { kind: 'other', value: 'Works nights' })
    const facts = await factsOf(context, contact.id)
    const name = facts.find((fact) => fact.kind === 'name')
    const email = facts.find((fact) => fact.kind === 'email')
    const renamed = await web.post(`${page}/facts/${name.id}`, {
      kind: 'name',
      value: 'Sarah Haddad',
    })
    assert.equal(renamed.location, page)
    const removed = await web.post(`${page}/facts/${email.id}/delete`, {})
    assert.equal(removed.location, page)

    // The customer says it all again, and more.
    await say(context, conversation, [
      {
        from: 'contact',
        body: 'My name is Sara Haddad, email sara.h@example.com, second policy ZZ-555555.',
      },
    ])
    await updateContactMemory(context, contact.id)

    const after = await factsOf(context, contact.id)
    assert.sameDeepMembers(
      after.map((fact) => `${fact.kind}=${fact.value}=${fact.edited_by_agent}`),
      [
        'name=Sarah Haddad=true',
        'other=Works nights=true',
        'policy_number=MP-2024-00123=false',
        'policy_number=ZZ-555555=false',
      ]
    )
    const memory = await context.transaction((trx) =>
      trx.from('contact_memories').where('contact_id', contact.id).first()
    )
    assert.equal(memory.summary, 'Locum GP; prefers email.')
    assert.equal(memory.source, 'agent')

    // Clearing the summary hands it back to the updates.
    await web.post(`${page}/summary`, { summary: '' })
    await say(context, conversation, [
      { from: 'contact', body: 'Thanks, that answers my question' },
    ])
    await updateContactMemory(context, contact.id)
    const handedBack = await context.transaction((trx) =>
      trx.from('contact_memories').where('contact_id', contact.id).first()
    )
    assert.equal(handedBack.source, 'extractive')
    assert.include(handedBack.summary, 'that answers my question')
  }).timeout(20_000)

  test('htmx gets the panel back in place, with refusals; plain forms get them on the page', async ({
    assert,
  }) => {
    const { context, base, member } = workspace()
    const { contact, conversation } = await remembered(context)
    const web = await signIn(await member('agent'))
    const page = `${base}/contacts/${contact.id}/memory`

    // The inbox's contact panel loads it with htmx, and links to it without.
    const inbox = await web.get(`${base}/inbox/${conversation.id}`)
    assert.include(inbox.body, `hx-get="${page}"`)
    assert.include(inbox.body, `href="${page}"`)

    const refused = await htmxPost(web, page, `${page}/facts`, { kind: 'email', value: '' })
    assert.equal(refused.status, 200)
    assert.notInclude(refused.body, '<html')
    assert.include(refused.body, 'id="memory-panel"')
    assert.match(refused.body, /id="memory-value-new-error">[^<]+</)

    const added = await htmxPost(web, page, `${page}/facts`, {
      kind: 'date',
      value: 'Renewal 1 May',
    })
    assert.equal(added.status, 200)
    assert.include(added.body, 'Fact added.')
    assert.include(added.body, 'Renewal 1 May')

    const plain = await web.post(`${page}/facts`, { kind: 'shoe', value: 'x'.repeat(400) })
    assert.equal(plain.location, `${page}#memory-new`)
    const back = await web.get(page)
    assert.include(back.body, 'id="memory-kind-new-error"')
    assert.include(back.body, 'id="memory-value-new-error"')
    assert.include(back.body, '<details id="memory-new" open>')

    // Renaming a fact onto one already remembered is refused on that fact's form.
    const facts = await factsOf(context, contact.id)
    const policy = facts.find((fact) => fact.kind === 'policy_number')
    await htmxPost(web, page, `${page}/facts`, { kind: 'policy_number', value: 'AB-123456' })
    const clash = await htmxPost(web, page, `${page}/facts/${policy.id}`, {
      kind: 'policy_number',
      value: 'ab 123456',
    })
    assert.include(clash.body, 'This fact is already remembered.')
  }).timeout(20_000)

  test('viewers read the memory but cannot change it; Arabic pages are right to left', async ({
    assert,
  }) => {
    const { context, base, member } = workspace()
    const { contact } = await remembered(context)
    const viewer = await member('viewer')
    const web = await signIn(viewer)
    const page = `${base}/contacts/${contact.id}/memory`

    const shown = await web.get(page)
    assert.equal(shown.status, 200)
    assert.include(shown.body, 'MP-2024-00123')
    assert.notInclude(shown.body, 'data-form="memory-')
    assert.include(shown.body, 'data-memory-read-only')
    const refused = await web.post(`${page}/summary`, { summary: 'Viewer was here' })
    assert.equal(refused.status, 403)

    viewer.locale = 'ar'
    await viewer.save()
    const arabic = await (await signIn(viewer)).get(page)
    assert.include(arabic.body, 'dir="rtl"')
    assert.include(arabic.body, 'رقم الوثيقة')
  }).timeout(20_000)

  test("another tenant cannot read or change a contact's memory", async ({ assert, cleanup }) => {
    const home = await makeWorkspace(cleanup, 'memiso-a')
    const other = await makeWorkspace(cleanup, 'memiso-b')
    const { contact } = await remembered(home.context)
    const [fact] = await factsOf(home.context, contact.id)
    const before = await factsOf(home.context, contact.id)

    // A member of the other workspace, through their own workspace's address...
    const outsider = await signIn(await other.member('owner'))
    const theirs = `${other.base}/contacts/${contact.id}/memory`
    assert.equal((await outsider.get(theirs)).status, 404)
    await outsider.get(`${other.base}/contacts`)
    assert.equal((await outsider.post(`${theirs}/summary`, { summary: 'x' })).status, 404)
    assert.equal(
      (await outsider.post(`${theirs}/facts`, { kind: 'other', value: 'planted' })).status,
      404
    )
    assert.equal(
      (await outsider.post(`${theirs}/facts/${fact.id}`, { kind: 'other', value: 'x' })).status,
      404
    )
    assert.equal((await outsider.post(`${theirs}/facts/${fact.id}/delete`, {})).status, 404)
    // ...and through the home workspace's.
    const ours = `${home.base}/contacts/${contact.id}/memory`
    assert.equal((await outsider.get(ours)).status, 404)

    assert.deepEqual(await factsOf(home.context, contact.id), before)
    const memory = await home.context.transaction((trx) =>
      trx.from('contact_memories').where('contact_id', contact.id).first()
    )
    assert.notEqual(memory.summary, 'x')
    const planted = await other.context.transaction((trx) =>
      trx.from('contact_memory_facts').count('* as n').first()
    )
    assert.equal(Number(planted.n), 0)
  }).timeout(20_000)
})
