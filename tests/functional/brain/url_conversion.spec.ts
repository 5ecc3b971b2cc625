import { test } from '@japa/runner'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import zlib from 'node:zlib'
import app from '@adonisjs/core/services/app'
import type { Group } from '@japa/runner/core'
import {
  ConversionError,
  convertUrl,
  type ConversionErrorCode,
} from '#modules/brain/services/conversion'
import {
  assertPublicTarget,
  BlockedAddressError,
  guardedLookup,
  isPublicAddress,
} from '#app/net/outbound_guard'
import {
  clinicPageHtml,
  encodeIso88596,
  policyPdf,
  arabicPageHtml,
} from '#tests/helpers/document_fixtures'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/**
 * A small website on 127.0.0.1, speaking plain HTTP/1.1 as a real one does:
 * redirects, charsets, chunked and compressed bodies, slow answers. Each
 * test adds the routes it needs; every request is recorded.
 */
class LocalSite {
  readonly requests: string[] = []
  private routes = new Map<string, Handler>()
  private server: Server | null = null
  private sockets = new Set<Socket>()

  route(path: string, handler: Handler) {
    this.routes.set(path, handler)
    return this
  }

  url(path: string) {
    const { port } = this.server!.address() as AddressInfo
    return `http://127.0.0.1:${port}${path}`
  }

  async start() {
    this.server = createServer((req, res) => {
      this.requests.push(req.url ?? '')
      const handler = this.routes.get(new URL(req.url ?? '/', 'http://x').pathname)
      if (handler) return handler(req, res)
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>')
    })
    this.server.on('connection', (socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
  }

  async stop() {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()))
  }
}

async function failsWith(promise: Promise<unknown>, code: ConversionErrorCode) {
  try {
    await promise
  } catch (error) {
    if (!(error instanceof ConversionError))
      throw new Error(`Expected a ConversionError, got ${error}`)
    if (error.code !== code) {
      throw new Error(
        `Expected ${code}, got ${error.code}: ${error.message} ${JSON.stringify(error.detail)}`
      )
    }
    return error
  }
  throw new Error(`Expected the fetch to fail with ${code}`)
}

/** Lets the brain reach the local site for the length of a group. */
function allowPrivateSources(group: Group, allow: boolean) {
  group.each.setup(() => {
    const previous = app.config.get<Record<string, unknown>>('brain')
    app.config.set('brain', { ...previous, allowPrivateUrlSources: allow })
    return () => app.config.set('brain', previous)
  })
}

