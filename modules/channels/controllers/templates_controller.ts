import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'
import type { MultipartFile } from '@adonisjs/core/bodyparser'
import { can } from '#modules/identity/index'
import { workspaceLayout } from '#modules/tenancy/index'
import Channel from '../models/channel.js'
import { ChannelError } from '../services/channel_errors.js'
import { listTemplates, templateFiltersFrom, TEMPLATE_STATUSES } from '../services/template_list.js'
import {
  submitTemplate,
  uploadHeaderSample,
  type HeaderSampleResult,
  type TemplateProblem,
} from '../services/template_service.js'
import {
  findTemplateSyncBatch,
  lastTemplateSyncs,
  startTemplateSync,
  templateChannelsOf,
} from '../services/template_sync_service.js'
import {
  BUTTON_KINDS,
  TEMPLATE_CATEGORIES,
  TEMPLATE_LANGUAGES,
  emptyTemplateForm,
  formErrorsFrom,
  templateFormFrom,
  templateFromForm,
  type TemplateForm,
} from '../validators/template_validator.js'
import { templatePreview } from '../services/template_preview.js'
import { isHtmx, wantsFragment } from '#app/http/htmx'
import { errors as lucidErrors } from '@adonisjs/lucid'

/** How variables are written, passed into messages (braces are syntax in translations). */
const VARIABLE_NAMES = { v1: '{{1}}', v2: '{{2}}' }

/**
 * WhatsApp message templates: the list per number with their review status,
 * "Sync now" with its progress, and a new template submitted for review.
 */
export default class TemplatesController {
  async index(ctx: HttpContext) {
    const { bouncer, request, view, access, tenant } = ctx
    await bouncer.with('TemplatesPolicy').authorize('view', access)
    const layout = workspaceLayout(ctx, 'templates')
    const channels = await whatsAppChannels(tenant.id)
    const filters = templateFiltersFrom(request.qs(), channels)
    const [groups, lastSyncs] = await Promise.all([
      listTemplates(tenant, channels, filters),
      lastTemplateSyncs(tenant),
    ])
    const data = {
      base: layout.base,
      filters,
      channels,
      statuses: TEMPLATE_STATUSES,
      groups: groups.map((group) => ({
        ...group,
        lastSync: lastSyncs.get(group.channel.id) ?? null,
      })),
      total: groups.reduce((sum, group) => sum + group.templates.length, 0),
      filtered: !!(filters.q || filters.status || filters.channelId),
      canManage: can(access, 'templates.manage'),
    }
    if (wantsFragment(request, 'template-results')) {
      return view.render('channels::templates/results', data)
    }
    return view.render('channels::templates/index', {
      ...layout,
      ...data,
      stylesheets: ['/assets/templates.css'],
    })
  }

  /** "Sync now": a background sync per number, then the page that follows them. */
  async sync(ctx: HttpContext) {
    const { bouncer, response, session, access, tenant, auth, i18n } = ctx
    await bouncer.with('TemplatesPolicy').authorize('manage', access)
    const base = workspaceLayout(ctx, 'templates').base
    try {
      const batchId = await startTemplateSync(tenant, auth.user!.id)
      return response.redirect(`${base}/templates/sync/${batchId}`)
    } catch (error) {
      if (!(error instanceof ChannelError) || error.code !== 'no_whatsapp_channel') throw error
      session.flash('error', i18n.t('templates.sync.no_channel'))
      return response.redirect(`${base}/templates`)
    }
  }

  async syncProgress(ctx: HttpContext) {
    const { bouncer, request, view, access, tenant, params } = ctx
    await bouncer.with('TemplatesPolicy').authorize('view', access)
    const batch = await findTemplateSyncBatch(tenant, params.id)
    if (!batch) throw new lucidErrors.E_ROW_NOT_FOUND()
    const layout = workspaceLayout(ctx, 'templates')
    const data = { base: layout.base, batch }
    if (wantsFragment(request, 'template-sync-progress')) {
      return view.render('channels::templates/sync_progress', data)
    }
    return view.render('channels::templates/sync', {
      ...layout,
      ...data,
      stylesheets: ['/assets/templates.css'],
    })
  }

  async create(ctx: HttpContext) {
    const { bouncer, request, access, tenant, session } = ctx
    await bouncer.with('TemplatesPolicy').authorize('manage', access)
    const channels = await templateChannelsOf(tenant.id)
    // Back from a refused submit without JavaScript: the form as typed, with its messages.
    const refused = session.flashMessages.get('templateRefused') as FlashedRefusal | undefined
    if (refused) {
      return renderForm(ctx, channels, refused.form, refused.fieldErrors, refused.formError)
    }
    const asked = String(request.qs().channel ?? '')
    const channelId = channels.find((c) => c.id === asked)?.id ?? channels[0]?.id ?? ''
    return renderForm(ctx, channels, emptyTemplateForm(channelId), {}, null)
  }

