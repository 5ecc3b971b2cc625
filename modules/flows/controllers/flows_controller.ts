import type { HttpContext } from '@adonisjs/core/http'
import { workspaceLayout } from '#modules/tenancy/index'
import { actorFromRequest, can } from '#modules/identity/index'
import {
  ChannelError,
  addSandboxChannel,
  defaultSandboxCustomer,
  sandboxChannelOf,
  sandboxConversationOf,
} from '#modules/channels/index'
import { listConnectors, listDatasets } from '#modules/data_engine/index'
import { listCampaigns, listSequences } from '#modules/pulse/index'
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
  snapshotDraft,
  updateFlow,
  type Flow,
  type FlowInput,
} from '../services/flow_service.js'
import { NODE_TYPES, QUESTION_KINDS, type GraphProblem } from '../services/graph.js'
import { graphProblems } from '../services/graph_references.js'
import { galleryFlow, galleryFlows } from '../services/gallery.js'
import { listBookingServices } from '../services/booking_service.js'
import { FlowSessionError, activeSessionOn, endSession, startSession } from '../services/runtime.js'
import { clock } from '#app/clock'

/** The canvas's texts (flows.canvas.*), handed to its script. */
const CANVAS_LABELS = `
  add add_button add_row add_rule added as_list branches button_title buttons_legend canvas
  choices choices_hint choose connect_cancelled connect_hint connect_port connected contact_field
  days delete_edge_hint delete_node deleted edge edge_deleted fit has_problems id_taken jump_to
  kind label_add label_remove limit list_button list_description list_text list_title
  media_document media_filename media_image media_link media_none media_type media_video
  list_title_field match match_all match_any max_retries minutes no_problems node_id node_id_hint
  nowhere on_consent on_field on_label on_variable op_contains op_exists op_not_exists palette
  panel panel_empty port_fallback port_false port_next port_true problems_title query question
  refused remove replies replies_buttons replies_list replies_none retry_text row_description
  row_title rows_legend rule_key rule_on rule_op rule_value rules_legend save save_failed saved
  saved_with_problems saving sequence service set_key set_target set_value source
  source_connector source_dataset task_details task_title text text_optional timeout_minutes
  unsaved url url_title variable variable_hint yes zoom_in zoom_out
  add_param choice_variable choice_variable_hint param_duplicate param_name param_name_missing
  param_required param_value params_declared params_hint params_legend query_hint
  results_variable results_variable_hint
  number_min number_max pattern pattern_hint task_wait_text taken_text confirm_text
`
  .trim()
  .split(/\s+/)

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

  /**
   * The canvas saves the draft: JSON `{graph}` in, `{problems}` out (200,
   * saved; the problems are what stops publishing, per node) or 422
   * `{code: 'invalid_graph', problems}` when it is no graph at all.
   */
  async saveGraph(ctx: HttpContext) {
    const { bouncer, access, tenant, request, response, params } = ctx
    await bouncer.with('FlowsPolicy').authorize('manage', access)
    const flow = await findFlowOrFail(tenant, params.id)
    try {
      const { problems } = await importGraph(tenant, flow.id, sentGraph(request))
      return response.ok({ saved: true, problems: explained(ctx, problems) })
    } catch (error) {
      if (!(error instanceof FlowError)) throw error
      return response.unprocessableEntity({
        code: error.code,
        problems: explained(ctx, error.problems),
      })
    }
  }

  /** Installs a gallery flow (in the language asked) as a new draft flow. */
  async install(ctx: HttpContext) {
    const { bouncer, access, tenant, request, response, session, i18n, params } = ctx
    await bouncer.with('FlowsPolicy').authorize('manage', access)
    const language = String(request.input('language') ?? i18n.locale)
    const ready = galleryFlow(params.key, language)
    if (!ready) return response.notFound(i18n.t('flows.errors.no_gallery_flow'))
    const flow = await createFlow(
      tenant,
      { name: ready.name, graph: ready.graph },
      ctx.auth.user?.id ?? null
    )
    session.flash('success', i18n.t('flows.flash.installed'))
    return response.redirect(`${workspaceLayout(ctx, 'flows').base}/flows/${flow.id}`)
  }

  /**
   * "Try it": the draft as it is now runs for the member's own sandbox
   * customer (a session on a draft snapshot, see snapshotDraft), and the
   * sandbox phone opens on it. A trial already running there is stopped.
   */
  async try(ctx: HttpContext) {
    const { bouncer, access, tenant, response, session, i18n, params } = ctx
    await bouncer.with('FlowsPolicy').authorize('manage', access)
    const flow = await findFlowOrFail(tenant, params.id)
    const base = workspaceLayout(ctx, 'flows').base
    const channel =
      (await sandboxChannelOf(tenant.id)) ??
      (can(access, 'channels.manage')
        ? await addSandboxChannel(
            { id: ctx.tenantRecord.id, slug: ctx.tenantRecord.slug },
            actorFromRequest(ctx),
            i18n.t('channels.sandbox.default_name')
          )
        : null)
    if (!channel) {
      session.flash('error', i18n.t('flows.errors.no_sandbox'))
      return response.redirect(`${base}/flows/${flow.id}`)
    }
    const customer = defaultSandboxCustomer(
      ctx.auth.user!,
      tenant.id,
      i18n.t('sandbox.customer.default_name')
    )
    try {
      const { versionId } = await snapshotDraft(tenant, flow.id, ctx.auth.user?.id ?? null)
      const { contactId, conversationId } = await sandboxConversationOf(tenant, channel, customer)
      const running = await activeSessionOn(tenant, conversationId)
      if (running) await endSession(tenant, running.id, 'stopped', 'tried_again', clock.now())
      await startSession(tenant, flow, { conversationId, contactId, source: 'try', versionId })
    } catch (error) {
      const known =
        error instanceof FlowError ||
        error instanceof FlowSessionError ||
        error instanceof ChannelError
      if (!known) throw error
      session.flash('error', i18n.t('flows.errors.try_failed'))
      return response.redirect(`${base}/flows/${flow.id}`)
    }
    const query = new URLSearchParams({ phone: customer.phone, name: customer.name })
    return response.redirect(`${workspaceLayout(ctx, 'sandbox').base}/sandbox?${query}`)
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
    gallery: galleryFlows(ctx.i18n.locale).map((ready) => ({
      key: ready.key,
      name: ready.name,
      description: ready.description,
      nodes: ready.graph.nodes.length,
    })),
    locale: ctx.i18n.locale === 'ar' ? 'ar' : 'en',
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
  const problems = explained(ctx, options.problems ?? (await graphProblems(tenant, flow.graph)))
  const canManage = can(access, 'flows.manage')
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
    canManage,
    outline: outlineOf(flow, problems),
    canvasJson: canManage ? scriptJson(await canvasData(ctx, flow, problems)) : null,
  })
}

