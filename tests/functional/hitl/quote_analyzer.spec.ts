import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import drive from '@adonisjs/drive/services/main'
import { addSandboxChannel } from '#modules/channels/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { customerSays } from '#tests/helpers/brain'
import { quoteFixtures } from '#tests/helpers/quote_fixtures'
import { signIn } from '#tests/functional/workspace/member_browser'
import { WebSession } from '#tests/helpers/web_session'
import { api, makeKey } from '#tests/functional/integrations/api_client'
import { extractQuote } from '#modules/hitl/services/quotes/quote_extractor'
import { quotePdfPages } from '#modules/hitl/services/quotes/quote_text'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { useFakeOpenAI } from '#tests/helpers/fake_openai_server'
import { readQuotes } from '#modules/hitl/services/quotes/quote_analyzer'
import { pageImageKey } from '#modules/hitl/services/quotes/page_images'

/*
| The quote analyzer (issue 15, point 7): quote PDFs generated here (four
| layouts, one Arabic, one without a deductible) go through the real path:
| pdf-parse text, the offline extractor, a quote_comparison task with a
| table (best value highlighted, each figure's page), the PDFs as documents
| and an editable summary that approval sends to the contact. By the API
| (multipart, tasks:write) and by an agent's upload form; isolation both ways.
*/

const fixtures = quoteFixtures()

function multipart(
  files: Array<{ name: string; bytes: Buffer; type?: string }>,
  fields: Record<string, string> = {}
) {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  for (const file of files) {
    form.append(
      'files',
      new Blob([new Uint8Array(file.bytes)], { type: file.type ?? 'application/pdf' }),
      file.name
    )
  }
  return form
}

