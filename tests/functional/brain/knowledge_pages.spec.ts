import { test } from '@japa/runner'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import app from '@adonisjs/core/services/app'
import { findSource, ingestSource, listSources, type KnowledgeSource } from '#modules/brain/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { WebSession } from '#tests/helpers/web_session'
import { signIn } from '#tests/functional/workspace/member_browser'
import { learnFaq, learnText } from '#tests/helpers/brain'
import { useFakeOpenAI } from '#tests/helpers/fake_openai_server'

type Cleanup = (fn: () => void | Promise<void>) => void

async function workspace(cleanup: Cleanup, prefix = 'know') {
  const made = await makeWorkspace(cleanup, prefix)
  return { ...made, knowledge: `${made.base}/knowledge` }
}

function sourcesIn(context: TenantContext) {
  return listSources(context, { limit: 100 }).then((page) => page.data)
}

/** The one source a test made, as stored. */
async function onlySource(context: TenantContext): Promise<KnowledgeSource> {
  const sources = await sourcesIn(context)
  if (sources.length !== 1) throw new Error(`expected one source, found ${sources.length}`)
  return sources[0]
}

/** A GET as htmx sends it for one region of a page (polling, a search form). */
async function htmxGet(web: WebSession, path: string, target: string) {
  const cookie = [...web.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const response = await fetch(`${WebSession.baseUrl()}${path}`, {
    headers: { 'cookie': cookie, 'HX-Request': 'true', 'HX-Target': target },
    redirect: 'manual',
  })
  return { status: response.status, body: await response.text() }
}

/** Posts a multipart form with any number of files, as the page at `from` would. */
async function upload(
  web: WebSession,
  from: string,
  action: string,
  fields: Record<string, string>,
  files: Array<{ field: string; name: string; type: string; content: string | Buffer }>
) {
  const page = await web.get(from)
  const csrf = page.body.match(/name='_csrf' value='([^']+)'/)?.[1] ?? ''
  const form = new FormData()
  form.append('_csrf', csrf)
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  for (const file of files) {
    const bytes = Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content)
    form.append(file.field, new Blob([new Uint8Array(bytes)], { type: file.type }), file.name)
  }
  const cookie = [...web.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const response = await fetch(`${WebSession.baseUrl()}${action}`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
    headers: { cookie },
  })
  return { status: response.status, location: response.headers.get('location') }
}

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    const value = await probe()
    if (value) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('timed out waiting')
}

/**
 * Works the `default` queue from here on in this test, as a worker process
 * would; started late so a test can first see a source waiting in the queue.
 */
async function startWorker(cleanup: Cleanup) {
  const { WorkerPool } = await import('#app/queue/worker_pool')
  const pool = new WorkerPool(app, await app.container.make('logger'))
  pool.start(['default'])
  cleanup(() => pool.stop())
}

function decode(html: string) {
  return html
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

test.group('Knowledge pages: who sees what', () => {
  test('every member sees the list, a source and search; only owners and admins add or change', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const source = await learnText(w.context, 'Office hours', 'We open at nine on weekdays.')
    for (const role of ['owner', 'admin', 'agent', 'viewer'] as const) {
      const web = await signIn(await w.member(role))
      const list = await web.get(w.knowledge)
      assert.equal(list.status, 200, role)
      assert.include(list.body, `data-source="${source.id}"`, role)
      assert.include(list.body, `href="${w.knowledge}"`, `${role} sees Knowledge in the sidebar`)
      assert.equal((await web.get(`${w.knowledge}/${source.id}`)).status, 200, role)
      assert.equal((await web.get(`${w.knowledge}/search?q=nine`)).status, 200, role)
      const manager = role === 'owner' || role === 'admin'
      assert.equal((await web.get(`${w.knowledge}/new`)).status, manager ? 200 : 403, role)
      assert.equal(list.body.includes(`href="${w.knowledge}/new"`), manager, role)
      const page = await web.get(`${w.knowledge}/${source.id}`)
      assert.equal(page.body.includes('/delete"'), manager, role)
      const renamed = await web.post(`${w.knowledge}/${source.id}`, {
        title: `By ${role}`,
        tags: '',
      })
      assert.equal(renamed.status, manager ? 302 : 403, role)
    }
  })

  test('an empty workspace explains what knowledge to add', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    const page = await web.get(w.knowledge)
    assert.include(page.body, 'No knowledge yet')
    assert.include(page.body, 'policy wordings, brochures, price lists')
    assert.include(page.body, 'your FAQ or services page')
    assert.notInclude(page.body, 'hx-trigger="every 2s"')
  })

  test('the pages read right to left in Arabic', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const source = await learnText(w.context, 'ساعات العمل', 'نفتح في التاسعة صباحًا.')
    const owner = await w.member('owner')
    owner.locale = 'ar'
    await owner.save()
    const web = await signIn(owner)
    for (const path of ['', `/${source.id}`, '/new?kind=faq', '/search?q=التاسعة']) {
      const page = await web.get(`${w.knowledge}${path}`)
      assert.equal(page.status, 200, path)
      assert.include(page.body, 'dir="rtl"', path)
      assert.include(page.body, 'المعرفة', path)
    }
  })
})