/** Problems with their text in the member's language (`text`; `message` stays English). */
function explained(ctx: HttpContext, problems: GraphProblem[]) {
  return problems.map((problem) => ({
    ...problem,
    text: ctx.i18n.t(`flows.problems.${problem.code}`, {}, problem.message),
  }))
}

/**
 * The draft as a list (what the page shows without JavaScript, and beside
 * the canvas on a narrow screen): each node with its short text, its
 * branches and its problems.
 */
function outlineOf(flow: Flow, problems: GraphProblem[]) {
  return flow.graph.nodes.map((node, index) => ({
    id: node.id,
    type: node.type,
    start: index === 0,
    text: String(node.data?.text ?? node.data?.title ?? '').slice(0, 160),
    branches: flow.graph.edges
      .filter((edge) => edge.from === node.id)
      .map((edge) => ({ port: edge.port, to: edge.to })),
    problems: problems.filter((p) => p.node === node.id),
  }))
}

/** JSON to put in a <script type="application/json">: nothing in it can close the element. */
function scriptJson(value: unknown) {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/**
 * The graph of a JSON save as it was sent. The body parser turns every ""
 * into null, and a graph's empty texts (a connector parameter not filled
 * yet, a rule's value) must stay texts.
 */
function sentGraph(request: HttpContext['request']) {
  const raw = request.raw()
  if (raw && request.is(['json'])) {
    try {
      const body = JSON.parse(raw)
      if (body && typeof body === 'object' && 'graph' in body) return body.graph
    } catch {
      // Not JSON after all: what the parser made of it.
    }
  }
  return request.input('graph')
}

/** What the canvas starts from: the draft, its problems, and the workspace's own pickers. */
async function canvasData(ctx: HttpContext, flow: Flow, problems: GraphProblem[]) {
  const { tenant, i18n } = ctx
  const [datasets, connectors, sequences, services] = await Promise.all([
    listDatasets(tenant, { limit: 200 }),
    listConnectors(tenant),
    listSequences(tenant),
    listBookingServices(tenant),
  ])
  const pick = (rows: Array<{ id: string; name: string }>) =>
    rows.map((row) => ({ id: row.id, name: row.name }))
  return {
    graph: flow.graph,
    problems,
    saveUrl: `${workspaceLayout(ctx, 'flows').base}/flows/${flow.id}/graph`,
    types: NODE_TYPES.map((type) => ({ type, label: i18n.t(`flows.node_types.${type}`) })),
    kinds: QUESTION_KINDS.map((kind) => ({ kind, label: i18n.t(`flows.kinds.${kind}`) })),
    pickers: {
      dataset: pick(datasets.data),
      // With their parameters: the lookup's panel offers their names.
      connector: connectors.map((row) => ({
        id: row.id,
        name: row.name,
        parameters: row.parameters.map((p) => ({ name: p.name, required: p.required })),
      })),
      sequence: pick(sequences),
      service: pick(services),
    },
    labels: Object.fromEntries(CANVAS_LABELS.map((key) => [key, i18n.t(`flows.canvas.${key}`)])),
  }
}