async function analyze(token: string, form: FormData, headers: Record<string, string> = {}) {
  const response = await fetch(`${WebSession.baseUrl()}/api/v1/quotes/analyze`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Bearer ${token}`, ...headers },
  })
  return {
    status: response.status,
    location: response.headers.get('location'),
    json: (await response.json()) as any,
  }
}

async function uploadQuotes(
  web: WebSession,
  from: string,
  action: string,
  fields: Record<string, string>,
  files: Array<{ name: string; bytes: Buffer }>
) {
  const page = await web.get(from)
  const csrf = page.body.match(/name='_csrf' value='([^']+)'/)?.[1] ?? ''
  const form = multipart(files, { _csrf: csrf, ...fields })
  const cookie = [...web.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const response = await fetch(`${WebSession.baseUrl()}${action}`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
    headers: { cookie },
  })
  return { status: response.status, location: response.headers.get('location') }
}

async function taskRow(tenant: TenantContext, id: string) {
  return db.from('hitl_tasks').withSchema(tenant.schema).where('id', id).first()
}

const allFiles = () => fixtures.map((f) => ({ name: f.filename, bytes: f.pdf }))

test.group('Quote analyzer: the offline extractor', () => {
  test('each generated quote (four layouts, one Arabic) is read field by field, with pages', async ({
    assert,
  }) => {
    for (const fixture of fixtures) {
      const got = extractQuote(await quotePdfPages(fixture.pdf))
      for (const [name, expected] of Object.entries(fixture.expected)) {
        const field = got[name as keyof typeof got]
        if (expected === null) {
          assert.isTrue(field.missing, `${fixture.name}: ${name} should be missing`)
          assert.isNull(field.value)
        } else {
          assert.deepEqual(field.value, expected as any, `${fixture.name}: ${name}`)
          assert.equal(field.page, 1)
        }
      }
    }
  })

  test('a quote that states nothing is all missing, never invented', async ({ assert }) => {
    const got = extractQuote(['Thank you for your enquiry.\nWe will revert shortly.'])
    for (const field of Object.values(got)) {
      assert.isTrue(field.missing)
      assert.isNull(field.value)
    }
  })
})

/** Follows a quote run's page until it redirects to its task; answers the task's path. */
async function untilRunOpens(web: WebSession, runPath: string) {
  const deadline = Date.now() + 15_000
  for (;;) {
    const page = await web.get(runPath)
    if (page.status === 302) return page.location!
    if (page.status !== 200 || page.body.includes('data-run-status="failed"')) {
      throw new Error(`the run did not open a task: ${page.status} ${page.body.slice(0, 200)}`)
    }
    if (Date.now() > deadline) throw new Error('the run never finished')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

test.group('Quote analyzer: API and upload form', (group) => {
  withDefaultQueueWorker(group)

  test('POST /api/v1/quotes/analyze opens a comparison task: table, best value, documents, summary', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'qapi')
    const channel = await addSandboxChannel(w.tenant, systemActor)
    const asked = await customerSays(w.context, channel.id, 'Here are my quotes')
    const { token } = await makeKey(w.tenant)
    const answer = await analyze(token, multipart(allFiles(), { contact_id: asked.contactId }))
    assert.equal(answer.status, 201, JSON.stringify(answer.json))
    assert.equal(answer.json.task.kind, 'quote_comparison')
    assert.equal(answer.json.task.status, 'pending')
    assert.lengthOf(answer.json.quotes, 4)
    // Two AED quotes: the cheaper (the Arabic one, AED 6,200) is the best value.
    assert.equal(answer.json.best_index, 3)
    const noor = answer.json.quotes[2].fields
    assert.isTrue(noor.deductible.missing)
    assert.isNull(noor.deductible.value)
    assert.equal(answer.json.quotes[0].fields.premium.value, 7850)
    assert.equal(answer.json.quotes[0].fields.premium.page, 1)

    const task = await taskRow(w.context, answer.json.task.id)
    assert.equal(task.contact_id, asked.contactId)
    assert.equal(task.source_type, 'analyzer')
    assert.deepEqual(task.action, { type: 'send_message', text_from: 'summary' })
    const table = task.components.find((c: any) => c.type === 'table')
    assert.equal(table.highlight_row, 3)
    assert.equal(table.rows[0].premium, 'AED 7,850 (p. 1)')
    assert.equal(table.rows[2].deductible, '— not found')
    assert.equal(table.rows[3].insurer, 'الأمانة للتأمين (p. 1)')
    const documents = task.components.filter((c: any) => c.type === 'document')
    assert.lengthOf(documents, 4)
    // Each figure links to its page in its document; a missing one links nowhere.
    assert.equal(table.links[0].premium, `${documents[0].url}#page=1`)
    assert.equal(table.links[0].file, documents[0].url)
    assert.notProperty(table.links[2], 'deductible')
    const summary = task.components.find((c: any) => c.name === 'summary')
    assert.include(summary.value, 'Gulf Shield Insurance PJSC')
    assert.include(summary.value, 'Our pick for value: الأمانة للتأمين')
    assert.notInclude(summary.value, 'undefined')

    // The PDFs are served to members; approving sends the edited summary to the contact.
    const agent = await signIn(await w.member('agent'))
    const docPath = new URL(documents[0].url).pathname
    const pdf = await fetch(`${WebSession.baseUrl()}${docPath}`, {
      headers: { cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    })
    assert.equal(pdf.status, 200)
    assert.equal(pdf.headers.get('content-type'), 'application/pdf')
    assert.equal(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
      '%PDF-'
    )
    // The first pages are shown as images: drawn when stored, drawn again when missing.
    assert.deepEqual(documents[0].page_images, [`${documents[0].url}/pages/1`])
    const cookie = [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const pagePath = `${docPath}/pages/1`
    const drawn = await fetch(`${WebSession.baseUrl()}${pagePath}`, { headers: { cookie } })
    assert.equal(drawn.status, 200)
    assert.equal(drawn.headers.get('content-type'), 'image/png')
    const png = Buffer.from(await drawn.arrayBuffer())
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG')
    assert.equal(png.readUInt32BE(16), 900, 'rendered 900 px wide')
    const docId = docPath.split('/').at(-1)!
    await drive.use().delete(pageImageKey(w.context, docId, 1))
    const redrawn = await fetch(`${WebSession.baseUrl()}${pagePath}`, { headers: { cookie } })
    assert.equal(redrawn.status, 200)
    assert.isTrue(await drive.use().exists(pageImageKey(w.context, docId, 1)))
    // A page past those shown (the quote has one page) is not found.
    assert.equal((await agent.get(`${docPath}/pages/2`)).status, 404)

    const page = await agent.get(`${w.base}/tasks/${task.id}`)
    assert.equal(page.status, 200)
    // Our own addresses are shown as paths (they load from whichever host served the page).
    assert.include(page.body, `<img src="${docPath}/pages/1"`)
    assert.include(page.body, 'class="highlighted"')
    assert.include(page.body, `href="${docPath}#page=1"`)
    assert.include(page.body, 'Quotes side by side')
    const edited = `${summary.value}\n\nYour broker, Sara`
    const approved = await agent.post(`${w.base}/tasks/${task.id}/approve`, {
      'values[summary]': edited,
    })
    assert.equal(approved.status, 302)
    const sent = await db
      .from('messages')
      .withSchema(w.context.schema)
      .where('conversation_id', asked.conversationId)
      .where('direction', 'outbound')
      .first()
    assert.equal(sent.body, edited)
  })

  test('Prefer: respond-async answers 202 with a run whose progress the API tells, then the task', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'qasync')
    const { token } = await makeKey(w.tenant)
    const started = await analyze(token, multipart(allFiles().slice(0, 2), { language: 'ar' }), {
      prefer: 'respond-async',
    })
    assert.equal(started.status, 202, JSON.stringify(started.json))
    assert.equal(started.json.run.total, 2)
    assert.oneOf(started.json.run.status, ['queued', 'running', 'done'])
    assert.equal(started.location, `/api/v1/quotes/runs/${started.json.run.id}`)

    let polled: any = null
    const seen = new Set<number>()
    for (let i = 0; i < 150; i++) {
      polled = await api('GET', started.location!, { token })
      assert.equal(polled.status, 200)
      seen.add(polled.json.run.done)
      if (polled.json.run.status === 'done' || polled.json.run.status === 'failed') break
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.equal(polled.json.run.status, 'done', JSON.stringify(polled.json.run))
    assert.equal(polled.json.run.done, 2)
    assert.equal(polled.json.task.id, polled.json.run.task_id)
    assert.equal(polled.json.task.kind, 'quote_comparison')
    const documents = polled.json.task.components.filter((c: any) => c.type === 'document')
    assert.lengthOf(documents, 2)
    assert.lengthOf(documents[0].page_images, 1)

    // A read-only key reads runs; another workspace's key does not see this one.
    const { token: reader } = await makeKey(w.tenant, ['tasks:read'])
    assert.equal((await api('GET', started.location!, { token: reader })).status, 200)
    const other = await makeWorkspace(cleanup, 'qasynco')
    const { token: stranger } = await makeKey(other.tenant)
    assert.equal((await api('GET', started.location!, { token: stranger })).status, 404)

    // A file that is not a PDF fails the run with the reason, after the 202.
    const bad = await analyze(
      token,
      multipart([
        allFiles()[0],
        { name: 'notes.pdf', bytes: Buffer.from('hello'), type: 'application/pdf' },
      ]),
      { prefer: 'respond-async' }
    )
    assert.equal(bad.status, 202)
    for (let i = 0; i < 150; i++) {
      polled = await api('GET', bad.location!, { token })
      if (polled.json.run.status === 'failed' || polled.json.run.status === 'done') break
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.equal(polled.json.run.status, 'failed')
    assert.include(polled.json.run.error, 'notes.pdf')
    assert.isNull(polled.json.task)
  })

  test('bad requests: one file, a file that is not a PDF, a read-only key, another workspace’s contact', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'qbad')
    const { token } = await makeKey(w.tenant)
    const one = await analyze(token, multipart(allFiles().slice(0, 1)))
    assert.equal(one.status, 422)
    assert.equal(one.json.error.code, 'validation_failed')
    const notPdf = await analyze(
      token,
      multipart([
        allFiles()[0],
        { name: 'notes.pdf', bytes: Buffer.from('hello'), type: 'application/pdf' },
      ])
    )
    assert.equal(notPdf.status, 422)
    assert.equal(notPdf.json.error.code, 'invalid_file')
    assert.isDefined(notPdf.json.error.fields['files.1'])
    const readOnly = await makeKey(w.tenant, ['tasks:read'])
    assert.equal((await analyze(readOnly.token, multipart(allFiles()))).status, 403)

    const other = await makeWorkspace(cleanup, 'qbado')
    const channel = await addSandboxChannel(other.tenant, systemActor)
    const foreign = await customerSays(other.context, channel.id, 'hello')
    const stranger = await analyze(token, multipart(allFiles(), { contact_id: foreign.contactId }))
    assert.equal(stranger.status, 404)
    const count = await db.from('hitl_tasks').withSchema(w.context.schema).count('* as n').first()
    assert.equal(Number(count?.n), 0)
  })

  test('an agent uploads a contact’s quotes with the form (no JavaScript) and lands on the task, in Arabic too', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'qform')
    const channel = await addSandboxChannel(w.tenant, systemActor)
    const asked = await customerSays(w.context, channel.id, 'quotes attached')
    const agentUser = await w.member('agent')
    agentUser.locale = 'ar'
    await agentUser.save()
    const agent = await signIn(agentUser)
    const inbox = await agent.get(`${w.base}/inbox/${asked.conversationId}`)
    assert.include(inbox.body, `${w.base}/tasks/quotes/new?contact_id=${asked.contactId}`)
    const from = `${w.base}/tasks/quotes/new?contact_id=${asked.contactId}`
    const form = await agent.get(from)
    assert.equal(form.status, 200)
    assert.include(form.body, 'dir="rtl"')
    assert.include(form.body, 'enctype="multipart/form-data"')
    assert.include(form.body, 'مقارنة العروض')

    const tooFew = await uploadQuotes(
      agent,
      from,
      `${w.base}/tasks/quotes`,
      { contact_id: asked.contactId },
      allFiles().slice(0, 1)
    )
    assert.equal(tooFew.status, 302)
    assert.equal(tooFew.location, from)

    const sent = await uploadQuotes(
      agent,
      from,
      `${w.base}/tasks/quotes`,
      { contact_id: asked.contactId },
      allFiles().slice(0, 2)
    )
    // A job reads them: the run's page shows the progress, then opens the task.
    assert.equal(sent.status, 302)
    assert.match(sent.location!, new RegExp(`^${w.base}/tasks/quotes/runs/[0-9a-f-]{36}$`))
    const taskUrl = await untilRunOpens(agent, sent.location!)
    assert.match(taskUrl, new RegExp(`^${w.base}/tasks/[0-9a-f-]{36}$`))
    const page = await agent.get(taskUrl)
    assert.equal(page.status, 200)
    // Arabic labels for an Arabic-speaking agent.
    assert.include(page.body, 'العروض جنباً إلى جنب')
    assert.include(page.body, 'Gulf Shield Insurance PJSC')

    // Viewers cannot upload; another workspace sees neither the task nor its PDFs.
    const viewer = await signIn(await w.member('viewer'))
    assert.equal((await viewer.get(`${w.base}/tasks/quotes/new`)).status, 403)
    const taskId = taskUrl.split('/').at(-1)!
    const task = await taskRow(w.context, taskId)
    const docPath = new URL(task.components.find((c: any) => c.type === 'document').url).pathname
    const other = await makeWorkspace(cleanup, 'qformo')
    const stranger = await signIn(await other.member('owner'))
    await stranger.get(`${other.base}/tasks`)
    const foreignDoc = docPath.replace(w.base, other.base)
    assert.equal((await stranger.get(foreignDoc)).status, 404)
    assert.equal((await stranger.get(docPath)).status, 404)
    assert.equal((await stranger.get(`${docPath}/pages/1`)).status, 404)
    assert.equal((await stranger.get(`${foreignDoc}/pages/1`)).status, 404)
    const { token } = await makeKey(other.tenant)
    assert.equal((await api('GET', `/api/v1/tasks/${taskId}`, { token })).status, 404)
    // Nor the run.
    assert.equal((await stranger.get(sent.location!)).status, 404)
    assert.equal((await stranger.get(sent.location!.replace(w.base, other.base))).status, 404)
  })
})