test.group('Knowledge pages: adding sources', () => {
  test('pasted text is added with its tags and the member lands on its page, queued', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    const result = await web.submit(`${w.knowledge}/new?kind=text`, `${w.knowledge}/text`, {
      title: 'Claims process',
      text: '# Claims\n\nCall us within 48 hours of an accident.',
      tags: 'motor, claims, motor',
    })
    const source = await onlySource(w.context)
    assert.equal(result.location, `${w.knowledge}/${source.id}`)
    assert.equal(source.kind, 'text')
    assert.deepEqual(source.tags, ['motor', 'claims'])
    const page = await web.get(result.location!)
    assert.include(decode(page.body), '"Claims process" is added and being read.')
    assert.include(page.body, 'data-status="queued"')
    // The page asks again until the source settles.
    assert.include(page.body, 'hx-trigger="every 2s"')
  })

  test('a text without its title is refused on the field, and what was typed is kept', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('admin'))
    const result = await web.submit(`${w.knowledge}/new?kind=text`, `${w.knowledge}/text`, {
      title: '',
      text: 'Our renewal desk answers on Saturdays.',
      tags: 'renewals',
    })
    assert.equal(result.location, `${w.knowledge}/new?kind=text`)
    const form = await web.get(result.location!)
    assert.include(form.body, 'Fill in this field.')
    assert.include(form.body, 'Our renewal desk answers on Saturdays.')
    assert.include(form.body, 'value="renewals"')
    assert.lengthOf(await sourcesIn(w.context), 0)
  })

  test('an FAQ keeps its rows in order; a half-filled row is reported by number with the input kept', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    const refused = await web.submit(`${w.knowledge}/new?kind=faq`, `${w.knowledge}/faq`, {
      'title': 'Common questions',
      'faq[0][question]': 'Do you cover locum work?',
      'faq[0][answer]': 'Yes, up to 60 days a year.',
      'faq[1][question]': 'Is there an excess?',
      'faq[1][answer]': '',
      'tags': 'faq',
    })
    assert.equal(refused.location, `${w.knowledge}/new?kind=faq`)
    const form = await web.get(refused.location!)
    assert.include(form.body, 'Question 2 needs both a question and an answer.')
    assert.include(form.body, 'value="Do you cover locum work?"')
    assert.include(form.body, 'Yes, up to 60 days a year.')
    assert.include(form.body, 'value="Is there an excess?"')
    assert.lengthOf(await sourcesIn(w.context), 0)

    const added = await web.submit(`${w.knowledge}/new?kind=faq`, `${w.knowledge}/faq`, {
      'title': 'Common questions',
      'faq[0][question]': 'Do you cover locum work?',
      'faq[0][answer]': 'Yes, up to 60 days a year.',
      'faq[1][question]': '',
      'faq[1][answer]': '',
      'faq[2][question]': 'Is there an excess?',
      'faq[2][answer]': 'The excess is 250 dirhams.',
    })
    const source = await onlySource(w.context)
    assert.equal(added.location, `${w.knowledge}/${source.id}`)
    assert.equal(source.kind, 'faq')
    assert.deepEqual((source.input as { pairs: unknown[] }).pairs, [
      { question: 'Do you cover locum work?', answer: 'Yes, up to 60 days a year.' },
      { question: 'Is there an excess?', answer: 'The excess is 250 dirhams.' },
    ])
  })

  test('an FAQ with no rows filled is refused', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    const refused = await web.submit(`${w.knowledge}/new?kind=faq`, `${w.knowledge}/faq`, {
      title: 'Empty',
    })
    const form = await web.get(refused.location!)
    assert.include(form.body, 'Add at least one question with its answer.')
    assert.include(form.body, 'value="Empty"')
  })

  test('several files are uploaded at once and each becomes a source', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    const result = await upload(
      web,
      `${w.knowledge}/new`,
      `${w.knowledge}/files`,
      { tags: 'prices' },
      [
        {
          field: 'files',
          name: 'price_list.csv',
          type: 'text/csv',
          content: 'plan,price\nBasic,100\n',
        },
        { field: 'files', name: 'guide.md', type: 'text/markdown', content: '# Guide\n\nHello.' },
      ]
    )
    assert.equal(result.location, w.knowledge)
    const sources = await sourcesIn(w.context)
    assert.sameMembers(
      sources.map((source) => source.fileName),
      ['price_list.csv', 'guide.md']
    )
    assert.isTrue(sources.every((source) => source.tags.includes('prices')))
    const list = await web.get(w.knowledge)
    assert.include(list.body, '>CSV<')
    assert.include(list.body, '>MD<')
  })

  test('a file of an unknown type is refused before anything is stored, the tags kept', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    const result = await upload(
      web,
      `${w.knowledge}/new`,
      `${w.knowledge}/files`,
      { tags: 'misc' },
      [
        { field: 'files', name: 'notes.txt', type: 'text/plain', content: 'fine' },
        { field: 'files', name: 'tool.exe', type: 'application/octet-stream', content: 'MZ' },
      ]
    )
    assert.equal(result.location, `${w.knowledge}/new?kind=file`)
    const form = await web.get(result.location!)
    assert.include(decode(form.body), '"tool.exe" cannot be read')
    assert.include(form.body, 'value="misc"')
    assert.lengthOf(await sourcesIn(w.context), 0)

    const none = await upload(web, `${w.knowledge}/new`, `${w.knowledge}/files`, {}, [])
    assert.include((await web.get(none.location!)).body, 'Choose a file to upload.')
  })

  test('a URL that is not a web address is refused on the field', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    const result = await web.submit(`${w.knowledge}/new?kind=url`, `${w.knowledge}/url`, {
      url: 'ftp://example.com/faq',
      tags: 'web',
    })
    assert.equal(result.location, `${w.knowledge}/new?kind=url`)
    const form = await web.get(result.location!)
    assert.include(form.body, 'aria-invalid="true"')
    assert.include(form.body, 'value="ftp://example.com/faq"')
    assert.lengthOf(await sourcesIn(w.context), 0)
  })
})