test.group('URL conversion | fetching a local site', (group) => {
  const site = new LocalSite()
  group.setup(async () => {
    site
      .route('/hours', (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(clinicPageHtml())
      })
      .route('/old', (_req, res) => res.writeHead(301, { location: '/moved' }).end())
      .route('/moved', (_req, res) => res.writeHead(302, { location: '/clinic/hours-page' }).end())
      .route('/clinic/hours-page', (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' }).end(clinicPageHtml())
      })
      .route('/loop', (_req, res) => res.writeHead(302, { location: '/loop' }).end())
      .route('/to-file', (_req, res) =>
        res.writeHead(302, { location: 'file:///etc/passwd' }).end()
      )
      .route('/latin', (_req, res) => {
        const html =
          '<html><head><title>Café menu</title></head><body><main><h1>Café menu</h1><p>Our crème brûlée is made fresh every morning in the café.</p></main></body></html>'
        res
          .writeHead(200, { 'content-type': 'text/html; charset=windows-1252' })
          .end(Buffer.from(html, 'latin1'))
      })
      .route('/arabic', (_req, res) => {
        const html = arabicPageHtml().replace(
          '<meta charset="utf-8">',
          '<meta charset="iso-8859-6">'
        )
        res.writeHead(200, { 'content-type': 'text/html' }).end(encodeIso88596(html))
      })
      .route('/policy.pdf', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/pdf' }).end(policyPdf())
      })
      .route('/notes.txt', (_req, res) => {
        res
          .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
          .end('Parking is free for patients.\n')
      })
      .route('/guide.md', (_req, res) => {
        res
          .writeHead(200, { 'content-type': 'text/markdown' })
          .end('# Guide\n\nBring <b>your ID</b> to every visit.')
      })
      .route('/logo.png', (_req, res) => {
        res
          .writeHead(200, { 'content-type': 'image/png' })
          .end(Buffer.from('89504e470d0a1a0a', 'hex'))
      })
      .route('/api', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"hours":"8-8"}')
      })
      .route('/big-declared', (_req, res) => {
        res
          .writeHead(200, { 'content-type': 'text/html', 'content-length': String(5000) })
          .end('x'.repeat(5000))
      })
      .route('/big-streamed', (_req, res) => {
        // Chunked, no length: only counting while streaming can stop it.
        res.writeHead(200, { 'content-type': 'text/html' })
        let sent = 0
        const timer = setInterval(() => {
          if (res.destroyed || sent > 1_000_000) {
            clearInterval(timer)
            res.end()
            return
          }
          res.write('<p>' + 'word '.repeat(200) + '</p>')
          sent += 1007
        }, 1)
      })
      .route('/bomb', (_req, res) => {
        // 1 MB of text compressed to about a kilobyte.
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' })
        res.end(zlib.gzipSync(Buffer.alloc(1_000_000, 'a')))
      })
      .route('/gzipped', (_req, res) => {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-encoding': 'gzip',
        })
        res.end(zlib.gzipSync(Buffer.from(clinicPageHtml())))
      })
      .route('/slow', (_req, res) => {
        setTimeout(() => {
          if (!res.destroyed)
            res.writeHead(200, { 'content-type': 'text/html' }).end('<p>Too late to matter.</p>')
        }, 2000)
      })
      .route('/stalls', (_req, res) => {
        // Headers at once, then the body never finishes.
        res.writeHead(200, { 'content-type': 'text/html' })
        res.write('<html><body><p>The start of a page that never ends')
      })
      .route('/missing-type', (_req, res) => {
        res.removeHeader('content-type')
        res
          .writeHead(200)
          .end(
            '<html><body><main><p>A page served with no content type at all.</p></main></body></html>'
          )
      })
    await site.start()
    return () => site.stop()
  })
  allowPrivateSources(group, true)

  test('an HTML page is narrowed to its main content and converted', async ({ assert }) => {
    const document = await convertUrl(site.url('/hours'))
    assert.equal(document.finalUrl, site.url('/hours'))
    assert.equal(document.title, 'Opening Hours')
    assert.equal(document.language, 'english')
    assert.isNull(document.pages)
    assert.include(document.markdown, '| General consultation | 250 | 20 min |')
    assert.notInclude(document.markdown, 'Our doctors')
    assert.notInclude(document.markdown, 'cookies')
  })

  test('redirects are followed and the final address is returned, links resolved against it', async ({
    assert,
  }) => {
    const document = await convertUrl(site.url('/old'))
    assert.equal(document.finalUrl, site.url('/clinic/hours-page'))
    assert.include(
      document.markdown,
      `[cancellation policy](${site.url('/policies/cancellation')})`
    )
  })

  test('more than five redirects fail', async ({ assert }) => {
    const before = site.requests.length
    const error = await failsWith(convertUrl(site.url('/loop')), 'fetch_failed')
    assert.match(error.message, /redirects/)
    // The first request and five redirects, then it gives up.
    assert.equal(site.requests.length - before, 6)
  })

  test('every redirect hop is checked: a redirect to a file: address is refused', async () => {
    await failsWith(convertUrl(site.url('/to-file')), 'blocked_address')
  })

  test('the charset comes from the Content-Type header', async ({ assert }) => {
    const document = await convertUrl(site.url('/latin'))
    assert.include(document.markdown, 'Our crème brûlée is made fresh')
    assert.equal(document.title, 'Café menu')
  })

  test('the charset comes from <meta charset> when the header names none, Arabic included', async ({
    assert,
  }) => {
    const document = await convertUrl(site.url('/arabic'))
    assert.equal(document.language, 'arabic')
    assert.include(document.markdown, 'رسوم الاستشارة العامة مئتان وخمسون درهماً')
  })

  test('a PDF behind a URL is converted as a file, with its pages', async ({ assert }) => {
    const document = await convertUrl(site.url('/policy.pdf'))
    assert.equal(document.pages, 3)
    assert.include(document.markdown, '<!-- page: 2 -->')
    assert.equal(document.finalUrl, site.url('/policy.pdf'))
  })

  test('plain text and Markdown are taken as text, not parsed as HTML', async ({ assert }) => {
    assert.equal(
      (await convertUrl(site.url('/notes.txt'))).markdown,
      'Parking is free for patients.'
    )
    const guide = await convertUrl(site.url('/guide.md'))
    assert.equal(guide.title, 'Guide')
    assert.include(guide.markdown, 'Bring <b>your ID</b>')
  })

  test('images and JSON are refused as not HTML, before their body is read', async ({ assert }) => {
    const error = await failsWith(convertUrl(site.url('/logo.png')), 'not_html')
    assert.equal(error.detail?.contentType, 'image/png')
    await failsWith(convertUrl(site.url('/api')), 'not_html')
  })

  test('a page with no content type is read as HTML', async ({ assert }) => {
    const document = await convertUrl(site.url('/missing-type'))
    assert.include(document.markdown, 'A page served with no content type at all.')
  })

  test('too big: refused from Content-Length, while streaming, and after decompression', async ({
    assert,
  }) => {
    await failsWith(convertUrl(site.url('/big-declared'), { maxBytes: 1000 }), 'too_large')
    const started = Date.now()
    await failsWith(convertUrl(site.url('/big-streamed'), { maxBytes: 50_000 }), 'too_large')
    assert.isBelow(Date.now() - started, 5000)
    await failsWith(convertUrl(site.url('/bomb'), { maxBytes: 100_000 }), 'too_large')
  })

  test('a compressed page is decompressed', async ({ assert }) => {
    const document = await convertUrl(site.url('/gzipped'))
    assert.include(document.markdown, 'open Sunday to Thursday')
  })

  test('a slow site times out, whether it is slow to answer or to finish', async ({ assert }) => {
    const started = Date.now()
    const error = await failsWith(convertUrl(site.url('/slow'), { timeoutMs: 300 }), 'timeout')
    assert.equal(error.detail?.timeoutMs, 300)
    assert.isBelow(Date.now() - started, 1500)
    await failsWith(convertUrl(site.url('/stalls'), { timeoutMs: 300 }), 'timeout')
  })

  test('an error status or a closed port fails with fetch_failed', async ({ assert }) => {
    const error = await failsWith(convertUrl(site.url('/nowhere')), 'fetch_failed')
    assert.equal(error.detail?.status, 404)
    await failsWith(convertUrl('http://127.0.0.1:1/'), 'fetch_failed')
    await failsWith(convertUrl('not a url'), 'fetch_failed')
  })
})

