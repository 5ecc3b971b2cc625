import type { HttpContext } from '@adonisjs/core/http'
import { workspaceLayout } from '#modules/tenancy/index'
import { can } from '#modules/identity/index'
import { listCampaigns } from '#modules/pulse/index'
import {
  FlowError,
  createFlow,
  findFlowOrFail,
  findVersion,
  flowStats,
  importGraph,
  listFlows,
  nodeStats,
  publishFlow,
  updateFlow,
  type Flow,
  type FlowInput,
} from '../services/flow_service.js'
import { validateGraph, type GraphProblem } from '../services/graph.js'

interface SettingsForm {
  name: string
  keywords: string
  firstMessage: boolean
  webchatStart: boolean
  payloads: string
  /** Ad or post ids (a referral's source_id), "*" any. */
  referrals: string
  /** '' (none), '*' (any campaign) or a campaign's id. */
  campaign: string
  expiryHours: string
  expiryMessage: string
  fallback: string
}

/**
 * Flows' workspace pages: the list with each flow's figures, and a flow's
 * page (settings and triggers, its published version, starts, completions
 * and drop-off per node, JSON import and export, publishing). Everyone
 * sees them; admins and owners change them (FlowsPolicy). The server
 * validates every graph: an import or a publish that fails shows the
 * problems per node.
 */
export default class FlowsController {
  async index(ctx: HttpContext) {
    await ctx.bouncer.with('FlowsPolicy').authorize('view', ctx.access)
    return renderIndex(ctx, { name: '' }, {})
  }

  async store(ctx: HttpContext) {
    const { bouncer, access, tenant, request, response, session, i18n } = ctx
    await bouncer.with('FlowsPolicy').authorize('manage', access)
    const name = String(request.input('name') ?? '').trim()
    try {
      const flow = await createFlow(tenant, { name }, ctx.auth.user?.id ?? null)
      session.flash('success', i18n.t('flows.flash.created'))
      return response.redirect(`${workspaceLayout(ctx, 'flows').base}/flows/${flow.id}`)
    } catch (error) {
      if (!(error instanceof FlowError)) throw error
      return renderIndex(
        ctx,
        { name },
        { [error.field ?? 'name']: i18n.t('flows.errors.name') },
        422
      )
    }
  }

  async show(ctx: HttpContext) {
    await ctx.bouncer.with('FlowsPolicy').authorize('view', ctx.access)
    const flow = await findFlowOrFail(ctx.tenant, ctx.params.id)
    return renderFlow(ctx, flow, { form: formOf(flow) })
  }

  async update(ctx: HttpContext) {
    const { bouncer, access, tenant, request, response, session, i18n, params } = ctx
    await bouncer.with('FlowsPolicy').authorize('manage', access)
    const flow = await findFlowOrFail(tenant, params.id)
    const form: SettingsForm = {
      name: String(request.input('name') ?? '').trim(),
      keywords: String(request.input('keywords') ?? ''),
      firstMessage: request.input('first_message') === 'on',
      webchatStart: request.input('webchat_start') === 'on',
      payloads: String(request.input('payloads') ?? ''),
      referrals: String(request.input('referrals') ?? ''),
      campaign: String(request.input('campaign') ?? '').trim(),
      expiryHours: String(request.input('expiry_hours') ?? '24').trim(),
      expiryMessage: String(request.input('expiry_message') ?? ''),
      fallback: String(request.input('fallback') ?? 'handoff'),
    }
    const campaigns = await listCampaigns(tenant)
    if (form.campaign && form.campaign !== '*' && !campaigns.some((c) => c.id === form.campaign)) {
      return renderFlow(ctx, flow, {
        form,
        errors: { campaign: i18n.t('flows.errors.campaign') },
        status: 422,
      })
    }
    try {
      await updateFlow(tenant, flow.id, inputOf(form, flow))
      session.flash('success', i18n.t('flows.flash.saved'))
      return response.redirect(`${workspaceLayout(ctx, 'flows').base}/flows/${flow.id}`)
    } catch (error) {
      if (!(error instanceof FlowError)) throw error
      const field = error.field ?? 'name'
      return renderFlow(ctx, flow, {
        form,
        errors: { [field]: i18n.t(`flows.errors.${field}`) },
        status: 422,
      })
    }
  }

  async import(ctx: HttpContext) {
    const { bouncer, access, tenant, request, response, session, i18n, params } = ctx
    await bouncer.with('FlowsPolicy').authorize('manage', access)
    const flow = await findFlowOrFail(tenant, params.id)
    const file = request.file('file', { size: '1mb', extnames: ['json'] })
    let text = String(request.input('graph') ?? '')
    if (file?.isValid && file.tmpPath) {
      const { readFile } = await import('node:fs/promises')
      text = await readFile(file.tmpPath, 'utf8')
    }
    try {
      const { problems } = await importGraph(tenant, flow.id, text)
      if (problems.length) {
        const updated = await findFlowOrFail(tenant, flow.id)
        return renderFlow(ctx, updated, {
          form: formOf(updated),
          problems,
          notice: i18n.t('flows.flash.imported_with_problems'),
        })
      }
      session.flash('success', i18n.t('flows.flash.imported'))
      return response.redirect(`${workspaceLayout(ctx, 'flows').base}/flows/${flow.id}`)
    } catch (error) {
      if (!(error instanceof FlowError)) throw error
      return renderFlow(ctx, flow, {
        form: formOf(flow),
        problems: error.problems,
        importText: text,
        importFailed: true,
        status: 422,
      })
    }
  }