  async store(ctx: HttpContext) {
    const { bouncer, request, response, session, access, tenant, i18n } = ctx
    await bouncer.with('TemplatesPolicy').authorize('manage', access)
    const channels = await templateChannelsOf(tenant.id)
    const form = templateFormFrom(request.all())
    const channel = channels.find((c) => c.id === form.channel_id)
    const translate = (problem: TemplateProblem) =>
      i18n.t(`templates.errors.${problem.rule}`, { ...VARIABLE_NAMES, ...problem.params })
    if (!channel) {
      return refuse(ctx, channels, form, { channel_id: i18n.t('templates.errors.channel') }, null)
    }
    // A media header's sample goes to Meta first; its handle stays in the
    // form, so a submit refused for anything else does not ask for it again.
    const sample = chosenFile(request.file('header_sample'))
    if (sample && ['IMAGE', 'VIDEO', 'DOCUMENT'].includes(form.header_format)) {
      const uploaded: HeaderSampleResult = sample.hasErrors
        ? { ok: false, rule: 'header_media_example' }
        : await uploadHeaderSample(channel, form.header_format, {
            bytes: await readFile(sample.tmpPath!),
            mimeType: sample.type && sample.subtype ? `${sample.type}/${sample.subtype}` : '',
            filename: sample.clientName,
          })
      if (!uploaded.ok) {
        const message = i18n.t(`templates.errors.${uploaded.rule}`, {
          ...VARIABLE_NAMES,
          ...uploaded.params,
        })
        return refuse(ctx, channels, form, { header_sample: message }, null)
      }
      form.header_handle = uploaded.handle
      form.header_sample_name = sample.clientName
    }
    try {
      const template = await submitTemplate(tenant, channel, templateFromForm(form))
      session.flash(
        'success',
        i18n.t('templates.flash.submitted', { name: template.name, language: template.language })
      )
      return response.redirect(`${workspaceLayout(ctx, 'templates').base}/templates`)
    } catch (error) {
      if (!(error instanceof ChannelError)) throw error
      const fields = (error as ChannelError & { fields?: TemplateProblem[] }).fields
      if (fields?.length) {
        return refuse(ctx, channels, form, formErrorsFrom(fields, form, translate), null)
      }
      if (error.code === 'template_refused') {
        const message = i18n.t('templates.errors.refused', { reason: error.message })
        return refuse(ctx, channels, form, {}, message)
      }
      throw error
    }
  }
}

/** A file input's file, or null when none was chosen (browsers send an empty part). */
function chosenFile(file: MultipartFile | null) {
  return file && file.clientName && file.size > 0 ? file : null
}

/** Every WhatsApp number of the tenant, disabled ones too: their templates are still listed. */
function whatsAppChannels(tenantId: string) {
  return Channel.query()
    .where('tenant_id', tenantId)
    .where('type', 'whatsapp')
    .orderBy('created_at')
}

interface FlashedRefusal {
  form: TemplateForm
  fieldErrors: Record<string, string>
  formError: string | null
}

/**
 * A refused submit: for htmx (boosted forms) the form again at once, 422,
 * as typed with a message per field; without JavaScript the same page after
 * a redirect (post/redirect/get), so a reload does not submit again.
 */
function refuse(
  ctx: HttpContext,
  channels: Channel[],
  form: TemplateForm,
  fieldErrors: Record<string, string>,
  formError: string | null
) {
  if (isHtmx(ctx.request)) {
    return renderForm(ctx, channels, form, fieldErrors, formError, 422)
  }
  ctx.session.flash('templateRefused', { form, fieldErrors, formError } satisfies FlashedRefusal)
  return ctx.response.redirect(`${workspaceLayout(ctx, 'templates').base}/templates/new`)
}

function renderForm(
  ctx: HttpContext,
  channels: Channel[],
  form: TemplateForm,
  fieldErrors: Record<string, string>,
  formError: string | null,
  status = 200
) {
  const { view, response, i18n } = ctx
  const layout = workspaceLayout(ctx, 'templates')
  const names = new Intl.DisplayNames([i18n.locale], { type: 'language' })
  const languageName = (code: string) => {
    try {
      return names.of(code.replace('_', '-')) ?? code
    } catch {
      return code
    }
  }
  response.status(status)
  return view.render('channels::templates/new', {
    ...layout,
    stylesheets: ['/assets/templates.css'],
    scripts: ['/assets/templates.js'],
    channels,
    form,
    fieldErrors,
    formError,
    hasErrors: !!formError || Object.keys(fieldErrors).length > 0,
    preview: templatePreview(form),
    languages: TEMPLATE_LANGUAGES.map((code) => ({
      value: code,
      label: `${languageName(code)} (${code})`,
    })),
    categories: TEMPLATE_CATEGORIES,
    headerFormats: ['NONE', 'TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT'],
    buttonKinds: BUTTON_KINDS,
    vars: VARIABLE_NAMES,
  })
}
