import { PlanLimitError, planLimitMessage } from '#modules/billing/index'
import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'
import type { MultipartFile } from '@adonisjs/core/bodyparser'
import { streamStoredFile } from '#app/http/stored_file'
import { can } from '#modules/identity/index'
import { workspaceLayout } from '#modules/tenancy/index'
import type KnowledgeSource from '../models/knowledge_source.js'
import {
  SOURCE_FILE_EXTENSIONS,
  SourceError,
  createFaqSource,
  createFileSource,
  createTextSource,
  createUrlSource,
  deleteSource,
  findSource,
  findSourceOrFail,
  listSources,
  refetchSource,
  replaceSourceFile,
  updateSource,
} from '../services/source_service.js'
import { searchKnowledge } from '../services/search.js'
import { answerQuestion } from '../services/answers.js'
import {
  CHUNKS_STEP,
  FAQ_FORM_ROWS,
  SOURCE_KINDS,
  SOURCE_STATUSES,
  faqSourceValidator,
  filledFaq,
  fileMessages,
  fileSourceValidator,
  knowledgeSearchQueryValidator,
  maxMegabytes,
  newSourceQueryValidator,
  parseTags,
  replaceFileValidator,
  sourceListQueryValidator,
  sourcePageQueryValidator,
  textSourceValidator,
  updateSourceValidator,
  urlSourceValidator,
  type SearchMode,
} from '../validators/knowledge_validator.js'
import { readQuery } from '#app/validation/query'
import { liveChunksOf } from '../services/source_chunks.js'
import { fieldError, validatedOrBack, wantsFragment } from './form_helpers.js'
import {
  withHeadings,
  assets,
  present,
  modesInUse,
  confirmWord,
} from '../presenters/knowledge_presenter.js'
import { errors as lucidErrors } from '@adonisjs/lucid'

/** The Markdown shown on a source page; a longer document is cut with a note. */
const MARKDOWN_SHOWN = 100_000
/** Results a workspace search shows. */
const SEARCH_K = 10
/**
 * The workspace's Knowledge section: the sources list, adding sources,
 * a source's page with its progress, Markdown and passages, and the search
 * and ask page. Every member reads; owners and admins change sources.
 */
export default class KnowledgeController {
  async index(ctx: HttpContext) {
    const { bouncer, request, view, access, tenant } = ctx
    await bouncer.with('KnowledgePolicy').authorize('view', access)
    const layout = workspaceLayout(ctx, 'knowledge')
    const { cursor, ...asked } = await readQuery(sourceListQueryValidator, request.qs())
    const filters = { ...asked, q: asked.q ?? '', tag: asked.tag || undefined }
    const page = await listSources(tenant, {
      ...filters,
      limit: 50,
      cursor: cursor ?? null,
    }).catch((error) => {
      // A mangled cursor from an old link starts the list over.
      if (error instanceof SourceError) return listSources(tenant, { ...filters, limit: 50 })
      throw error
    })
    const sources = page.data.map((source) => present(ctx, source))
    const search = new URLSearchParams()
    for (const [key, value] of Object.entries(filters)) if (value) search.set(key, value)
    const listUrl = `${layout.base}/knowledge${search.size ? `?${search}` : ''}`
    const data = {
      base: layout.base,
      filters,
      sources,
      listUrl,
      nextUrl: page.nextCursor
        ? `${layout.base}/knowledge?${new URLSearchParams({ ...Object.fromEntries(search), cursor: page.nextCursor })}`
        : null,
      tags: [...new Set(page.data.flatMap((source) => source.tags))].sort(),
      statuses: SOURCE_STATUSES,
      inProgress: sources.some((source) => source.inProgress),
      filtered: Boolean(filters.q || filters.status || filters.kind || filters.tag),
      canManage: can(access, 'knowledge.manage'),
    }
    if (wantsFragment(request, 'knowledge-list')) {
      return view.render('brain::knowledge/list', data)
    }
    return view.render('brain::knowledge/index', { ...layout, ...data, ...assets() })
  }

