import { test } from '@japa/runner'
import { createHash, randomInt } from 'node:crypto'
import drive from '@adonisjs/drive/services/main'
import type { TenantContext } from '#modules/tenancy/index'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { useWorkers } from '#tests/helpers/queue'
import {
  makeWhatsAppTenant,
  postWebhook,
  unix,
  waId,
  waitFor,
  wamid,
  webhook,
} from '#tests/helpers/whatsapp'

/** A real 1x1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64'
)

function imageMessage(from: string, mediaId: string) {
  return {
    from,
    id: wamid(),
    timestamp: unix(),
    type: 'image',
    image: { caption: 'The dent', mime_type: 'image/png', sha256: 'as-announced', id: mediaId },
  }
}

async function mediaOf(context: TenantContext, from: string) {
  const rows = await context.transaction(
    async (trx) =>
      (
        await trx.rawQuery(
          `select m.id, m.media from messages m join contacts c on c.id = m.contact_id where c.wa_id = ?`,
          [from]
        )
      ).rows
  )
  return rows[0] as { id: string; media: any } | undefined
}

test.group('Inbound media', (group) => {
  const graph = useFakeGraph(group)
  useWorkers(group, ['inbound', 'default'])

  test('an image is copied into the tenant’s storage and matches WhatsApp’s checksum', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('media')
    cleanup(wa.cleanup)
    const mediaId = String(randomInt(1e12, 9e12))
    graph.media.set(mediaId, { bytes: PNG, mimeType: 'image/png' })
    const customer = waId()

    await postWebhook(webhook(wa, { messages: [imageMessage(customer, mediaId)] }), wa.appSecret)
    const stored = await waitFor(async () => {
      const row = await mediaOf(wa.context, customer)
      return row?.media?.status === 'stored' ? row : null
    })
    assert.equal(stored.media.storageKey, `tenants/${wa.tenant.id}/media/${stored.id}`)
    assert.equal(stored.media.size, PNG.length)
    assert.equal(stored.media.sha256, createHash('sha256').update(PNG).digest('hex'))
    assert.equal(stored.media.caption, 'The dent')
    assert.deepEqual(Buffer.from(await drive.use().getBytes(stored.media.storageKey)), PNG)
    cleanup(() => drive.use().delete(stored.media.storageKey))
  }).timeout(30_000)

  test('a checksum mismatch stores nothing and is fetched again', async ({ assert, cleanup }) => {
    const wa = await makeWhatsAppTenant('media-sum')
    cleanup(wa.cleanup)
    const mediaId = String(randomInt(1e12, 9e12))
    graph.media.set(mediaId, { bytes: PNG, mimeType: 'image/png', sha256: 'f'.repeat(64) })
    const customer = waId()

    await postWebhook(webhook(wa, { messages: [imageMessage(customer, mediaId)] }), wa.appSecret)
    await waitFor(async () => {
      const lookups = graph.calls.filter((call) => call.path.endsWith(`/${mediaId}`))
      return lookups.length >= 1
    })
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.equal((await mediaOf(wa.context, customer))!.media.status, 'pending')
    assert.isFalse(
      await drive
        .use()
        .exists(`tenants/${wa.tenant.id}/media/${(await mediaOf(wa.context, customer))!.id}`)
    )

    // WhatsApp now serves a file that matches: the retry stores it.
    graph.media.set(mediaId, { bytes: PNG, mimeType: 'image/png' })
    const stored = await waitFor(async () => {
      const row = await mediaOf(wa.context, customer)
      return row?.media?.status === 'stored' ? row : null
    })
    cleanup(() => drive.use().delete(stored.media.storageKey))
  }).timeout(30_000)

  test('media WhatsApp no longer has is marked failed with the reason', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('media-gone')
    cleanup(wa.cleanup)
    const customer = waId()
    await postWebhook(
      webhook(wa, { messages: [imageMessage(customer, '4040404040404')] }),
      wa.appSecret
    )
    const failed = await waitFor(async () => {
      const row = await mediaOf(wa.context, customer)
      return row?.media?.status === 'failed' ? row : null
    })
    assert.equal(failed.media.error, 'Unsupported get request')
  }).timeout(30_000)
})
