import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import { MessageTemplate, syncTemplates } from '#modules/channels/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeMember } from '#tests/helpers/users'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { useWorkers } from '#tests/helpers/queue'
import { WebSession } from '#tests/helpers/web_session'
import { postMultipart, signIn } from '#tests/functional/workspace/member_browser'
import { policyPdf } from '#tests/helpers/document_fixtures'
import { makeWhatsAppTenant, postWebhook, waitFor } from '#tests/helpers/whatsapp'

/*
| The templates pages over HTTP, against the real database, queue and a
| local Graph API: the list, "Sync now" with its progress, a new template
| submitted for review, status webhooks, who may do what, and that one
| workspace never sees another's templates.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

const TOKEN = 'test-access-token'

function remote(name: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    id: String(randomBytes(6).readUIntBE(0, 6)),
    name,
    language: 'en_US',
    status,
    category: 'UTILITY',
    components: [{ type: 'BODY', text: `Hello {{1}}, this is ${name}.` }],
    ...extra,
  }
}

async function workspace(cleanup: Cleanup, prefix = 'tplpg') {
  const wa = await makeWhatsAppTenant(prefix)
  cleanup(wa.cleanup)
  const member = async (role: 'owner' | 'admin' | 'agent' | 'viewer') => {
    const user = await makeMember(wa.tenant.id, role)
    cleanup(() => user.delete())
    return signIn(user)
  }
  return { ...wa, member, base: `/t/${wa.tenant.slug}` }
}

function templateRow(context: TenantContext, name: string) {
  return context.transaction((trx) =>
    MessageTemplate.query({ client: trx }).where('name', name).first()
  )
}

/** A form body for a valid new template, with `change` applied. */
function newTemplateForm(channelId: string, change: Record<string, string> = {}) {
  return {
    'channel_id': channelId,
    'name': `renewal_${randomBytes(3).toString('hex')}`,
    'language': 'en_US',
    'category': 'UTILITY',
    'header_format': 'TEXT',
    'header_text': 'Policy {{1}}',
    'header_example': 'PL-1042',
    'body': 'Hi {{1}}, your policy renews on {{2}}.',
    'body_examples': 'Sam\n1 May',
    'footer': 'Reply STOP to opt out',
    'buttons[0][type]': 'QUICK_REPLY',
    'buttons[0][text]': 'Renew',
    'buttons[1][type]': 'QUICK_REPLY',
    'buttons[1][text]': 'Call me',
    'buttons[2][type]': 'URL',
    'buttons[2][text]': 'See policy',
    'buttons[2][value]': 'https://example.test/policy/{{1}}',
    'buttons[2][example]': 'https://example.test/policy/PL-1042',
    'buttons[3][type]': 'PHONE_NUMBER',
    'buttons[3][text]': 'Call us',
    'buttons[3][value]': '+971 50 123 4567',
    ...change,
  }
}