  async create(ctx: HttpContext) {
    const { bouncer, request, view, access, session } = ctx
    await bouncer.with('KnowledgePolicy').authorize('manage', access)
    const asked = await readQuery(newSourceQueryValidator, request.qs())
    const kind = asked.kind ?? 'file'
    const typed = session.flashMessages.get('faq')
    const faqRows = Array.isArray(typed)
      ? typed.map((row: { question?: string; answer?: string } | null) => ({
          question: row?.question ?? '',
          answer: row?.answer ?? '',
        }))
      : []
    while (faqRows.length < FAQ_FORM_ROWS) faqRows.push({ question: '', answer: '' })
    return view.render('brain::knowledge/new', {
      ...workspaceLayout(ctx, 'knowledge'),
      ...assets(),
      kind,
      kinds: SOURCE_KINDS,
      faqRows,
      maxMegabytes: maxMegabytes(),
      accept: SOURCE_FILE_EXTENSIONS.join(','),
    })
  }

  async storeText(ctx: HttpContext) {
    const { request, tenant, auth } = ctx
    await authorizeManage(ctx)
    const back = `${basePath(ctx)}/knowledge/new?kind=text`
    const data = await validatedOrBack(ctx, back, (meta) =>
      request.validateUsing(textSourceValidator, { meta })
    )
    if (!data) return
    await created(ctx, back, () =>
      createTextSource(tenant, {
        title: data.title,
        text: data.text,
        tags: parseTags(data.tags),
        createdByUserId: auth.user!.id,
      })
    )
  }

  async storeUrl(ctx: HttpContext) {
    const { request, tenant, auth } = ctx
    await authorizeManage(ctx)
    const back = `${basePath(ctx)}/knowledge/new?kind=url`
    const data = await validatedOrBack(ctx, back, (meta) =>
      request.validateUsing(urlSourceValidator, { meta })
    )
    if (!data) return
    await created(ctx, back, () =>
      createUrlSource(tenant, {
        url: data.url,
        title: data.title ?? null,
        tags: parseTags(data.tags),
        createdByUserId: auth.user!.id,
      })
    )
  }

  async storeFaq(ctx: HttpContext) {
    const { request, tenant, auth } = ctx
    await authorizeManage(ctx)
    const back = `${basePath(ctx)}/knowledge/new?kind=faq`
    const data = await validatedOrBack(ctx, back, (meta) =>
      // No rows at all is reported like blank ones: nothing to add.
      faqSourceValidator.validate({ ...request.all(), faq: request.input('faq') ?? [] }, { meta })
    )
    if (!data) return
    await created(ctx, back, () =>
      createFaqSource(tenant, {
        title: data.title,
        pairs: filledFaq(data.faq),
        tags: parseTags(data.tags),
        createdByUserId: auth.user!.id,
      })
    )
  }

  /** One or more files; none is kept unless every one of them is acceptable. */
  async storeFiles(ctx: HttpContext) {
    const { request, response, tenant, auth, session, i18n } = ctx
    await authorizeManage(ctx)
    const base = basePath(ctx)
    const back = `${base}/knowledge/new?kind=file`
    const data = await validatedOrBack(ctx, back, (meta) =>
      fileSourceValidator.validate(
        // A browser sends one nameless, empty part when no file was chosen.
        { ...request.all(), files: request.files('files').filter((file) => file.clientName) },
        { meta, messagesProvider: fileMessages(meta.t) }
      )
    )
    if (!data) return
    const { files } = data
    const made: KnowledgeSource[] = []
    for (const file of files) {
      const upload = {
        bytes: await readFile(file.tmpPath!),
        filename: file.clientName,
        mimeType: mimeOf(file),
      }
      const details = {
        // A title typed for several files would name them all alike: it applies to one file only.
        title: files.length === 1 ? (data.title ?? null) : null,
        tags: parseTags(data.tags),
        createdByUserId: auth.user!.id,
      }
      try {
        made.push(await createFileSource(tenant, upload, details))
      } catch (error) {
        if (error instanceof PlanLimitError) {
          fieldError(ctx, 'files', planLimitMessage(error, i18n.t.bind(i18n)))
        } else if (!(error instanceof SourceError)) {
          throw error
        } else {
          fieldError(ctx, error.field === 'title' ? 'title' : 'files', sourceMessage(ctx, error))
        }
        if (made.length) {
          session.flash('success', i18n.t('knowledge.flash.added_some', { count: made.length }))
        }
        return response.redirect(back)
      }
    }
    if (made.length === 1) {
      session.flash('success', i18n.t('knowledge.flash.added', { title: made[0].title }))
      return response.redirect(`${base}/knowledge/${made[0].id}`)
    }
    session.flash('success', i18n.t('knowledge.flash.added_some', { count: made.length }))
    return response.redirect(`${base}/knowledge`)
  }