test.group('Knowledge pages: progress through the queue', (group) => {
  let site: Server
  let siteUrl = ''
  group.setup(async () => {
    site = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html; charset=utf-8')
      response.end(
        `<html><head><title>Broker FAQ</title></head><body><nav>Menu</nav><main><h1>Broker FAQ</h1>
         <h2>Opening hours</h2><p>The broker office opens at eight thirty every weekday.</p></main></body></html>`
      )
    })
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/faq`
    const previous = { ...app.config.get<Record<string, unknown>>('brain') }
    app.config.set('brain', { ...previous, allowPrivateUrlSources: true })
    return async () => {
      app.config.set('brain', previous)
      await new Promise((resolve) => site.close(resolve))
    }
  })

  test('the list polls while a source is read and stops once it is ready with its passages', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    const added = await web.submit(`${w.knowledge}/new?kind=url`, `${w.knowledge}/url`, {
      url: siteUrl,
      tags: 'web',
    })
    const source = await onlySource(w.context)
    assert.equal(added.location, `${w.knowledge}/${source.id}`)

    // No worker yet: the job waits in the queue and the list says so, asking again.
    const queued = await web.get(w.knowledge)
    assert.include(queued.body, `data-source="${source.id}" data-status="queued"`)
    assert.include(queued.body, 'hx-trigger="every 2s"')
    assert.include(queued.body, 'Refresh to see the progress')

    // Midway, as the ingestion writes it: a bar and the stage in words.
    await w.context.transaction((trx) =>
      trx.from('knowledge_sources').where('id', source.id).update({
        status: 'processing',
        progress: 40,
        stage: 'embedding',
        stage_done: 64,
        stage_total: 200,
      })
    )
    const midway = await htmxGet(web, w.knowledge, 'knowledge-list')
    assert.match(midway.body, /^<div id="knowledge-list"/)
    assert.include(midway.body, 'hx-trigger="every 2s"')
    assert.include(midway.body, '<progress class="knowledge-progress" max="100" value="40"')
    assert.include(midway.body, 'Indexing passages: 64 of 200')

    await startWorker(cleanup)

    const ready = await waitFor(async () => {
      const row = await findSource(w.context, source.id)
      return row?.status === 'ready' ? row : null
    })
    const fragment = await htmxGet(web, w.knowledge, 'knowledge-list')
    assert.equal(fragment.status, 200)
    assert.match(fragment.body, /^<div id="knowledge-list"/)
    assert.notInclude(fragment.body, 'hx-trigger', 'polling stops once every source settled')
    assert.include(fragment.body, 'data-status="ready"')
    assert.include(fragment.body, `${ready.chunkCount} passage`)
    assert.include(fragment.body, 'version 1')

    const page = await web.get(`${w.knowledge}/${source.id}`)
    assert.include(page.body, 'Opening hours')
    assert.include(page.body, 'opens at eight thirty every weekday')
    assert.include(page.body, 'data-chunk="0"')
    // The site's own menu stays out of the passages (the page's Menu link is ours).
    assert.notInclude(page.body.slice(page.body.indexOf('data-chunk="0"')), 'Menu</')
    assert.include(page.body, '/refetch"')

    const refetched = await web.submit(
      `${w.knowledge}/${source.id}`,
      `${w.knowledge}/${source.id}/refetch`,
      {}
    )
    assert.equal(refetched.location, `${w.knowledge}/${source.id}`)
    const again = await waitFor(async () => {
      const row = await findSource(w.context, source.id)
      return row?.status === 'ready' && row.version === 2 ? row : null
    })
    assert.equal(again.liveVersion, 2)
  }).timeout(60_000)

  test('a source that cannot be read shows why and what to do', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    await startWorker(cleanup)
    await upload(web, `${w.knowledge}/new`, `${w.knowledge}/files`, {}, [
      { field: 'files', name: 'broken.pdf', type: 'application/pdf', content: 'not a pdf at all' },
    ])
    const source = await onlySource(w.context)
    await waitFor(async () => {
      const row = await findSource(w.context, source.id)
      return row?.status === 'failed' ? row : null
    })
    const page = await htmxGet(web, `${w.knowledge}/${source.id}`, 'source-live')
    assert.match(page.body, /^<div id="source-live"/)
    assert.notInclude(page.body, 'hx-trigger')
    assert.include(page.body, 'data-failure="corrupt"')
    assert.include(page.body, 'The file is damaged or is not what its name says.')
    assert.include(page.body, 'save or export it again')
  }).timeout(60_000)
})

test.group('Knowledge pages: a source page', () => {
  test('shows the Markdown as text, never as HTML, and the passages with their headings', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const source = await learnText(
      w.context,
      'Cover',
      '# Policy\n\n## Locum work\n\nLocum work is covered. <script>alert(1)</script> <b>bold</b>'
    )
    const web = await signIn(await w.member('viewer'))
    const page = await web.get(`${w.knowledge}/${source.id}`)
    assert.notInclude(page.body, '<script>alert(1)</script>')
    assert.notInclude(page.body, '<b>bold</b>')
    assert.include(page.body, '&lt;b&gt;bold&lt;/b&gt;')
    assert.include(page.body, 'data-markdown')
    assert.include(page.body, 'Policy › Locum work')
    assert.include(page.body, 'data-chunk-count>' + source.chunkCount)
  })

  test('shows the first passages and more on request', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const sections = Array.from(
      { length: 30 },
      (_, i) =>
        `## Topic ${i + 1}\n\n${`Detail number ${i + 1} about the topic and its many facets. `.repeat(20)}`
    ).join('\n\n')
    const source = await learnText(w.context, 'Long guide', sections)
    assert.isAbove(source.chunkCount, 20)
    const web = await signIn(await w.member('agent'))
    const first = await web.get(`${w.knowledge}/${source.id}`)
    assert.lengthOf([...first.body.matchAll(/data-chunk="\d+"/g)], 20)
    assert.include(first.body, `?chunks=40#chunks`)
    const more = await web.get(`${w.knowledge}/${source.id}?chunks=40`)
    assert.lengthOf([...more.body.matchAll(/data-chunk="\d+"/g)], Math.min(40, source.chunkCount))
  })

  test('an uploaded file downloads as given, and a replacement keeps the old passages until ready', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const web = await signIn(await w.member('owner'))
    await upload(web, `${w.knowledge}/new`, `${w.knowledge}/files`, { title: 'Tariff' }, [
      { field: 'files', name: 'tariff.txt', type: 'text/plain', content: 'Basic cover costs 100.' },
    ])
    const source = await onlySource(w.context)
    assert.equal(source.title, 'Tariff')
    await ingestSource(w.context, source.id, 1)

    const file = await web.get(`${w.knowledge}/${source.id}/file`)
    assert.equal(file.status, 200)
    assert.equal(file.body, 'Basic cover costs 100.')
    assert.match(file.response.headers.get('content-disposition') ?? '', /^attachment;/)

    const replaced = await upload(
      web,
      `${w.knowledge}/${source.id}`,
      `${w.knowledge}/${source.id}/file`,
      {},
      [
        {
          field: 'file',
          name: 'tariff-2025.txt',
          type: 'text/plain',
          content: 'Basic cover costs 120.',
        },
      ]
    )
    assert.equal(replaced.location, `${w.knowledge}/${source.id}`)
    const pending = (await findSource(w.context, source.id))!
    assert.equal(pending.version, 2)
    assert.equal(pending.liveVersion, 1)
    const page = await web.get(`${w.knowledge}/${source.id}`)
    assert.include(page.body, 'data-serving-older')
    assert.include(page.body, 'costs 100', 'the live passages are still shown')
    await ingestSource(w.context, source.id, 2)
    const after = await web.get(`${w.knowledge}/${source.id}`)
    assert.include(after.body, 'costs 120')
    assert.equal((await web.get(`${w.knowledge}/${source.id}/file`)).body, 'Basic cover costs 120.')
  })

  test('tags are edited on the page', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup)
    const source = await learnText(w.context, 'Hours', 'Open at nine.')
    const web = await signIn(await w.member('admin'))
    const saved = await web.submit(`${w.knowledge}/${source.id}`, `${w.knowledge}/${source.id}`, {
      title: 'Opening hours',
      tags: 'office, hours',
    })
    assert.equal(saved.location, `${w.knowledge}/${source.id}#details`)
    const stored = (await findSource(w.context, source.id))!
    assert.equal(stored.title, 'Opening hours')
    assert.deepEqual(stored.tags, ['office', 'hours'])
    const filtered = await web.get(`${w.knowledge}?tag=office`)
    assert.include(filtered.body, 'Opening hours')
    const other = await web.get(`${w.knowledge}?tag=elsewhere`)
    assert.include(other.body, 'No sources match')
  })

  test('delete asks for the confirmation word, then removes the source and its passages', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const source = await learnText(w.context, 'Obsolete prices', 'Old plan costs 90.')
    const web = await signIn(await w.member('owner'))
    const wrong = await web.submit(
      `${w.knowledge}/${source.id}`,
      `${w.knowledge}/${source.id}/delete`,
      { confirm: 'nope' }
    )
    assert.equal(wrong.location, `${w.knowledge}/${source.id}#delete`)
    assert.isNotNull(await findSource(w.context, source.id))
    const done = await web.submit(
      `${w.knowledge}/${source.id}`,
      `${w.knowledge}/${source.id}/delete`,
      { confirm: 'Obsolete' }
    )
    assert.equal(done.location, w.knowledge)
    assert.isNull(await findSource(w.context, source.id))
    assert.equal((await web.get(`${w.knowledge}/${source.id}`)).status, 404)
    const search = await web.get(`${w.knowledge}/search?q=plan+costs`)
    assert.notInclude(search.body, 'Old plan costs 90.')
  })
})