/** A 1x1 PNG: real image bytes, so the upload's type is detected, not guessed. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64'
)

async function progressUntilFinished(web: WebSession, url: string) {
  return waitFor(async () => {
    const page = await web.get(url)
    return page.body.includes('data-finished="yes"') ? page : null
  })
}

test.group('Templates pages', (group) => {
  const graph = useFakeGraph(group, { token: TOKEN })
  useWorkers(group, ['default', 'inbound'])

  test('the list shows each template with its status, reason, language and body', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    graph.templates.set(w.wabaId, [
      remote('order_update', 'APPROVED'),
      remote('spring_sale', 'REJECTED', { rejected_reason: 'INCORRECT_CATEGORY' }),
      remote('old_notice', 'PAUSED'),
    ])
    await syncTemplates(w.context, w.channel)
    const web = await w.member('viewer')

    const page = await web.get(`${w.base}/templates`)
    assert.equal(page.status, 200)
    assert.include(page.body, 'data-template="order_update"')
    assert.match(page.body, /data-template="spring_sale"[^>]*data-status="REJECTED"/)
    assert.include(page.body, 'INCORRECT_CATEGORY')
    assert.include(page.body, 'Hello {{1}}, this is order_update.')
    assert.include(page.body, 'template-status--paused')
    assert.include(page.body, 'Last synced')
    assert.notInclude(page.body, 'New template', 'viewers are not offered to create')

    const rejected = await web.get(`${w.base}/templates?status=REJECTED`)
    assert.include(rejected.body, 'data-template="spring_sale"')
    assert.notInclude(rejected.body, 'data-template="order_update"')
    const searched = await web.get(`${w.base}/templates?q=old_not`)
    assert.include(searched.body, 'data-template="old_notice"')
    assert.notInclude(searched.body, 'data-template="spring_sale"')
  })

  test('with no templates the page explains them and offers sync and create to managers', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const page = await (await w.member('admin')).get(`${w.base}/templates`)
    assert.equal(page.status, 200)
    assert.include(page.body, 'No templates yet')
    assert.include(page.body, 'only way to write to a customer more than 24 hours')
    assert.include(page.body, `action="${w.base}/templates/sync"`)
    assert.include(page.body, `href="${w.base}/templates/new"`)
  })

  test('"Sync now" runs the sync job and its progress page follows it to the end', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    graph.templates.set(w.wabaId, [remote('welcome_back', 'APPROVED')])
    const web = await w.member('owner')

    await web.get(`${w.base}/templates`)
    const started = await web.post(`${w.base}/templates/sync`, {})
    assert.equal(started.status, 302)
    const progressUrl = started.location!
    assert.match(progressUrl, new RegExp(`^${w.base}/templates/sync/[0-9a-f-]{36}$`))

    const done = await progressUntilFinished(web, progressUrl)
    assert.include(done.body, 'data-sync-status="done"')
    assert.include(done.body, '1 template')
    assert.equal((await templateRow(w.context, 'welcome_back'))?.status, 'APPROVED')

    // htmx asks for the fragment alone; once finished it stops asking.
    const fragment = await fetch(`${WebSession.baseUrl()}${progressUrl}`, {
      headers: {
        'HX-Request': 'true',
        'HX-Target': 'template-sync-progress',
        'cookie': [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    })
    const fragmentBody = await fragment.text()
    assert.notInclude(fragmentBody, '<html')
    assert.include(fragmentBody, 'id="template-sync-progress"')
    assert.notInclude(fragmentBody, 'hx-trigger="every 1s"')
  }).timeout(30_000)

  test('a refused token is reported on the progress page and the list, and not retried', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    w.channel.accessToken = 'expired-token'
    await w.channel.save()
    const web = await w.member('admin')
    await web.get(`${w.base}/templates`)
    const before = graph.calls.length
    const started = await web.post(`${w.base}/templates/sync`, {})
    const done = await progressUntilFinished(web, started.location!)
    assert.include(done.body, 'data-sync-status="failed"')
    assert.include(done.body, 'Invalid OAuth access token')
    assert.equal(
      graph.calls.slice(before).filter((call) => call.authorization === 'Bearer expired-token')
        .length,
      1,
      'a refusal is not retried'
    )
    const list = await web.get(`${w.base}/templates`)
    assert.include(list.body, 'data-sync-error')
    assert.include(list.body, 'Invalid OAuth access token')
  }).timeout(30_000)

  test('a new template reaches the Graph API with its components and is listed as pending', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await w.member('owner')
    const form = await web.get(`${w.base}/templates/new`)
    assert.equal(form.status, 200)
    assert.include(form.body, 'data-template-form')
    assert.include(form.body, '<option value="ar"')

    const fields = newTemplateForm(w.channel.id)
    const submitted = await web.post(`${w.base}/templates/new`, fields)
    assert.equal(submitted.status, 302, submitted.body.slice(0, 500))
    assert.equal(submitted.location, `${w.base}/templates`)

    const sent = graph.templates.get(w.wabaId)!.at(-1)!
    assert.equal(sent.name, fields.name)
    assert.equal(sent.language, 'en_US')
    assert.equal(sent.category, 'UTILITY')
    assert.deepEqual(sent.components, [
      {
        type: 'HEADER',
        format: 'TEXT',
        text: 'Policy {{1}}',
        example: { header_text: ['PL-1042'] },
      },
      {
        type: 'BODY',
        text: 'Hi {{1}}, your policy renews on {{2}}.',
        example: { body_text: [['Sam', '1 May']] },
      },
      { type: 'FOOTER', text: 'Reply STOP to opt out' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Renew' },
          { type: 'QUICK_REPLY', text: 'Call me' },
          {
            type: 'URL',
            text: 'See policy',
            url: 'https://example.test/policy/{{1}}',
            example: ['https://example.test/policy/PL-1042'],
          },
          { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+971501234567' },
        ],
      },
    ])

    const list = await web.get(`${w.base}/templates`)
    assert.include(list.body, 'was sent to WhatsApp for review')
    assert.match(list.body, new RegExp(`data-template="${fields.name}"[^>]*data-status="PENDING"`))
  })

  test('a form with mistakes comes back with a message per field, keeps the input and sends nothing', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await w.member('owner')
    await web.get(`${w.base}/templates/new`)
    const before = graph.calls.length
    const fields = newTemplateForm(w.channel.id, {
      'name': 'Bad Name!',
      'body': 'Hi {{1}} and {{3}} <b>bold</b>',
      'body_examples': 'Sam',
      'footer': 'x'.repeat(61),
      'buttons[2][value]': 'ftp://nope',
      'buttons[4][type]': 'QUICK_REPLY',
      'buttons[4][text]': 'Later',
    })
    const expectations = (body: string) => {
      assert.include(body, 'Use lowercase letters a–z, digits and underscores only')
      assert.include(body, 'Number the variables {{1}}, {{2}}… in order, without gaps.')
      assert.include(body, 'At most 60 characters.')
      assert.include(body, 'A web address starting with https://.')
      assert.include(body, 'Keep the quick replies together')
      assert.include(body, 'id="button-2-value-error"')
      // What was typed is all there, escaped.
      assert.include(body, 'value="Bad Name!"')
      assert.include(body, 'Hi {{1}} and {{3}} &lt;b&gt;bold&lt;/b&gt;</textarea>')
      assert.include(body, 'value="ftp://nope"')
      // The preview is rendered by the server too.
      assert.include(body, 'data-preview-body dir="auto">Hi Sam and {{3}}')
    }

    // Without JavaScript: post/redirect/get to the form as typed.
    const refused = await web.post(`${w.base}/templates/new`, fields)
    assert.equal(refused.status, 302)
    assert.equal(refused.location, `${w.base}/templates/new`)
    expectations((await web.get(refused.location!)).body)

    // A boosted (htmx) submit gets the form back at once, 422.
    const page = await web.get(`${w.base}/templates/new`)
    assert.notInclude(page.body, 'value="Bad Name!"', 'the typed form is shown once')
    const csrf = page.body.match(/name='_csrf' value='([^']+)'/)![1]
    const boosted = await fetch(`${WebSession.baseUrl()}${w.base}/templates/new`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'HX-Request': 'true',
        'HX-Boosted': 'true',
        'cookie': [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
      body: new URLSearchParams({ ...fields, _csrf: csrf }),
    })
    assert.equal(boosted.status, 422)
    expectations(await boosted.text())
    assert.equal(graph.calls.length, before, 'nothing reached WhatsApp')
  })

  test("an image header's sample goes to the number's Meta app once; the template names its handle", async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await w.member('owner')
    const action = `${w.base}/templates/new`
    // An image header has no text: the form's text fields are left out.
    const imageHeader = (change: Record<string, string> = {}) =>
      Object.fromEntries(
        Object.entries(newTemplateForm(w.channel.id, { header_format: 'IMAGE', ...change })).filter(
          ([name]) => name !== 'header_text' && name !== 'header_example'
        )
      )
    const png = { field: 'header_sample', name: 'policy-card.png', type: 'image/png', bytes: PNG }
    const messageOf = async (location: string | null) => (await web.get(location!)).body
    const sentBefore = graph.templates.get(w.wabaId)?.length ?? 0
    const samplesBefore = graph.sampleUploads.length

    // The app is named on the channel page first.
    const noApp = await postMultipart(web, action, action, imageHeader(), png)
    assert.equal(noApp.status, 302)
    assert.include(
      await messageOf(noApp.location),
      'Add the number’s Meta app ID on its channel page'
    )
    const channelPage = `${w.base}/channels/${w.channel.id}`
    const settings = { name: 'Sales line', display_number: '+15550001234' }
    const badApp = await web.submit(channelPage, channelPage, { ...settings, meta_app_id: 'app-1' })
    assert.equal(badApp.location, `${channelPage}#settings`)
    assert.include((await web.get(channelPage)).body, 'Enter the app ID as Meta shows it')
    await web.submit(channelPage, channelPage, { ...settings, meta_app_id: '7401122334455' })
    assert.include((await web.get(channelPage)).body, '<code dir="ltr">7401122334455</code>')

    // The wrong kind of file is refused before anything reaches Meta.
    const pdf = {
      field: 'header_sample',
      name: 'policy.pdf',
      type: 'application/pdf',
      bytes: policyPdf(),
    }
    const wrongKind = await postMultipart(web, action, action, imageHeader(), pdf)
    assert.include(await messageOf(wrongKind.location), 'For this header choose a JPEG, PNG file.')
    assert.lengthOf(graph.sampleUploads, samplesBefore)

    // Uploaded, but the form is refused for something else: the sample is kept.
    const refused = await postMultipart(
      web,
      action,
      action,
      imageHeader({ body_examples: 'Sam' }),
      png
    )
    assert.equal(refused.location, action)
    const again = await messageOf(refused.location)
    assert.include(again, 'Sample uploaded: policy-card.png.')
    assert.lengthOf(graph.sampleUploads, samplesBefore + 1)
    const sample = graph.sampleUploads.at(-1)!
    assert.equal(sample.appId, '7401122334455')
    assert.equal(sample.fileType, 'image/png')
    assert.equal(sample.fileName, 'policy-card.png')
    assert.deepEqual(sample.bytes, PNG)
    assert.include(again, `name="header_handle" value="${sample.handle}"`)
    assert.equal(graph.templates.get(w.wabaId)?.length ?? 0, sentBefore)

    // Sent again from that page, with no new file: the kept handle is the example.
    const fields = imageHeader({
      header_handle: sample.handle,
      header_sample_name: 'policy-card.png',
    })
    const submitted = await postMultipart(web, action, action, fields)
    assert.equal(submitted.status, 302)
    assert.equal(submitted.location, `${w.base}/templates`)
    const sent = graph.templates.get(w.wabaId)!.at(-1)!
    assert.equal(sent.name, fields.name)
    assert.deepEqual(sent.components[0], {
      type: 'HEADER',
      format: 'IMAGE',
      example: { header_handle: [sample.handle] },
    })
    assert.lengthOf(graph.sampleUploads, samplesBefore + 1)

    // No sample at all: the field says so.
    const none = await postMultipart(web, action, action, imageHeader())
    assert.include(await messageOf(none.location), 'Choose a sample file for the header.')
  })

  test('WhatsApp refusing a template shows its reason on the form', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const web = await w.member('admin')
    await web.get(`${w.base}/templates/new`)
    graph.fail(400, 100, 'Invalid parameter')
    const refused = await web.post(`${w.base}/templates/new`, newTemplateForm(w.channel.id))
    assert.equal(refused.status, 302)
    const page = await web.get(refused.location!)
    assert.include(page.body, 'data-form-error')
    assert.include(page.body, 'Invalid parameter')
  })

  test('a status webhook from WhatsApp changes the template’s status and reason', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    graph.templates.set(w.wabaId, [remote('appointment_reminder', 'PENDING')])
    await syncTemplates(w.context, w.channel)
    const template = await templateRow(w.context, 'appointment_reminder')

    const body = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: w.wabaId,
          time: Math.floor(Date.now() / 1000),
          changes: [
            {
              field: 'message_template_status_update',
              value: {
                event: 'REJECTED',
                message_template_id: Number(template!.providerId),
                message_template_name: 'appointment_reminder',
                message_template_language: 'en_US',
                reason: 'INVALID_FORMAT',
              },
            },
          ],
        },
      ],
    }
    const answer = await postWebhook(body, w.appSecret)
    assert.equal(answer.status, 200)
    const changed = await waitFor(async () => {
      const row = await templateRow(w.context, 'appointment_reminder')
      return row?.status === 'REJECTED' ? row : null
    })
    assert.equal(changed.rejectedReason, 'INVALID_FORMAT')
    assert.equal(changed.previousStatus, 'PENDING')

    const web = await w.member('agent')
    const list = await web.get(`${w.base}/templates`)
    assert.match(list.body, /data-template="appointment_reminder"[^>]*data-status="REJECTED"/)
    assert.include(list.body, 'INVALID_FORMAT')

    // Approval after appeal clears the reason.
    const approved = structuredClone(body)
    approved.entry[0].changes[0].value.event = 'APPROVED'
    approved.entry[0].changes[0].value.reason = 'NONE'
    await postWebhook(approved, w.appSecret)
    const after = await waitFor(async () => {
      const row = await templateRow(w.context, 'appointment_reminder')
      return row?.status === 'APPROVED' ? row : null
    })
    assert.isNull(after.rejectedReason)
  }).timeout(30_000)

  test('viewers and agents may look but not sync or create (403)', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    for (const role of ['viewer', 'agent'] as const) {
      const web = await w.member(role)
      assert.equal((await web.get(`${w.base}/templates`)).status, 200)
      assert.equal((await web.get(`${w.base}/templates/new`)).status, 403, role)
      const before = graph.calls.length
      assert.equal(
        (await web.post(`${w.base}/templates/new`, newTemplateForm(w.channel.id))).status,
        403,
        role
      )
      assert.equal((await web.post(`${w.base}/templates/sync`, {})).status, 403, role)
      assert.equal(graph.calls.length, before)
    }
  })

  test('another workspace’s member gets 404 and never sees these templates', async ({
    assert,
    cleanup,
  }) => {
    const a = await workspace(cleanup, 'tpl-a')
    const b = await workspace(cleanup, 'tpl-b')
    graph.templates.set(a.wabaId, [remote('secret_offer_a', 'APPROVED')])
    await syncTemplates(a.context, a.channel)
    const owner = await a.member('owner')
    await owner.get(`${a.base}/templates`)
    const started = await owner.post(`${a.base}/templates/sync`, {})
    const progress = started.location!

    const outsider = await b.member('owner')
    assert.equal((await outsider.get(`${a.base}/templates`)).status, 404)
    assert.equal((await outsider.get(`${a.base}/templates/new`)).status, 404)
    assert.equal((await outsider.get(progress)).status, 404)
    assert.equal((await outsider.post(`${a.base}/templates/sync`, {})).status, 404)
    const submitted = await outsider.post(
      `${a.base}/templates/new`,
      newTemplateForm(a.channel.id, { name: 'intruder' })
    )
    assert.equal(submitted.status, 404)
    // Their own pages: no sight of A's templates, A's sync, or A's number.
    const own = await outsider.get(`${b.base}/templates`)
    assert.notInclude(own.body, 'secret_offer_a')
    assert.equal(
      (await outsider.get(progress.replace(a.base, b.base))).status,
      404,
      "A's sync under B's address"
    )
    const viaOwn = await outsider.post(
      `${b.base}/templates/new`,
      newTemplateForm(a.channel.id, { name: 'intruder' })
    )
    assert.equal(viaOwn.status, 302)
    const refusedPage = await outsider.get(viaOwn.location!)
    assert.include(
      refusedPage.body,
      'Choose one of your WhatsApp numbers.',
      "A's number is not B's"
    )
    assert.isUndefined(
      graph.templates.get(a.wabaId)!.find((t) => t.name === 'intruder'),
      'nothing was submitted to A’s account'
    )
  }).timeout(30_000)
})