  async publish(ctx: HttpContext) {
    const { bouncer, access, tenant, response, session, i18n, params } = ctx
    await bouncer.with('FlowsPolicy').authorize('manage', access)
    const flow = await findFlowOrFail(tenant, params.id)
    try {
      const published = await publishFlow(tenant, flow.id, ctx.auth.user?.id ?? null)
      session.flash('success', i18n.t('flows.flash.published', { version: published.version }))
      return response.redirect(`${workspaceLayout(ctx, 'flows').base}/flows/${flow.id}`)
    } catch (error) {
      if (!(error instanceof FlowError)) throw error
      return renderFlow(ctx, flow, {
        form: formOf(flow),
        problems: error.problems,
        publishFailed: true,
        status: 422,
      })
    }
  }

  /** The graph as JSON: the draft, or `?version=published`. */
  async export(ctx: HttpContext) {
    await ctx.bouncer.with('FlowsPolicy').authorize('view', ctx.access)
    const flow = await findFlowOrFail(ctx.tenant, ctx.params.id)
    let graph = flow.graph
    if (ctx.request.input('version') === 'published' && flow.publishedVersionId) {
      const version = await findVersion(ctx.tenant, flow.publishedVersionId)
      graph = version?.graph ?? graph
    }
    const name = flow.name.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '') || 'flow'
    ctx.response.header('Content-Type', 'application/json; charset=utf-8')
    ctx.response.header(
      'Content-Disposition',
      `attachment; filename="${encodeURIComponent(name)}.json"`
    )
    return ctx.response.send(JSON.stringify(graph, null, 2))
  }
}

async function renderIndex(
  ctx: HttpContext,
  form: { name: string },
  errors: Record<string, string>,
  status = 200
) {
  const flows = await listFlows(ctx.tenant)
  const stats = await flowStats(
    ctx.tenant,
    flows.map((f) => f.id)
  )
  ctx.response.status(status)
  return ctx.view.render('flows::flows/index', {
    ...workspaceLayout(ctx, 'flows'),
    flows: flows.map((flow) => ({ ...flow, stats: stats.get(flow.id)! })),
    form,
    errors,
    canManage: can(ctx.access, 'flows.manage'),
  })
}

function formOf(flow: Flow): SettingsForm {
  return {
    name: flow.name,
    keywords: flow.triggers.keywords.join(', '),
    firstMessage: flow.triggers.first_message,
    webchatStart: flow.triggers.webchat_start,
    payloads: flow.triggers.payloads.join(', '),
    referrals: flow.triggers.referrals.join(', '),
    campaign: flow.triggers.campaign_ids[0] ?? '',
    expiryHours: String(flow.expiryHours),
    expiryMessage: flow.expiryMessage ?? '',
    fallback: flow.fallback,
  }
}

const listOf = (text: string) =>
  text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean)

function inputOf(form: SettingsForm, flow: Flow): FlowInput {
  const hours = Number(form.expiryHours)
  return {
    name: form.name,
    triggers: {
      ...flow.triggers,
      keywords: listOf(form.keywords),
      payloads: listOf(form.payloads),
      referrals: listOf(form.referrals),
      campaign_ids: form.campaign ? [form.campaign] : [],
      first_message: form.firstMessage,
      webchat_start: form.webchatStart,
    },
    expiryHours: Number.isFinite(hours) ? hours : Number.NaN,
    expiryMessage: form.expiryMessage,
    fallback: form.fallback as FlowInput['fallback'],
  }
}

async function renderFlow(
  ctx: HttpContext,
  flow: Flow,
  options: {
    form: SettingsForm
    errors?: Record<string, string>
    problems?: GraphProblem[]
    notice?: string
    importText?: string
    importFailed?: boolean
    publishFailed?: boolean
    status?: number
  }
) {
  const { tenant, view, response, access } = ctx
  const [stats, perNode, version, campaigns] = await Promise.all([
    flowStats(tenant, [flow.id]),
    nodeStats(tenant, flow.id),
    flow.publishedVersionId ? findVersion(tenant, flow.publishedVersionId) : null,
    listCampaigns(tenant),
  ])
  const graph = version?.graph ?? flow.graph
  const nodes = graph.nodes.map((node) => ({
    id: node.id,
    type: node.type,
    reached: perNode.get(node.id)?.reached ?? 0,
    dropped: perNode.get(node.id)?.dropped ?? 0,
  }))
  const problems = options.problems ?? validateGraph(flow.graph)
  response.status(options.status ?? 200)
  return view.render('flows::flows/show', {
    ...workspaceLayout(ctx, 'flows'),
    flow,
    version,
    stats: stats.get(flow.id)!,
    nodes,
    draftNodes: flow.graph.nodes.length,
    campaigns: campaigns.map((c) => ({ id: c.id, name: c.name })),
    problems,
    form: options.form,
    errors: options.errors ?? {},
    notice: options.notice ?? null,
    importText: options.importText ?? '',
    importFailed: options.importFailed ?? false,
    publishFailed: options.publishFailed ?? false,
    canManage: can(access, 'flows.manage'),
  })
}
