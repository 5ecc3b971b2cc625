import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { Tenant } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember } from '#tests/helpers/users'
import { WebSession } from '#tests/helpers/web_session'
import { postMultipart, signIn, type UploadFile } from '#tests/functional/workspace/member_browser'

const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64'
)
const JPEG_HEAD = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF\0'),
  Buffer.alloc(64, 1),
])
const HOSTILE_SVG = `<?xml version="1.0"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10" onload="alert(1)">
  <script>alert('svg')</script>
  <style>@import url(https://evil.test/x.css); circle { fill: red }</style>
  <style>.ok { stroke: blue }</style>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>
  <circle id="c" class="ok" cx="5" cy="5" r="4" fill="url(#g)" onclick="steal()" ONMOUSEOVER="x()"/>
  <use href="#c"/>
  <use xlink:href="https://evil.test/sprite.svg#a"/>
  <a href="javascript:alert(2)"><text x="1" y="9">A &amp; B</text></a>
  <image href="https://evil.test/track.png" width="1" height="1"/>
  <rect width="1" height="1" style="fill: url(https://evil.test/f)"/>
  <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>
  <set attributeName="href" to="javascript:alert(3)"/>
</svg>`

const png = (bytes = PNG_1X1, name = 'logo.png'): UploadFile => ({
  field: 'logo',
  name,
  type: 'image/png',
  bytes,
})

async function brandedWorkspace(
  cleanup: (fn: () => void | Promise<void>) => void,
  prefix = 'brand'
) {
  const made = await makeTenant(prefix)
  cleanup(made.cleanup)
  const owner = await makeMember(made.tenant.id, 'owner')
  cleanup(() => owner.delete())
  const web = await signIn(owner)
  const base = `/t/${made.tenant.slug}`
  const settings = `${base}/settings/branding`
  const save = (fields: Record<string, string>, file?: UploadFile) =>
    postMultipart(web, settings, settings, fields, file)
  return { ...made, owner, web, base, settings, save }
}

function publicGet(path: string, headers: Record<string, string> = {}) {
  return fetch(`${WebSession.baseUrl()}${path}`, { headers, redirect: 'manual' })
}

async function storedLogo(tenantId: string) {
  return db.from('tenants').where('id', tenantId).select('logo', 'logo_mime').first()
}

