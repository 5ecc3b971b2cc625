import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import { workspaceLayout } from '#modules/tenancy/index'
import { can } from '#modules/identity/index'
import { listContactFields, type ContactFilter } from '#modules/inbox/index'
import { wantsFragment } from '#app/http/htmx'
import {
  PREVIEW_SIZE,
  SegmentFilterError,
  createSegment,
  deleteSegment,
  findSegmentOrFail,
  listSegments,
  previewSegment,
  segmentCount,
  updateSegment,
} from '../services/segment_service.js'
import { segmentValidator } from '../validators/segment_validator.js'
import { editorView } from '../presenters/segment_presenter.js'

/**
 * Segments: saved audiences. The editor previews the count and the first
 * matches as conditions change (htmx posts the form to /segments/preview);
 * without JavaScript its Preview button does the same with a full page.
 */
export default class SegmentsController {
  async index(ctx: HttpContext) {
    const { bouncer, view, access, tenant } = ctx
    await bouncer.with('SegmentsPolicy').authorize('view', access)
    const segments = await listSegments(tenant)
    const counts = await Promise.all(segments.map((segment) => segmentCount(tenant, segment)))
    return view.render('pulse::segments/index', {
      ...workspaceLayout(ctx, 'segments'),
      segments: segments.map((segment, i) => ({ segment, count: counts[i] })),
      canManage: can(access, 'segments.manage'),
      // A segment's contacts as CSV: the contact list's export, for those who may export.
      canExport: can(access, 'contacts.bulk'),
    })
  }

  async create(ctx: HttpContext) {
    const { bouncer, access } = ctx
    await bouncer.with('SegmentsPolicy').authorize('manage', access)
    return renderEditor(ctx, { segment: null, name: '', input: { match: 'all', conditions: [] } })
  }

  /** The live preview: a fragment for htmx, else the editor page with it. */
  async preview(ctx: HttpContext) {
    const { bouncer, access, request } = ctx
    await bouncer.with('SegmentsPolicy').authorize('view', access)
    const input = filterInput(request.all())
    if (wantsFragment(request, 'segment-preview')) {
      const preview = await previewSegment(ctx.tenant, input)
      return ctx.view.render('pulse::segments/_preview', {
        preview,
        previewSize: PREVIEW_SIZE,
        base: workspaceLayout(ctx, 'segments').base,
      })
    }
    const segmentId = String(request.input('segment_id') ?? '')
    const segment = segmentId ? await findSegmentOrFail(ctx.tenant, segmentId) : null
    return renderEditor(ctx, {
      segment,
      name: String(request.input('name') ?? ''),
      input,
      extraRow: request.input('add_row') !== undefined,
    })
  }

  async store(ctx: HttpContext) {
    const { bouncer, access, request, response, session, i18n, tenant } = ctx
    await bouncer.with('SegmentsPolicy').authorize('manage', access)
    const input = filterInput(request.all())
    const name = await validName(ctx)
    if (name === null) return renderEditor(ctx, { segment: null, name: '', input, status: 422 })
    try {
      const segment = await createSegment(tenant, { name, filter: input })
      session.flash('success', i18n.t('pulse.segments.flash.created', { name: segment.name }))
      return response.redirect(`${workspaceLayout(ctx, 'segments').base}/segments/${segment.id}`)
    } catch (error) {
      if (!(error instanceof SegmentFilterError)) throw error
      return renderEditor(ctx, { segment: null, name, input, status: 422 })
    }
  }

  async show(ctx: HttpContext) {
    const { bouncer, access, params, tenant } = ctx
    await bouncer.with('SegmentsPolicy').authorize('view', access)
    const segment = await findSegmentOrFail(tenant, params.id)
    return renderEditor(ctx, { segment, name: segment.name, input: segment.filter })
  }

  async update(ctx: HttpContext) {
    const { bouncer, access, params, request, response, session, i18n, tenant } = ctx
    await bouncer.with('SegmentsPolicy').authorize('manage', access)
    const segment = await findSegmentOrFail(tenant, params.id)
    const input = filterInput(request.all())
    const name = await validName(ctx)
    if (name === null) return renderEditor(ctx, { segment, name: '', input, status: 422 })
    try {
      const saved = await updateSegment(tenant, segment.id, { name, filter: input })
      session.flash('success', i18n.t('pulse.segments.flash.saved', { name: saved.name }))
      return response.redirect(`${workspaceLayout(ctx, 'segments').base}/segments/${saved.id}`)
    } catch (error) {
      if (!(error instanceof SegmentFilterError)) throw error
      return renderEditor(ctx, { segment, name, input, status: 422 })
    }
  }

  async destroy(ctx: HttpContext) {
    const { bouncer, access, params, response, session, i18n, tenant } = ctx
    await bouncer.with('SegmentsPolicy').authorize('manage', access)
    const segment = await deleteSegment(tenant, params.id)
    session.flash('success', i18n.t('pulse.segments.flash.deleted', { name: segment.name }))
    return response.redirect(`${workspaceLayout(ctx, 'segments').base}/segments`)
  }
}

/** The filter as the form posts it: `match` and `conditions[i][field|op|value|value2]`. */
function filterInput(body: Record<string, unknown>) {
  return { match: body.match, conditions: body.conditions }
}

async function validName(ctx: HttpContext): Promise<string | null> {
  try {
    const data = await ctx.request.validateUsing(segmentValidator, {
      meta: { t: (key: string, values?: Record<string, unknown>) => ctx.i18n.t(key, values) },
    })
    return data.name
  } catch (error) {
    if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
    return null
  }
}

async function renderEditor(
  ctx: HttpContext,
  options: {
    segment: { id: string; name: string } | null
    name: string
    input: { match?: unknown; conditions?: unknown } | ContactFilter
    extraRow?: boolean
    status?: number
  }
) {
  const fields = await listContactFields(ctx.tenant)
  const preview = await previewSegment(ctx.tenant, options.input)
  if (options.status) ctx.response.status(options.status)
  const layout = workspaceLayout(ctx, 'segments')
  return ctx.view.render('pulse::segments/edit', {
    ...layout,
    segment: options.segment,
    name: options.name,
    nameMissing: options.status === 422 && !options.name,
    editor: editorView(ctx, {
      filter: preview.filter,
      fields,
      problems: preview.problems,
      extraRow: options.extraRow,
    }),
    preview,
    previewSize: PREVIEW_SIZE,
    canManage: can(ctx.access, 'segments.manage'),
  })
}
