import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import drive from '@adonisjs/drive/services/main'
import { Message, type MessageMedia } from '#modules/channels/index'
import { Contact, Conversation } from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { WebSession } from '#tests/helpers/web_session'
import { signIn } from '#tests/functional/workspace/member_browser'

/*
| GET /t/:tenant/media/:messageId: a message's stored file, to the tenant's
| members only, with headers that keep it from being anything but a file.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

/** A real 1x1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64'
)

/** An inbound message whose media is in `state`; its bytes stored under `key` when given. */
async function mediaMessage(
  context: TenantContext,
  cleanup: Cleanup,
  media: Partial<MessageMedia> & { status: MessageMedia['status'] },
  bytes?: { key: (messageId: string) => string; body: Buffer }
) {
  const id = randomUUID()
  const key = bytes?.key(id)
  if (key && bytes) {
    await drive.use().put(key, bytes.body)
    cleanup(() => drive.use().delete(key))
  }
  await context.transaction(async (trx) => {
    const contact = await Contact.create(
      { phone: `+1555${Math.floor(Math.random() * 1e7)}`, source: 'whatsapp' },
      { client: trx }
    )
    const conversation = await Conversation.create(
      { contactId: contact.id, channelId: randomUUID(), status: 'open' },
      { client: trx }
    )
    await Message.create(
      {
        id,
        conversationId: conversation.id,
        contactId: contact.id,
        channelId: conversation.channelId,
        direction: 'inbound',
        type: media.mimeType?.startsWith('image/') ? 'image' : 'document',
        payload: {},
        status: 'received',
        authorType: 'contact',
        media: { ...media, ...(key ? { storageKey: key, size: bytes!.body.length } : {}) },
      },
      { client: trx }
    )
  })
  return id
}

function ownKey(tenantId: string) {
  return (messageId: string) => `tenants/${tenantId}/media/${messageId}`
}

