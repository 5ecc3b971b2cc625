import { test } from '@japa/runner'
import { createHash, randomInt } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import app from '@adonisjs/core/services/app'
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

type Cleanup = (fn: () => void | Promise<void>) => void

/** A local HTTP server that records who asked for what, answering with `handle`. */
async function recordingServer(
  cleanup: Cleanup,
  handle: (response: ServerResponse, origin: string) => void
) {
  const requests: Array<{ path: string; headers: IncomingHttpHeaders }> = []
  const server = createServer((request, response) => {
    requests.push({ path: request.url ?? '', headers: request.headers })
    handle(response, origin)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  cleanup(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { origin, port: (server.address() as AddressInfo).port, requests }
}

/** What Graph's media lookup answers, naming `url` as the download. */
function lookupAnswer(mediaId: string, url: string) {
  return {
    status: 200,
    body: {
      messaging_product: 'whatsapp',
      url,
      mime_type: 'image/png',
      sha256: createHash('sha256').update(PNG).digest('hex'),
      file_size: PNG.length,
      id: mediaId,
    },
  }
}

/** ALLOW_PRIVATE_MEDIA_URLS off for one test, as in production. */
function forbidPrivateMedia(cleanup: Cleanup) {
  const allowed = app.config.get<boolean>('whatsapp.allowPrivateMediaUrls')
  app.config.set('whatsapp.allowPrivateMediaUrls', false)
  cleanup(() => app.config.set('whatsapp.allowPrivateMediaUrls', allowed))
}

/** A customer's image whose Graph lookup names `link`; answers the media once it settles. */
async function imageFrom(
  graph: { reply: (reply: { status: number; body: unknown }) => unknown },
  wa: Awaited<ReturnType<typeof makeWhatsAppTenant>>,
  link: string,
  settled: 'stored' | 'failed'
) {
  const mediaId = String(randomInt(1e12, 9e12))
  graph.reply(lookupAnswer(mediaId, link))
  const customer = waId()
  await postWebhook(webhook(wa, { messages: [imageMessage(customer, mediaId)] }), wa.appSecret)
  return waitFor(async () => {
    const row = await mediaOf(wa.context, customer)
    return row?.media?.status === settled ? row : null
  })
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

  test('a media link pointing at a private address is refused and the access token is never sent', async ({
    assert,
    cleanup,
  }) => {
    forbidPrivateMedia(cleanup)
    const wa = await makeWhatsAppTenant('media-ssrf')
    cleanup(wa.cleanup)
    // Stands in for an internal service: it must never hear from us.
    const internal = await recordingServer(cleanup, (response) => response.end('secret'))

    for (const link of [
      `https://localhost:${internal.port}/latest/meta-data`,
      `https://[::ffff:0:7f00:1]:${internal.port}/admin`,
      'https://169.254.169.254/latest/meta-data/iam',
    ]) {
      const failed = await imageFrom(graph, wa, link, 'failed')
      assert.match(failed.media.error, /^download address refused: .*private or reserved address/)
      assert.notProperty(failed.media, 'storageKey')
    }
    assert.lengthOf(internal.requests, 0, 'no request, so no token, reached the private address')
  }).timeout(30_000)

  test('plain http media links are refused unless private targets are allowed', async ({
    assert,
    cleanup,
  }) => {
    forbidPrivateMedia(cleanup)
    const wa = await makeWhatsAppTenant('media-http')
    cleanup(wa.cleanup)
    const failed = await imageFrom(graph, wa, 'http://93.184.216.34/media', 'failed')
    assert.equal(
      failed.media.error,
      'download address refused: media is fetched over https only, not http:'
    )
  }).timeout(30_000)

  test('a redirect to another host is followed without the access token', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('media-hop')
    cleanup(wa.cleanup)
    const cdn = await recordingServer(cleanup, (response) =>
      response.writeHead(200, { 'content-type': 'image/png' }).end(PNG)
    )
    const lookaside = await recordingServer(cleanup, (response) =>
      response.writeHead(302, { location: `${cdn.origin}/file.png` }).end()
    )
    const stored = await imageFrom(graph, wa, `${lookaside.origin}/media`, 'stored')
    cleanup(() => drive.use().delete(stored.media.storageKey))
    assert.deepEqual(Buffer.from(await drive.use().getBytes(stored.media.storageKey)), PNG)
    assert.equal(lookaside.requests[0].headers.authorization, 'Bearer test-access-token')
    assert.lengthOf(cdn.requests, 1)
    assert.isUndefined(cdn.requests[0].headers.authorization, 'the token stays with its host')
  }).timeout(30_000)
})