/** The model's answer for a quote: every field as {value, page}. */
function modelAnswer(fields: Record<string, unknown>) {
  const answer: Record<string, { value: unknown; page: number | null }> = {}
  for (const name of [
    'insurer',
    'product',
    'premium',
    'currency',
    'period',
    'coverage_limit',
    'deductible',
    'exclusions',
  ]) {
    answer[name] = name in fields ? { value: fields[name], page: 1 } : { value: null, page: null }
  }
  return JSON.stringify(answer)
}

test.group('Quote analyzer: the chat-model path', (group) => {
  const ai = useFakeOpenAI(group, { chatModel: 'quotes-test', embedModel: null })

  test('with a model configured it asks with the JSON schema, retries a malformed answer once, and keeps only grounded figures', async ({
    assert,
  }) => {
    const [gulf] = fixtures
    let calls = 0
    ai.respond(() => {
      calls++
      // First a malformed answer, then a good one with an invented deductible.
      if (calls === 1) return '{"insurer": "Gulf Shield"'
      return modelAnswer({
        insurer: gulf.expected.insurer,
        premium: gulf.expected.premium,
        currency: gulf.expected.currency,
        deductible: 123456,
      })
    })
    const pages = await quotePdfPages(gulf.pdf)
    const read = await readQuotes([
      { filename: 'a.pdf', bytes: gulf.pdf },
      { filename: 'b.pdf', bytes: gulf.pdf },
    ])
    const chat = ai.calls.filter((c) => c.path.endsWith('/chat/completions'))
    assert.equal(chat[0].body.model, 'quotes-test')
    assert.equal(chat[0].body.response_format.type, 'json_schema')
    assert.deepEqual(chat[0].body.response_format.json_schema.schema.required, [
      'insurer',
      'product',
      'premium',
      'currency',
      'period',
      'coverage_limit',
      'deductible',
      'exclusions',
    ])
    assert.include(chat[0].body.messages[1].content, '[page 1]')
    // The retry says what was wrong.
    assert.match(chat[1].body.messages.at(-1).content, /does not match the schema/)
    assert.equal(read[0].by, 'model')
    assert.equal(read[0].extraction.insurer.value, gulf.expected.insurer)
    assert.equal(read[0].extraction.premium.value, gulf.expected.premium)
    assert.equal(read[0].extraction.premium.page, 1)
    // 123,456 is written nowhere in the quote: marked missing, not kept.
    assert.isTrue(read[0].extraction.deductible.missing)
    assert.isNull(read[0].extraction.deductible.value)
    assert.isTrue(read[0].extraction.product.missing)
    assert.lengthOf(pages, 1)
  })

  test('two malformed answers, or a failing model, fall back to the offline extractor', async ({
    assert,
    cleanup,
  }) => {
    const [gulf, second] = fixtures
    ai.respond(() => 'not json at all')
    const read = await readQuotes([
      { filename: 'a.pdf', bytes: gulf.pdf },
      { filename: 'b.pdf', bytes: second.pdf },
    ])
    // Two attempts per quote, then offline.
    assert.lengthOf(
      ai.calls.filter((c) => c.path.endsWith('/chat/completions')),
      4
    )
    assert.deepEqual(
      read.map((r) => r.by),
      ['offline', 'offline']
    )
    assert.equal(read[0].extraction.premium.value, gulf.expected.premium)

    // The client's own retries off: the model is down for good.
    const previous = app.config.get<Record<string, unknown>>('ai')
    app.config.set('ai', { ...previous, maxRetries: 0 })
    cleanup(() => app.config.set('ai', previous))
    ai.respond(() => ({ status: 500, body: { error: { message: 'down', type: 'server_error' } } }))
    const down = await readQuotes([
      { filename: 'a.pdf', bytes: gulf.pdf },
      { filename: 'b.pdf', bytes: second.pdf },
    ])
    assert.deepEqual(
      down.map((r) => r.by),
      ['offline', 'offline']
    )
    assert.equal(down[1].extraction.insurer.value, second.expected.insurer)
  })
})
