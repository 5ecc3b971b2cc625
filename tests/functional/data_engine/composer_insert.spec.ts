import { test } from '@japa/runner'
import { addSandboxChannel } from '#modules/channels/index'
import { systemActor } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { customer } from '#tests/helpers/whatsapp'
import { importListings } from '#tests/helpers/datasets'
import { signIn } from '#tests/functional/workspace/member_browser'

/*
| The inbox composer's search-and-insert, without JavaScript: the composer
| links to a dataset search for its conversation; inserting a row returns
| to the conversation with the row's card in the reply box. Another
| tenant's dataset or row is a 404.
*/

test.group('Data engine: search a dataset from the composer and insert a row', () => {
  test('an agent searches the listings and inserts one into the reply', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'dci')
    const channel = await addSandboxChannel(w.tenant, systemActor)
    const { conversationId } = await customer(w.context, channel)
    const dataset = await importListings(w.context, 200)
    const agent = await signIn(await w.member('agent'))

    const thread = await agent.get(`${w.base}/inbox/${conversationId}`)
    assert.include(thread.body, `/datasets/insert?conversation=${conversationId}`)

    const page = await agent.get(
      `${w.base}/datasets/insert?conversation=${conversationId}&dataset=${dataset.id}&q=${encodeURIComponent('2br in JLT')}`
    )
    assert.equal(page.status, 200)
    const rowIds = [...page.body.matchAll(/name="row" value="(\d+)"/g)].map((m) => m[1])
    assert.isAbove(rowIds.length, 0)
    assert.include(page.body, 'community: JLT')

    const inserted = await agent.post(`${w.base}/datasets/insert`, {
      conversation: conversationId,
      dataset: dataset.id,
      row: rowIds[0],
    })
    assert.equal(inserted.status, 302)
    assert.equal(inserted.location, `${w.base}/inbox/${conversationId}#composer`)
    const back = await agent.get(`${w.base}/inbox/${conversationId}`)
    const box = back.body.match(/<textarea id="composer-text-[^"]+"[^>]*>([^<]*)<\/textarea>/)
    assert.exists(box, 'the reply box is there')
    assert.include(box![1], 'community: JLT')
    assert.include(box![1], 'bedrooms: 2')
  })

  test('another tenant’s dataset or row cannot be searched or inserted', async ({
    assert,
    cleanup,
  }) => {
    const a = await makeWorkspace(cleanup, 'dcj')
    const b = await makeWorkspace(cleanup, 'dck')
    const dataset = await importListings(a.context, 20)
    const bChannel = await addSandboxChannel(b.tenant, systemActor)
    const { conversationId } = await customer(b.context, bChannel)
    const stranger = await signIn(await b.member('owner'))
    const search = await stranger.get(
      `${b.base}/datasets/insert?conversation=${conversationId}&dataset=${dataset.id}&q=JLT`
    )
    assert.equal(search.status, 404)
    await stranger.get(`${b.base}/datasets/insert?conversation=${conversationId}`)
    const insert = await stranger.post(`${b.base}/datasets/insert`, {
      conversation: conversationId,
      dataset: dataset.id,
      row: '1',
    })
    assert.equal(insert.status, 404)
  })
})