test.group('Knowledge pages: search and ask (offline modes)', () => {
  test('search lists passages with source, heading, score and both ranks; the modes are named', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const source = await learnText(
      w.context,
      'Malpractice policy',
      '# Cover\n\n## Locum work\n\nLocum work is covered for up to 60 days a year.'
    )
    const web = await signIn(await w.member('agent'))
    const page = await web.get(`${w.knowledge}/search?q=locum+work&mode=search`)
    assert.include(page.body, 'data-embedder="local"')
    assert.include(page.body, 'Local lexical embedder')
    assert.include(page.body, 'data-answers="extractive"')
    assert.include(page.body, `href="${w.knowledge}/${source.id}">Malpractice policy</a>`)
    assert.include(page.body, 'Cover › Locum work')
    assert.match(page.body, /data-score>score 0\.\d{4}/)
    assert.match(page.body, /data-lexical-rank>full text #1</)
    assert.match(page.body, /data-vector-rank>vector #1</)

    const fragment = await htmxGet(
      web,
      `${w.knowledge}/search?q=locum&mode=search`,
      'knowledge-results'
    )
    assert.match(fragment.body, /^<div id="knowledge-results"/)
    assert.include(fragment.body, 'data-hit=')
  })

  test('ask answers with numbered citations linking to the source, and confidence', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const faq = await learnFaq(w.context, 'Broker FAQ', [
      { question: 'Do you cover locum work?', answer: 'Locum work is covered for 60 days a year.' },
      { question: 'What are your hours?', answer: 'We open at nine on weekdays.' },
    ])
    const web = await signIn(await w.member('viewer'))
    const page = await web.get(`${w.knowledge}/search?q=Do+you+cover+locum+work%3F&mode=ask`)
    assert.include(page.body, 'data-answer ')
    assert.include(page.body, 'data-answer-mode="extractive"')
    assert.include(page.body, 'data-handoff="no"')
    assert.include(page.body, 'data-citation="1"')
    assert.include(page.body, `href="${w.knowledge}/${faq.id}">Broker FAQ</a>`)
    assert.match(page.body, /Confidence \d+%/)

    const unknown = await web.get(`${w.knowledge}/search?q=Do+you+sell+boats+in+Norway%3F&mode=ask`)
    assert.include(unknown.body, 'data-handoff="yes"')
    assert.include(unknown.body, 'Would hand off to a person')
  })
})

