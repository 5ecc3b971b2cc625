import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'
import app from '@adonisjs/core/services/app'
import {
  ApiError,
  idempotent,
  pageBody,
  pageRequestFrom,
  sendJson,
  validateApiBody,
  validateApiQuery,
} from '#app/http/api/index'
import {
  createFaqSource,
  createFileSource,
  createTextSource,
  createUrlSource,
  deleteSource,
  findSource,
  pageOfSources,
  refetchSource,
} from '../../services/source_service.js'
import { createSourceBody, sourceListQuery } from '../../validators/brain_api_validator.js'
import { presentSource, rethrowAsApiError } from './api_presenters.js'

/**
 * /api/v1/brain/sources: what n8n or Zapier teaches the brain. A new source
 * answers 202 at once (ingestion is a job); its status, version and chunk
 * count are read back with GET until it is ready or failed. Another
 * tenant's source is simply not found (the queries run in this tenant's
 * schema).
 */
export default class SourcesApiController {
  async index(ctx: HttpContext) {
    const page = pageRequestFrom(ctx.request.qs())
    const filters = await validateApiQuery(ctx, sourceListQuery)
    const { rows, nextCursor } = await pageOfSources(ctx.tenant, filters, page)
    return sendJson(ctx, 200, pageBody(rows.map(presentSource), nextCursor))
  }

  async show(ctx: HttpContext) {
    const source = await findSource(ctx.tenant, ctx.params.id)
    if (!source) throw sourceNotFound()
    return sendJson(ctx, 200, presentSource(source))
  }

  /**
   * A multipart upload (`file`, with `title` and `tags` optional) or JSON:
   * {url}, {title, text} or {title, pairs}. With an Idempotency-Key a
   * retried request creates the source once.
   */
  async store(ctx: HttpContext) {
    return idempotent(ctx, async () => {
      const source = ctx.request.is(['multipart'])
        ? await this.storeFile(ctx)
        : await this.storeJson(ctx)
      return {
        status: 202,
        body: presentSource(source),
        headers: { Location: `/api/v1/brain/sources/${source.id}` },
      }
    })
  }

  async destroy(ctx: HttpContext) {
    if (!(await deleteSource(ctx.tenant, ctx.params.id))) throw sourceNotFound()
    return ctx.response.status(204).send('')
  }

  /** Ingests a source again: a web page is fetched anew, other kinds re-read. */
  async refetch(ctx: HttpContext) {
    const source = await findSource(ctx.tenant, ctx.params.id)
    if (!source) throw sourceNotFound()
    const queued = await refetchSource(ctx.tenant, source.id).catch(rethrowAsApiError)
    return sendJson(ctx, 202, presentSource(queued))
  }

  private async storeFile(ctx: HttpContext) {
    const file = ctx.request.file('file')
    if (!file || !file.tmpPath) {
      throw new ApiError(422, 'validation_failed', 'The request is invalid', {
        file: ['Attach the document as the multipart field "file"'],
      })
    }
    const limit = app.config.get<number>('brain.maxFileBytes')
    if (file.size > limit) {
      const mb = Math.round((limit / 1024 / 1024) * 10) / 10
      throw new ApiError(413, 'too_large', `The file is larger than the ${mb} MB limit`, {
        file: [`At most ${mb} MB`],
      })
    }
    const body = ctx.request.body()
    const title = typeof body.title === 'string' ? body.title : null
    return createFileSource(
      ctx.tenant,
      {
        bytes: await readFile(file.tmpPath),
        filename: file.clientName,
        mimeType: file.type && file.subtype ? `${file.type}/${file.subtype}` : null,
      },
      { title, tags: multipartTags(body.tags) }
    ).catch(rethrowAsApiError)
  }

  private async storeJson(ctx: HttpContext) {
    const data = await validateApiBody(ctx, createSourceBody)
    const given = (['url', 'text', 'pairs'] as const).filter((name) => data[name] !== undefined)
    if (given.length !== 1) {
      const message = 'Give exactly one of url, text (with title) or pairs (with title)'
      throw new ApiError(
        422,
        'validation_failed',
        message,
        Object.fromEntries(
          (given.length ? given : ['url', 'text', 'pairs']).map((n) => [n, [message]])
        )
      )
    }
    const details = { title: data.title ?? null, tags: data.tags ?? [] }
    const make = () => {
      if (data.url !== undefined) return createUrlSource(ctx.tenant, { ...details, url: data.url })
      if (data.text !== undefined) {
        return createTextSource(ctx.tenant, {
          ...details,
          title: data.title ?? '',
          text: data.text,
        })
      }
      return createFaqSource(ctx.tenant, {
        ...details,
        title: data.title ?? '',
        pairs: data.pairs!,
      })
    }
    return make().catch((error) => rethrowAsApiError(error, given[0]))
  }
}

/** Tags in a multipart form: repeated `tags` fields, or one comma-separated field. */
function multipartTags(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]
  return list
    .flatMap((item) => String(item).split(','))
    .map((tag) => tag.trim())
    .filter(Boolean)
}

function sourceNotFound() {
  return new ApiError(404, 'not_found', 'No such source')
}
