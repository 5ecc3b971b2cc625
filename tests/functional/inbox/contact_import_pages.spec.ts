import { test } from '@japa/runner'
import { Contact } from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { signIn, postMultipart } from '#tests/functional/workspace/member_browser'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { defineContactFields } from '#tests/helpers/contact_fields'
import { csvOf, importCsv } from '#tests/helpers/contact_imports'
import { WebSession } from '#tests/helpers/web_session'

function contactsIn(context: TenantContext) {
  return context.transaction((trx) => Contact.query({ client: trx }).orderBy('phone'))
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000) {
  const end = Date.now() + ms
  for (;;) {
    const value = await read()
    if (done(value) || Date.now() > end) return value
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** A download's bytes and headers (the byte order mark is kept; text() would drop it). */
async function download(web: WebSession, path: string) {
  const cookie = [...web.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const response = await fetch(`${WebSession.baseUrl()}${path}`, { headers: { cookie } })
  const bytes = Buffer.from(await response.arrayBuffer())
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    bytes,
    body: bytes.toString('utf8'),
  }
}

function upload(web: WebSession, base: string, text: string, name = 'people.csv') {
  return postMultipart(
    web,
    `${base}/contacts/import`,
    `${base}/contacts/import`,
    {},
    {
      field: 'file',
      name,
      type: 'text/csv',
      bytes: Buffer.from(text),
    }
  )
}

test.group('Contact import pages', (group) => {
  withDefaultQueueWorker(group)

  test('an owner uploads, sees the guessed mapping, starts, and the job reports progress, counts and refused rows', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cimpw')
    await defineContactFields(w.context, [
      { key: 'area', label: 'Area', type: 'choice', choices: ['JLT', 'Marina'] },
    ])
    const web = await signIn(await w.member('owner'))
    const list = await web.get(`${w.base}/contacts`)
    assert.include(list.body, `${w.base}/contacts/import`)

    const uploaded = await upload(
      web,
      w.base,
      csvOf([
        ['Full name', 'WhatsApp', 'Area', 'Favourite colour'],
        ['Lina', '050 111 2222', 'JLT', 'blue'],
        ['Bad', 'call me', 'JLT', 'red'],
        ['Omar', '+971 50 333 4444', 'Downtown', 'green'],
      ])
    )
    assert.equal(uploaded.status, 302)
    const page = uploaded.location!
    assert.match(page, /\/contacts\/imports\/[0-9a-f-]{36}$/)
    const mapping = await web.get(page)
    assert.equal(mapping.status, 200)
    assert.match(mapping.body, /name="column_0"[\s\S]*?<option value="name" selected>/)
    assert.match(mapping.body, /name="column_1"[\s\S]*?<option value="phone" selected>/)
    assert.match(mapping.body, /name="column_2"[\s\S]*?<option value="attr.area" selected>/)
    assert.match(mapping.body, /name="column_3"[\s\S]*?<option value="ignore" selected>/)
    assert.include(mapping.body, 'e.g. blue · red · green')

    // No phone column: the form comes back saying so, nothing starts.
    const refused = await web.submit(page, page, {
      column_0: 'name',
      column_1: 'ignore',
      column_2: 'attr.area',
      column_3: 'ignore',
      default_country: 'AE',
      label: '',
    })
    assert.equal(refused.location, page)
    const again = await web.get(page)
    assert.include(again.body, 'Choose the column that holds phone numbers.')

    const started = await web.submit(page, page, {
      column_0: 'name',
      column_1: 'phone',
      column_2: 'attr.area',
      column_3: 'ignore',
      default_country: 'AE',
      label: 'Expo 2026',
    })
    assert.equal(started.location, page)
    const finished = await until(
      () => web.get(page, { 'HX-Request': 'true', 'HX-Target': 'import-progress' }),
      (response) => response.body.includes('data-import-status="done"')
    )
    assert.include(finished.body, 'data-import-status="done"')
    assert.include(finished.body, '<dd data-count="created">1</dd>')
    assert.include(finished.body, '<dd data-count="errors">2</dd>')
    assert.notInclude(finished.body, '<form')
    const contacts = await contactsIn(w.context)
    assert.deepEqual(
      contacts.map((c) => [c.phone, c.name, c.tags, c.attributes]),
      [['+971501112222', 'Lina', ['Expo 2026'], { area: 'JLT' }]]
    )

    const report = await download(web, `${page}/errors`)
    assert.equal(report.status, 200)
    assert.equal(report.type, 'text/csv; charset=utf-8')
    assert.equal(
      report.body.replace(/^\uFEFF/, ''),
      'Row,Column,Value,Reason\r\n' +
        '3,WhatsApp,call me,"Not a phone number (add the country code, or choose the country for national numbers)"\r\n' +
        "4,Area,Downtown,Not one of the field's choices\r\n"
    )
    const tagged = await web.get(`${w.base}/contacts?tag=Expo%202026`)
    assert.include(tagged.body, 'Lina')
  })

  test('agents and viewers cannot import or export; another workspace cannot see an import', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cimpw')
    const other = await makeWorkspace(cleanup, 'cimpw')
    const done = await importCsv(w.context, csvOf([['phone'], ['+15550007777']]))
    for (const role of ['agent', 'viewer'] as const) {
      const web = await signIn(await w.member(role))
      assert.equal((await web.get(`${w.base}/contacts/import`)).status, 403)
      assert.equal((await web.get(`${w.base}/contacts/export`)).status, 403)
      assert.equal((await web.get(`${w.base}/contacts/imports/${done.id}`)).status, 403)
      assert.notInclude((await web.get(`${w.base}/contacts`)).body, '/contacts/export')
    }
    const stranger = await signIn(await other.member('owner'))
    assert.equal((await stranger.get(`${other.base}/contacts/imports/${done.id}`)).status, 404)
    assert.equal(
      (await stranger.get(`${other.base}/contacts/imports/${done.id}/errors`)).status,
      404
    )
    // Not a member there: the workspace itself is not found.
    assert.equal((await stranger.get(`${w.base}/contacts/imports/${done.id}`)).status, 404)
    assert.equal((await download(stranger, `${w.base}/contacts/export`)).status, 404)
    const theirs = await download(stranger, `${other.base}/contacts/export`)
    assert.equal(theirs.status, 200)
    assert.notInclude(theirs.body, '+15550007777')
    assert.lengthOf(theirs.body.trim().split('\r\n'), 1)
  })

  test('export downloads the filtered list with BOM, Arabic, tags, labels, consent and custom fields', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cimpw')
    await defineContactFields(w.context, [
      { key: 'policy_end', label: 'Policy ends', type: 'date' },
    ])
    await importCsv(
      w.context,
      csvOf([
        ['الاسم', 'رقم الجوال', 'الوسوم', 'موافقة تسويقية', 'policy_end'],
        ['سارة "الحمدان"', '+971501110000', 'عميل, vip', 'نعم', '2027-03-31'],
        ['=HYPERLINK("x")', '+971501110001', 'lead', 'لا', ''],
      ])
    )
    const web = await signIn(await w.member('admin'))
    const all = await download(web, `${w.base}/contacts/export`)
    assert.equal(all.status, 200)
    assert.equal(all.type, 'text/csv; charset=utf-8')
    assert.deepEqual([...all.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf])
    const lines = all.body.slice(1).trim().split('\r\n')
    assert.lengthOf(lines, 3)
    assert.equal(
      lines[0],
      'id,phone,name,email,tags,conversation_labels,language,time_zone,opt_in,service_consent_source,service_consent_at,marketing_consent,marketing_consent_source,marketing_consent_at,notes,source,created_at,policy_end'
    )
    const sara = lines.find((line) => line.includes('+971501110000'))!
    assert.include(sara, '"سارة ""الحمدان"""')
    assert.include(sara, '"عميل, vip"')
    assert.include(sara, ',ar,Asia/Dubai,unknown,,,opted_in,import,')
    assert.isTrue(sara.endsWith(',2027-03-31'))
    const formula = lines.find((line) => line.includes('+971501110001'))!
    assert.include(formula, `"'=HYPERLINK(""x"")"`)

    const filtered = await download(web, `${w.base}/contacts/export?tag=vip`)
    const rows = filtered.body.slice(1).trim().split('\r\n')
    assert.lengthOf(rows, 2)
    assert.include(rows[1], '+971501110000')
    const list = await web.get(`${w.base}/contacts?tag=vip`)
    assert.include(list.body, `${w.base}/contacts/export?tag=vip`)
  })
})
