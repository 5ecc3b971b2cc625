import { test } from '@japa/runner'
import { checkOutboundContent, toGraphMessage } from '#modules/channels/index'
import { storedMediaOf } from '#modules/channels/services/outbound_content'
import { attachmentMimeType, checkAttachment } from '#modules/inbox/services/composer_service'
import { fillPlaceholders, shortcutIn } from '#modules/inbox/services/canned_response_service'

const MB = 1024 * 1024

test.group('Composer rules', () => {
  test('attachments follow WhatsApp’s types and sizes per kind', ({ assert }) => {
    assert.deepEqual(checkAttachment('image/png', 5 * MB), { ok: true, kind: 'image' })
    assert.deepEqual(checkAttachment('image/jpeg', 5 * MB + 1), {
      ok: false,
      problem: 'size',
      kind: 'image',
      maxBytes: 5 * MB,
    })
    assert.deepEqual(checkAttachment('image/gif', 10), { ok: false, problem: 'type' })
    assert.deepEqual(checkAttachment('video/3gpp', 16 * MB), { ok: true, kind: 'video' })
    assert.isFalse(checkAttachment('video/mp4', 16 * MB + 1).ok)
    for (const type of ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg']) {
      assert.deepEqual(checkAttachment(type, 16 * MB), { ok: true, kind: 'audio' })
    }
    assert.deepEqual(checkAttachment('application/pdf', 100 * MB), { ok: true, kind: 'document' })
    assert.isFalse(checkAttachment('application/pdf', 100 * MB + 1).ok)
    assert.deepEqual(checkAttachment('application/x-msdownload', 10), {
      ok: false,
      problem: 'type',
    })
  })

  test('detected types are named as WhatsApp expects them', ({ assert }) => {
    assert.equal(attachmentMimeType('audio/x-m4a', 'voice.m4a'), 'audio/mp4')
    assert.equal(attachmentMimeType('image/JPG', 'a.jpg'), 'image/jpeg')
    assert.equal(attachmentMimeType('application/x-cfb', 'policy.DOC'), 'application/msword')
    assert.equal(attachmentMimeType('text/plain; charset=utf-8', 'a.txt'), 'text/plain')
  })

  test('a message from storage names exactly one source and shows as stored media', ({
    assert,
  }) => {
    const file = { key: 'tenants/t/uploads/a.png', mimeType: 'image/png', size: 10, name: 'a.png' }
    assert.deepEqual(checkOutboundContent({ type: 'image', file }), [])
    assert.deepEqual(
      checkOutboundContent({ type: 'image', file, link: 'https://x.test/a.png' }).map(
        (p) => p.field
      ),
      ['link']
    )
    assert.deepEqual(
      checkOutboundContent({ type: 'image', file: { ...file, mimeType: 'nonsense' } }).map(
        (p) => p.field
      ),
      ['file']
    )
    assert.deepEqual(JSON.parse(storedMediaOf({ type: 'image', file, caption: 'Hi' })!), {
      status: 'stored',
      storageKey: file.key,
      mimeType: 'image/png',
      size: 10,
      filename: 'a.png',
      caption: 'Hi',
    })
    assert.isNull(storedMediaOf({ type: 'image', link: 'https://x.test/a.png' }))
    // Once uploaded, the Graph message names the media id and nothing of our storage.
    const graph = toGraphMessage('+15550001111', { type: 'image', mediaId: '77', caption: 'Hi' })
    assert.deepEqual(graph.image, { id: '77', caption: 'Hi' })
  })

  test('canned placeholders fill in; a lone /shortcut is recognised', ({ assert }) => {
    const values = { contactName: 'Sara', contactPhone: '+15550001111', agentName: 'Omar' }
    assert.equal(
      fillPlaceholders('Hi {{contact.name}} ({{ contact.phone }}), {{agent.name}} here.', values),
      'Hi Sara (+15550001111), Omar here.'
    )
    assert.equal(
      fillPlaceholders('Hi {{contact.name}}, {{1}} stays.', { ...values, contactName: null }),
      'Hi, {{1}} stays.'
    )
    const nobody = { contactName: null, contactPhone: null, agentName: null }
    assert.equal(fillPlaceholders('{{agent.name}} here', nobody), 'here')
    assert.equal(fillPlaceholders('Dear {{contact.name}} and team', nobody), 'Dear and team')
    assert.equal(fillPlaceholders('Thanks {{contact.name}}\nBye', nobody), 'Thanks\nBye')
    assert.equal(shortcutIn(' /Greeting '), 'greeting')
    assert.isNull(shortcutIn('/greeting and more'))
    assert.isNull(shortcutIn('see /greeting'))
    assert.isNull(shortcutIn('/'))
  })
})