test.group('Branding', () => {
  test('owners save a display name and colour; the workspace wears them', async ({
    assert,
    cleanup,
  }) => {
    const w = await brandedWorkspace(cleanup)
    const form = await w.web.get(w.settings)
    assert.equal(form.status, 200)
    assert.include(form.body, `value="${w.tenant.name}"`)

    const saved = await w.save({ display_name: 'Acme Brokers', primary_color: '#FFD400' })
    assert.equal(saved.status, 302)
    assert.equal(saved.location, w.settings)
    assert.include((await w.web.get(w.settings)).body, 'Branding saved.')

    const tenant = await Tenant.findOrFail(w.tenant.id)
    assert.equal(tenant.displayName, 'Acme Brokers')
    assert.equal(tenant.primaryColor, '#ffd400')

    const dashboard = await w.web.get(w.base)
    assert.include(dashboard.body, '<title>Dashboard · Acme Brokers</title>')
    assert.match(dashboard.body, /<p class="brand">\s*Acme Brokers/)
    const cssHref = dashboard.body.match(/href="(\/t\/[^"]+\/branding\.css\?v=\d+)"/)?.[1]
    assert.exists(cssHref)

    // Public: a pale brand gets dark text, and it is served as CSS.
    const css = await publicGet(cssHref!)
    assert.equal(css.status, 200)
    assert.match(css.headers.get('content-type')!, /^text\/css/)
    assert.equal(css.headers.get('x-content-type-options'), 'nosniff')
    assert.include(css.headers.get('cache-control')!, 'immutable')
    assert.equal(await css.text(), ':root { --brand: #ffd400; --brand-ink: #14213d; }\n')

    await w.save({ display_name: '', primary_color: '#1d3557' })
    const dark = await (await publicGet(`${w.base}/branding.css`)).text()
    assert.equal(dark, ':root { --brand: #1d3557; --brand-ink: #ffffff; }\n')
    // An empty display name falls back to the workspace name.
    assert.match(
      (await w.web.get(w.base)).body,
      new RegExp(`<p class="brand">\\s*${w.tenant.name}`)
    )
  })

  test('a colour that is not #rrggbb is a field error and the rest of the form is kept', async ({
    assert,
    cleanup,
  }) => {
    const w = await brandedWorkspace(cleanup)
    for (const colour of ['red', '#fff', '#12345g', 'url(x)']) {
      const response = await w.save({ display_name: 'Kept Name', primary_color: colour })
      assert.equal(response.status, 302)
      const page = await w.web.get(w.settings)
      assert.include(page.body, 'Enter a colour such as #0f766e.', colour)
      assert.include(page.body, 'value="Kept Name"')
    }
    const tenant = await Tenant.findOrFail(w.tenant.id)
    assert.isNull(tenant.primaryColor)
    assert.isNull(tenant.displayName)
  })

  test('a real PNG is stored and served as an image only', async ({ assert, cleanup }) => {
    const w = await brandedWorkspace(cleanup)
    const saved = await w.save({ display_name: 'Pic Co', primary_color: '#0f766e' }, png())
    assert.equal(saved.location, w.settings)
    const row = await storedLogo(w.tenant.id)
    assert.equal(row.logo_mime, 'image/png')
    assert.isTrue(Buffer.from(row.logo).equals(PNG_1X1))

    const dashboard = await w.web.get(w.base)
    const logoUrl = dashboard.body.match(/<img src="(\/t\/[^"]+\/branding\/logo\?v=\d+)"/)?.[1]
    assert.exists(logoUrl)

    const logo = await publicGet(logoUrl!)
    assert.equal(logo.status, 200)
    assert.equal(logo.headers.get('content-type'), 'image/png')
    assert.equal(logo.headers.get('x-content-type-options'), 'nosniff')
    assert.include(logo.headers.get('cache-control')!, 'max-age')
    const etag = logo.headers.get('etag')!
    assert.match(etag, /^"[\w-]+"$/)
    assert.isTrue(Buffer.from(await logo.arrayBuffer()).equals(PNG_1X1))
    const again = await publicGet(logoUrl!, { 'if-none-match': etag })
    assert.equal(again.status, 304)

    // JPEG too, judged by its bytes.
    await w.save(
      { display_name: 'Pic Co', primary_color: '#0f766e' },
      {
        field: 'logo',
        name: 'photo.jpg',
        type: 'image/jpeg',
        bytes: JPEG_HEAD,
      }
    )
    const jpeg = await publicGet(`${w.base}/branding/logo`)
    assert.equal(jpeg.headers.get('content-type'), 'image/jpeg')
    assert.notEqual(jpeg.headers.get('etag'), etag)

    // Saving without a file keeps the logo; "remove logo" removes it.
    await w.save({ display_name: 'Pic Co', primary_color: '#0f766e' })
    assert.equal((await storedLogo(w.tenant.id)).logo_mime, 'image/jpeg')
    await w.web.get(w.settings)
    const removed = await w.web.post(`${w.settings}/logo/remove`, {})
    assert.equal(removed.location, w.settings)
    assert.equal((await publicGet(`${w.base}/branding/logo`)).status, 404)
    assert.isNull((await storedLogo(w.tenant.id)).logo)
    assert.notInclude((await w.web.get(w.base)).body, '/branding/logo')
  })

  test('a file named .png that is not a PNG is refused by its content', async ({
    assert,
    cleanup,
  }) => {
    const w = await brandedWorkspace(cleanup)
    const response = await w.save(
      { display_name: 'Fake Co', primary_color: '#0f766e' },
      png(Buffer.from('this is plain text pretending to be an image\n'.repeat(5)))
    )
    assert.equal(response.status, 302)
    const page = await w.web.get(w.settings)
    assert.include(page.body, 'This file is not a real PNG or JPEG image.')
    assert.include(page.body, 'value="Fake Co"')
    assert.isNull((await storedLogo(w.tenant.id)).logo)
    assert.isNull((await Tenant.findOrFail(w.tenant.id)).displayName)

    // Nor is a PNG renamed .jpg, or an executable renamed .svg.
    await w.save({}, { ...png(), name: 'logo.jpg', type: 'image/jpeg' })
    assert.include((await w.web.get(w.settings)).body, 'This file is not a real PNG or JPEG image.')
    await w.save(
      {},
      {
        field: 'logo',
        name: 'logo.svg',
        type: 'image/svg+xml',
        bytes: Buffer.from('<html><body>hi</body></html>'),
      }
    )
    assert.include((await w.web.get(w.settings)).body, 'This file is not a valid SVG image.')
    assert.isNull((await storedLogo(w.tenant.id)).logo)
  })

  test('a logo over 1 MB is a field error, not a crash page', async ({ assert, cleanup }) => {
    const w = await brandedWorkspace(cleanup)
    const big = Buffer.concat([PNG_1X1, Buffer.alloc(1024 * 1024 + 10, 7)])
    const response = await w.save({ display_name: 'Big Co', primary_color: '#0f766e' }, png(big))
    assert.equal(response.status, 302)
    const page = await w.web.get(w.settings)
    assert.include(page.body, 'The file is too large (at most 1mb).')
    assert.include(page.body, 'value="Big Co"')
    assert.isNull((await storedLogo(w.tenant.id)).logo)

    const wrongType = await w.save(
      {},
      { field: 'logo', name: 'logo.gif', type: 'image/gif', bytes: PNG_1X1 }
    )
    assert.equal(wrongType.status, 302)
    assert.include((await w.web.get(w.settings)).body, 'Upload a PNG, JPEG or SVG file.')
  })

  test('an SVG is stored sanitised and served so that it can run nothing', async ({
    assert,
    cleanup,
  }) => {
    const w = await brandedWorkspace(cleanup)
    const saved = await w.save(
      { display_name: 'Vector Co', primary_color: '#0f766e' },
      {
        field: 'logo',
        name: 'logo.svg',
        type: 'image/svg+xml',
        bytes: Buffer.from(HOSTILE_SVG),
      }
    )
    assert.equal(saved.location, w.settings)
    const row = await storedLogo(w.tenant.id)
    assert.equal(row.logo_mime, 'image/svg+xml')
    const svg = Buffer.from(row.logo).toString('utf8')

    assert.match(svg, /^<svg /)
    assert.notMatch(svg, /<script/i)
    assert.notMatch(svg, /\son\w+=/i)
    assert.notMatch(svg, /foreignObject/i)
    assert.notMatch(svg, /javascript:/i)
    assert.notMatch(svg, /evil\.test/)
    assert.notMatch(svg, /@import/)
    assert.notMatch(svg, /<set/)
    assert.notMatch(svg, /DOCTYPE|<\?xml/)
    // What is harmless stays.
    assert.include(svg, '<circle id="c" class="ok" cx="5" cy="5" r="4" fill="url(#g)"/>')
    assert.include(svg, '<use href="#c"/>')
    assert.include(svg, '<style>.ok { stroke: blue }</style>')
    assert.include(svg, 'A &amp; B')

    const served = await publicGet(`${w.base}/branding/logo`)
    assert.equal(served.headers.get('content-type'), 'image/svg+xml')
    assert.equal(
      served.headers.get('content-security-policy'),
      `default-src 'none'; style-src 'unsafe-inline'`
    )
    assert.equal(served.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(await served.text(), svg)
  })

  test('only owners and admins manage branding', async ({ assert, cleanup }) => {
    const w = await brandedWorkspace(cleanup)
    const admin = await makeMember(w.tenant.id, 'admin')
    cleanup(() => admin.delete())
    const adminWeb = await signIn(admin)
    assert.equal((await adminWeb.get(w.settings)).status, 200)

    for (const role of ['agent', 'viewer'] as const) {
      const user = await makeMember(w.tenant.id, role)
      cleanup(() => user.delete())
      const web = await signIn(user)
      assert.equal((await web.get(w.settings)).status, 403, role)
      await web.get(w.base)
      const post = await web.post(w.settings, { display_name: 'Hijacked' })
      assert.equal(post.status, 403, role)
      const removal = await web.post(`${w.settings}/logo/remove`, {})
      assert.equal(removal.status, 403, role)
    }
    assert.isNull((await Tenant.findOrFail(w.tenant.id)).displayName)
  })

  test("one workspace's branding is neither visible nor editable from another", async ({
    assert,
    cleanup,
  }) => {
    const a = await brandedWorkspace(cleanup, 'brand-a')
    const b = await brandedWorkspace(cleanup, 'brand-b')
    await b.save({ display_name: 'Bee Corp', primary_color: '#aa0000' }, png())

    assert.equal((await a.web.get(b.settings)).status, 404)
    await a.web.get(a.settings)
    const post = await a.web.post(b.settings, { display_name: 'Taken over' })
    assert.equal(post.status, 404)
    const removal = await a.web.post(`${b.settings}/logo/remove`, {})
    assert.equal(removal.status, 404)
    assert.equal((await Tenant.findOrFail(b.tenant.id)).displayName, 'Bee Corp')

    // Each workspace serves its own files only.
    assert.equal((await publicGet(`${a.base}/branding/logo`)).status, 404)
    assert.equal((await publicGet(`${b.base}/branding/logo`)).status, 200)
    assert.include(await (await publicGet(`${a.base}/branding.css`)).text(), '--brand: #0f766e')
    assert.include(await (await publicGet(`${b.base}/branding.css`)).text(), '--brand: #aa0000')
    assert.notInclude((await a.web.get(a.base)).body, 'Bee Corp')
  })
})