  async show(ctx: HttpContext) {
    const { bouncer, request, view, access, params, tenant } = ctx
    await bouncer.with('KnowledgePolicy').authorize('view', access)
    const source = await findSourceOrFail(tenant, params.id)
    const layout = workspaceLayout(ctx, 'knowledge')
    const { chunks: asked } = await readQuery(sourcePageQueryValidator, request.qs())
    const shown = asked ?? CHUNKS_STEP
    const chunks = await liveChunksOf(tenant, source, shown)
    const markdown = source.markdown ?? ''
    const data = {
      base: layout.base,
      source: present(ctx, source),
      chunks,
      chunksShown: shown,
      moreChunksUrl:
        source.chunkCount > chunks.length
          ? `${layout.base}/knowledge/${source.id}?chunks=${shown + CHUNKS_STEP}#chunks`
          : null,
      markdown: markdown.slice(0, MARKDOWN_SHOWN),
      markdownCut: markdown.length > MARKDOWN_SHOWN,
      canManage: can(access, 'knowledge.manage'),
      maxMegabytes: maxMegabytes(),
      accept: SOURCE_FILE_EXTENSIONS.join(','),
    }
    if (wantsFragment(request, 'source-live')) {
      return view.render('brain::knowledge/live', data)
    }
    return view.render('brain::knowledge/show', {
      ...layout,
      ...assets(),
      ...data,
      tagsText: source.tags.join(', '),
    })
  }

  /** The uploaded file as it was given, never shown as one of our pages. */
  async download(ctx: HttpContext) {
    const { bouncer, access, params, tenant } = ctx
    await bouncer.with('KnowledgePolicy').authorize('view', access)
    const source = await findSource(tenant, params.id)
    const sent =
      source?.fileKey &&
      (await streamStoredFile(ctx, {
        key: source.fileKey,
        contentType: source.fileMime || 'application/octet-stream',
        filename: source.fileName || 'source',
        download: true,
        cacheControl: 'private, no-cache',
        sandbox: true,
      }))
    if (!sent) throw new lucidErrors.E_ROW_NOT_FOUND()
  }

  async update(ctx: HttpContext) {
    const { request, response, params, tenant, session, i18n } = ctx
    await authorizeManage(ctx)
    const source = await findSourceOrFail(tenant, params.id)
    const back = `${basePath(ctx)}/knowledge/${source.id}`
    const data = await validatedOrBack(ctx, `${back}#details`, (meta) =>
      request.validateUsing(updateSourceValidator, { meta })
    )
    if (!data) return
    try {
      const updated = await updateSource(tenant, source.id, {
        title: data.title,
        tags: parseTags(data.tags),
      })
      session.flash('success', i18n.t('knowledge.flash.saved', { title: updated.title }))
    } catch (error) {
      rethrowNotFound(error)
      fieldError(
        ctx,
        (error as SourceError).field ?? 'title',
        sourceMessage(ctx, error as SourceError)
      )
    }
    return response.redirect(`${back}#details`)
  }

  /** A new version of an uploaded file; the old passages answer until it is ready. */
  async replace(ctx: HttpContext) {
    const { request, response, params, tenant, session, i18n } = ctx
    await authorizeManage(ctx)
    const source = await findSourceOrFail(tenant, params.id)
    const back = `${basePath(ctx)}/knowledge/${source.id}`
    const chosen = request.file('file')
    const data = await validatedOrBack(ctx, `${back}#replace`, (meta) =>
      replaceFileValidator.validate(
        { file: chosen?.clientName ? chosen : undefined },
        { meta, messagesProvider: fileMessages(meta.t) }
      )
    )
    if (!data) return
    const { file } = data
    try {
      await replaceSourceFile(tenant, source.id, {
        bytes: await readFile(file.tmpPath!),
        filename: file.clientName,
        mimeType: mimeOf(file),
      })
    } catch (error) {
      if (error instanceof PlanLimitError) {
        fieldError(ctx, 'file', planLimitMessage(error, i18n.t.bind(i18n)))
        return response.redirect(`${back}#replace`)
      }
      rethrowNotFound(error)
      fieldError(ctx, 'file', sourceMessage(ctx, error as SourceError))
      return response.redirect(`${back}#replace`)
    }
    session.flash('success', i18n.t('knowledge.flash.replaced'))
    return response.redirect(back)
  }