async function fetchAs(web: WebSession, path: string) {
  const response = await fetch(`${WebSession.baseUrl()}${path}`, {
    redirect: 'manual',
    headers: { cookie: [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
  })
  return { response, bytes: Buffer.from(await response.arrayBuffer()) }
}

test.group('Media route', () => {
  test('serves the stored bytes inline with their type, length and safe headers', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'media-rt')
    const id = await mediaMessage(
      ws.context,
      cleanup,
      { status: 'stored', mimeType: 'image/png', filename: 'dent "front".png' },
      { key: ownKey(ws.tenant.id), body: PNG }
    )
    const web = await signIn(await ws.member('agent'))
    const { response, bytes } = await fetchAs(web, `${ws.base}/media/${id}`)
    assert.equal(response.status, 200)
    assert.deepEqual(bytes, PNG)
    assert.equal(response.headers.get('content-type'), 'image/png')
    assert.equal(response.headers.get('content-length'), String(PNG.length))
    assert.equal(response.headers.get('cache-control'), 'private, max-age=3600')
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(
      response.headers.get('content-disposition'),
      `inline; filename="dent front.png"; filename*=UTF-8''dent%20%22front%22.png`
    )
  })

  test('?download=1 asks for a download, with a non-ASCII name encoded', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'media-dl')
    const id = await mediaMessage(
      ws.context,
      cleanup,
      { status: 'stored', mimeType: 'application/pdf', filename: 'وثيقة.pdf' },
      { key: ownKey(ws.tenant.id), body: Buffer.from('%PDF-1.4 test') }
    )
    const web = await signIn(await ws.member('owner'))
    const { response } = await fetchAs(web, `${ws.base}/media/${id}?download=1`)
    assert.equal(response.status, 200)
    assert.equal(
      response.headers.get('content-disposition'),
      `attachment; filename="file.pdf"; filename*=UTF-8''${encodeURIComponent('وثيقة.pdf')}`
    )
  })

  test('a file that could run in the browser is always a sandboxed download', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'media-html')
    const id = await mediaMessage(
      ws.context,
      cleanup,
      { status: 'stored', mimeType: 'text/html', filename: 'invoice.html' },
      { key: ownKey(ws.tenant.id), body: Buffer.from('<script>alert(1)</script>') }
    )
    const web = await signIn(await ws.member('owner'))
    const { response } = await fetchAs(web, `${ws.base}/media/${id}`)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-disposition')!, /^attachment;/)
    assert.include(response.headers.get('content-security-policy')!, 'sandbox')
  })

  test('a file sent as a script is served as bytes, so no page can load it as one', async ({
    assert,
    cleanup,
  }) => {
    const ws = await makeWorkspace(cleanup, 'media-js')
    const id = await mediaMessage(
      ws.context,
      cleanup,
      { status: 'stored', mimeType: 'text/javascript', filename: 'notes.js' },
      { key: ownKey(ws.tenant.id), body: Buffer.from('fetch("/admin")') }
    )
    const web = await signIn(await ws.member('owner'))
    const { response } = await fetchAs(web, `${ws.base}/media/${id}`)
    assert.equal(response.status, 200)
    // With nosniff, a <script src> of this answer is refused for its type.
    assert.equal(response.headers.get('content-type'), 'application/octet-stream')
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
    assert.match(response.headers.get('content-disposition')!, /^attachment; filename="notes.js"/)
  })

  test('viewers may open files', async ({ assert, cleanup }) => {
    const ws = await makeWorkspace(cleanup, 'media-view')
    const id = await mediaMessage(
      ws.context,
      cleanup,
      { status: 'stored', mimeType: 'image/png' },
      { key: ownKey(ws.tenant.id), body: PNG }
    )
    const web = await signIn(await ws.member('viewer'))
    const { response, bytes } = await fetchAs(web, `${ws.base}/media/${id}`)
    assert.equal(response.status, 200)
    assert.deepEqual(bytes, PNG)
    assert.match(response.headers.get('content-disposition')!, /^inline; filename="image-/)
  })

  test('404 while the file is not fetched yet, or when it failed', async ({ assert, cleanup }) => {
    const ws = await makeWorkspace(cleanup, 'media-pend')
    const pending = await mediaMessage(ws.context, cleanup, {
      status: 'pending',
      providerId: '123',
      mimeType: 'image/jpeg',
    })
    const failed = await mediaMessage(ws.context, cleanup, {
      status: 'failed',
      mimeType: 'image/jpeg',
      error: 'gone',
    })
    const web = await signIn(await ws.member('owner'))
    assert.equal((await fetchAs(web, `${ws.base}/media/${pending}`)).response.status, 404)
    assert.equal((await fetchAs(web, `${ws.base}/media/${failed}`)).response.status, 404)
    assert.equal((await fetchAs(web, `${ws.base}/media/${randomUUID()}`)).response.status, 404)
  })

  test('another tenant’s member gets 404, and a key outside the tenant’s storage is never served', async ({
    assert,
    cleanup,
  }) => {
    const a = await makeWorkspace(cleanup, 'media-a')
    const b = await makeWorkspace(cleanup, 'media-b')
    const aFile = await mediaMessage(
      a.context,
      cleanup,
      { status: 'stored', mimeType: 'image/png' },
      { key: ownKey(a.tenant.id), body: PNG }
    )
    // B's row pointing at A's file (a forged or corrupted key).
    const forged = await mediaMessage(
      b.context,
      cleanup,
      { status: 'stored', mimeType: 'image/png' },
      { key: () => `tenants/${a.tenant.id}/media/${aFile}-copy`, body: PNG }
    )
    const bOwner = await signIn(await b.member('owner'))
    assert.equal((await fetchAs(bOwner, `${a.base}/media/${aFile}`)).response.status, 404)
    assert.equal((await fetchAs(bOwner, `${b.base}/media/${aFile}`)).response.status, 404)
    assert.equal((await fetchAs(bOwner, `${b.base}/media/${forged}`)).response.status, 404)
    const anonymous = await fetch(`${WebSession.baseUrl()}${a.base}/media/${aFile}`, {
      redirect: 'manual',
    })
    assert.notEqual(anonymous.status, 200)
  })
})