test.group('Knowledge pages: ask with a chat model', (group) => {
  const ai = useFakeOpenAI(group, { chatModel: 'chat-test', embedModel: null })

  test('the page names the chat model and shows its answer with citations', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    const source = await learnText(w.context, 'Hours', 'We open at nine on weekdays.')
    ai.respond(() =>
      JSON.stringify({
        answer: 'We open at nine on weekdays [1].',
        citations: [1],
        covered: true,
        confidence: 0.9,
      })
    )
    const web = await signIn(await w.member('owner'))
    const page = await web.get(`${w.knowledge}/search?q=When+do+you+open%3F&mode=ask`)
    assert.include(page.body, 'data-answers="llm"')
    assert.include(page.body, 'chat-test')
    assert.include(page.body, 'data-answer-mode="llm"')
    assert.include(page.body, 'We open at nine on weekdays [1].')
    assert.include(page.body, `href="${w.knowledge}/${source.id}">Hours</a>`)
    assert.lengthOf(ai.chatCalls(), 1)
  })
})

test.group('Knowledge pages: tenant isolation', () => {
  test("another tenant's member gets 404 for this tenant's source and never lists it", async ({
    assert,
    cleanup,
  }) => {
    const home = await workspace(cleanup, 'know-home')
    const away = await workspace(cleanup, 'know-away')
    const secret = await learnText(home.context, 'Secret pricing', 'Discount code ZEBRA gives 40%.')
    const outsider = await signIn(await away.member('owner'))

    // Through their own workspace's addresses: the id is simply not there.
    const id = secret.id
    for (const path of [`/${id}`, `/${id}/file`]) {
      assert.equal((await outsider.get(`${away.knowledge}${path}`)).status, 404, path)
    }
    for (const [path, fields] of [
      [`/${id}`, { title: 'Mine now', tags: '' }],
      [`/${id}/refetch`, {}],
      [`/${id}/delete`, { confirm: 'Secret' }],
    ] as const) {
      await outsider.get(away.knowledge)
      const response = await outsider.post(`${away.knowledge}${path}`, fields)
      assert.equal(response.status, 404, path)
    }
    const replaced = await upload(outsider, away.knowledge, `${away.knowledge}/${id}/file`, {}, [
      { field: 'file', name: 'x.txt', type: 'text/plain', content: 'x' },
    ])
    assert.equal(replaced.status, 404)
    // And the home workspace itself is not theirs to open.
    assert.equal((await outsider.get(`${home.knowledge}/${id}`)).status, 404)

    const list = await outsider.get(away.knowledge)
    assert.notInclude(list.body, 'Secret pricing')
    const search = await outsider.get(`${away.knowledge}/search?q=discount+code+ZEBRA`)
    assert.notInclude(search.body, 'gives 40%')
    assert.notInclude(search.body, 'data-hit=')
    assert.include(search.body, 'Nothing found')
    const stored = (await findSource(home.context, id))!
    assert.equal(stored.title, 'Secret pricing')
    assert.equal(stored.version, 1)
  })
})