  async refetch(ctx: HttpContext) {
    const { response, params, tenant, session, i18n } = ctx
    await authorizeManage(ctx)
    const source = await findSourceOrFail(tenant, params.id)
    await refetchSource(tenant, source.id).catch((error) => rethrowNotFound(error))
    session.flash(
      'success',
      i18n.t(source.kind === 'url' ? 'knowledge.flash.refetching' : 'knowledge.flash.rereading')
    )
    return response.redirect(`${basePath(ctx)}/knowledge/${source.id}`)
  }

  /** Deletes a source with its passages and files once its title's first word is typed. */
  async destroy(ctx: HttpContext) {
    const { request, response, params, tenant, session, i18n } = ctx
    await authorizeManage(ctx)
    const source = await findSourceOrFail(tenant, params.id)
    const expected = confirmWord(source)
    const typed = String(request.input('confirm') ?? '').trim()
    if (typed !== expected) {
      const message = i18n.t('knowledge.validation.confirm_mismatch', { expected })
      session.flash('inputErrorsBag', { confirm: [message] })
      session.flash('error', message)
      return response.redirect(`${basePath(ctx)}/knowledge/${source.id}#delete`)
    }
    await deleteSource(tenant, source.id)
    session.flash('success', i18n.t('knowledge.flash.deleted', { title: source.title }))
    return response.redirect(`${basePath(ctx)}/knowledge`)
  }

  /** Search (ranked passages) or ask (an answer with citations), by the same retrieval. */
  async search(ctx: HttpContext) {
    const { bouncer, request, view, access, tenant } = ctx
    await bouncer.with('KnowledgePolicy').authorize('view', access)
    const layout = workspaceLayout(ctx, 'knowledge')
    const asked = await readQuery(knowledgeSearchQueryValidator, request.qs())
    const q = asked.q ?? ''
    const mode: SearchMode = asked.mode ?? 'search'
    const tag = asked.tag ?? ''
    const filters = tag ? { tags: [tag] } : undefined
    let hits: Awaited<ReturnType<typeof searchKnowledge>> = []
    let answer: Awaited<ReturnType<typeof answerQuestion>> | null = null
    if (q && mode === 'search') {
      const found = await searchKnowledge(tenant, q, { k: SEARCH_K, filters })
      hits = found.map(withHeadings)
    }
    if (q && mode === 'ask') {
      const given = await answerQuestion(tenant, q, { filters })
      answer = { ...given, citations: given.citations.map(withHeadings) }
    }
    const data = {
      base: layout.base,
      q,
      mode,
      tag,
      hits,
      answer,
      modes: modesInUse(),
      searched: Boolean(q),
    }
    if (wantsFragment(request, 'knowledge-results')) {
      return view.render('brain::knowledge/results', data)
    }
    return view.render('brain::knowledge/search', { ...layout, ...assets(), ...data })
  }
}

async function authorizeManage(ctx: HttpContext) {
  await ctx.bouncer.with('KnowledgePolicy').authorize('manage', ctx.access)
}

/** A newly created source: its page, which shows the progress. */
async function created(
  ctx: HttpContext,
  back: string,
  make: () => Promise<KnowledgeSource>
): Promise<void> {
  try {
    const source = await make()
    ctx.session.flash('success', ctx.i18n.t('knowledge.flash.added', { title: source.title }))
    return ctx.response.redirect(`${basePath(ctx)}/knowledge/${source.id}`)
  } catch (error) {
    // Past the plan's knowledge storage: said beside the content typed, which is kept.
    if (error instanceof PlanLimitError) {
      fieldError(ctx, 'title', planLimitMessage(error, ctx.i18n.t.bind(ctx.i18n)))
      return ctx.response.redirect(back)
    }
    if (!(error instanceof SourceError)) throw error
    fieldError(ctx, error.field ?? 'title', sourceMessage(ctx, error))
    return ctx.response.redirect(back)
  }
}

/** The service's refusal in the member's language where we have the words for it. */
function sourceMessage(ctx: HttpContext, error: SourceError) {
  const key = `knowledge.source_errors.${error.code}`
  if (!ctx.i18n.hasMessage(key)) return error.message
  return ctx.i18n.t(key, { max: maxMegabytes() })
}

function mimeOf(file: MultipartFile) {
  return file.type && file.subtype ? `${file.type}/${file.subtype}` : null
}

function basePath(ctx: HttpContext) {
  return workspaceLayout(ctx, 'knowledge').base
}

function rethrowNotFound(error: unknown) {
  if (error instanceof SourceError && error.status === 404) throw new lucidErrors.E_ROW_NOT_FOUND()
  if (!(error instanceof SourceError)) throw error
}