test.group('URL conversion | private addresses refused', (group) => {
  const site = new LocalSite()
  group.setup(async () => {
    site.route('/hours', (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(clinicPageHtml())
    )
    await site.start()
    return () => site.stop()
  })
  allowPrivateSources(group, false)

  test('127.0.0.1 is refused when ALLOW_PRIVATE_URL_SOURCES is off, and no request is made', async ({
    assert,
  }) => {
    const error = await failsWith(convertUrl(site.url('/hours')), 'blocked_address')
    assert.equal(error.detail?.reason, 'private_address')
    assert.lengthOf(site.requests, 0)
  })

  test('names that resolve to loopback and IPv6 or IPv4-mapped loopback are refused too', async ({
    assert,
  }) => {
    const port = new URL(site.url('/')).port
    for (const address of [
      `http://localhost:${port}/hours`,
      `http://[::1]:${port}/hours`,
      `http://[::ffff:127.0.0.1]:${port}/hours`,
      `http://2130706433:${port}/hours`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/',
      'http://[fd00::1]/',
    ]) {
      await failsWith(convertUrl(address, { timeoutMs: 2000 }), 'blocked_address')
    }
    assert.lengthOf(site.requests, 0)
  })

  test('only http and https are fetched', async () => {
    await failsWith(convertUrl('file:///etc/passwd'), 'blocked_address')
    await failsWith(convertUrl('ftp://example.com/file.txt'), 'blocked_address')
  })
})

test.group('Outbound guard', () => {
  test('classifies IPv4 and IPv6 addresses', ({ assert }) => {
    const blocked = [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.251',
      '255.255.255.255',
      '192.0.2.5',
      '::',
      '::1',
      'fe80::1',
      'fe80::1%eth0',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '::ffff:169.254.169.254',
      '64:ff9b::10.0.0.1',
      '2002:c0a8:0101::1',
      '2001:db8::1',
      '::127.0.0.1',
    ]
    const allowed = [
      '8.8.8.8',
      '1.1.1.1',
      '172.32.0.1',
      '192.169.0.1',
      '100.128.0.1',
      '93.184.216.34',
      '2606:4700:4700::1111',
      '2001:4860:4860::8888',
      '::ffff:8.8.8.8',
      '64:ff9b::8.8.8.8',
      '2002:0808:0808::1',
    ]
    for (const address of blocked) assert.isFalse(isPublicAddress(address), `${address} is private`)
    for (const address of allowed) assert.isTrue(isPublicAddress(address), `${address} is public`)
    assert.isFalse(isPublicAddress('not-an-ip'))
  })

  test('assertPublicTarget resolves names and honours allowPrivate', async ({ assert }) => {
    await assert.rejects(
      () => assertPublicTarget(new URL('http://localhost/'), { allowPrivate: false }),
      BlockedAddressError
    )
    await assertPublicTarget(new URL('http://localhost/'), { allowPrivate: true })
    await assertPublicTarget(new URL('http://8.8.8.8/'), { allowPrivate: false })
    await assert.rejects(
      () => assertPublicTarget(new URL('http://name.invalid/'), { allowPrivate: false }),
      BlockedAddressError
    )
  })
  test('the connect-time lookup refuses private answers, so a changed DNS answer cannot slip through', async ({
    assert,
  }) => {
    const lookup = (allowPrivate: boolean, all: boolean) =>
      new Promise<{ error: Error | null; result: unknown }>((resolve) => {
        guardedLookup({ allowPrivate })(
          'localhost',
          { all },
          (error: Error | null, result: unknown) => resolve({ error, result })
        )
      })
    const refused = await lookup(false, false)
    assert.instanceOf(refused.error, BlockedAddressError)
    const single = await lookup(true, false)
    assert.isNull(single.error)
    assert.isFalse(isPublicAddress(single.result as string))
    const every = await lookup(true, true)
    assert.isArray(every.result)
  })
})
