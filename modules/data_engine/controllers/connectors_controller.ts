import { errors as lucidErrors } from '@adonisjs/lucid'
import type { HttpContext } from '@adonisjs/core/http'
import { can } from '#modules/identity/index'
import { workspaceLayout } from '#modules/tenancy/index'
import { SECRET_FIELDS } from '#app/http/form_errors'
import { DatasetError } from '../services/dataset_service.js'
import {
  AUTH_MODES,
  CONNECTOR_LIMITS,
  CONNECTOR_METHODS,
  PARAMETER_TYPES,
  callConnector,
  createConnector,
  deleteConnector,
  findConnector,
  listConnectors,
  updateConnector,
  type Connector,
  type ConnectorCall,
  type ConnectorInput,
} from '../services/connector_service.js'

/** Form rows offered for parameters, mapped fields and headers (filled ones plus spares). */
const SPARE_ROWS = 2

/**
 * The workspace's API connectors: the list, a connector's form (the call,
 * its auth, parameters, response mapping and reply), "Try it" with sample
 * values showing the request sent (secret masked) and the mapped result,
 * and deletion. Owners and admins manage connectors (datasets.manage); the
 * secret is never rendered, not even into a re-shown form.
 */
export default class ConnectorsController {
  async index(ctx: HttpContext) {
    const { bouncer, view, access, tenant } = ctx
    await bouncer.with('DatasetPolicy').authorize('view', access)
    return view.render('data_engine::connectors/index', {
      ...page(ctx),
      connectors: await listConnectors(tenant),
      canManage: can(access, 'datasets.manage'),
    })
  }

  async create(ctx: HttpContext) {
    await ctx.bouncer.with('DatasetPolicy').authorize('manage', ctx.access)
    return ctx.view.render('data_engine::connectors/form', {
      ...page(ctx),
      ...formData(ctx, null),
    })
  }

  async store(ctx: HttpContext) {
    const { bouncer, response, access, tenant, auth, session, i18n } = ctx
    await bouncer.with('DatasetPolicy').authorize('manage', access)
    const base = page(ctx).base
    try {
      const connector = await createConnector(tenant, formInput(ctx), auth.user!.id)
      session.flash('success', i18n.t('connectors.flash.saved', { name: connector.name }))
      return response.redirect(`${base}/connectors/${connector.id}`)
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error
      flashError(ctx, error)
      return response.redirect(`${base}/connectors/new`)
    }
  }

  async show(ctx: HttpContext) {
    const { bouncer, view, access, tenant, params } = ctx
    await bouncer.with('DatasetPolicy').authorize('manage', access)
    const connector = await findConnector(tenant, params.id)
    if (!connector) throw new lucidErrors.E_ROW_NOT_FOUND()
    return view.render('data_engine::connectors/form', {
      ...page(ctx),
      ...formData(ctx, connector),
    })
  }

  async update(ctx: HttpContext) {
    const { bouncer, response, access, tenant, params, session, i18n } = ctx
    await bouncer.with('DatasetPolicy').authorize('manage', access)
    const url = `${page(ctx).base}/connectors/${params.id}`
    const connector = await findConnector(tenant, params.id)
    if (!connector) throw new lucidErrors.E_ROW_NOT_FOUND()
    try {
      await updateConnector(tenant, connector.id, formInput(ctx))
      session.flash('success', i18n.t('connectors.flash.saved', { name: connector.name }))
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error
      flashError(ctx, error)
    }
    return response.redirect(url)
  }

  /** "Try it": the call made with the sample values, shown on the connector's page. */
  async test(ctx: HttpContext) {
    const { bouncer, view, access, tenant, params, request } = ctx
    await bouncer.with('DatasetPolicy').authorize('manage', access)
    const connector = await findConnector(tenant, params.id)
    if (!connector) throw new lucidErrors.E_ROW_NOT_FOUND()
    const samples: Record<string, string> = {}
    connector.parameters.forEach((parameter, index) => {
      samples[parameter.name] = String(request.input(`try_${index}`, '') ?? '').slice(0, 500)
    })
    const call = await callConnector(tenant, connector, samples, { useCache: false })
    return view.render('data_engine::connectors/form', {
      ...page(ctx),
      ...formData(ctx, connector, samples),
      trial: present(call),
    })
  }

  async destroy(ctx: HttpContext) {
    const { bouncer, response, access, tenant, params, session, i18n } = ctx
    await bouncer.with('DatasetPolicy').authorize('manage', access)
    const connector = await findConnector(tenant, params.id)
    if (!connector) throw new lucidErrors.E_ROW_NOT_FOUND()
    await deleteConnector(tenant, connector.id)
    session.flash('success', i18n.t('connectors.flash.deleted', { name: connector.name }))
    return response.redirect(`${page(ctx).base}/connectors`)
  }
}

function page(ctx: HttpContext) {
  const layout = workspaceLayout(ctx, 'connectors')
  return { ...layout, base: layout.base, stylesheets: ['/assets/datasets.css'], scripts: [] }
}

/** Flashes the error on its field and what was typed, never the secret. */
function flashError(ctx: HttpContext, error: DatasetError) {
  ctx.session.flashExcept(['_csrf', '_method', ...SECRET_FIELDS, 'auth_secret'])
  ctx.session.flash('inputErrorsBag', { [error.field ?? 'name']: [error.message] })
}

function rows(ctx: HttpContext, prefix: string, keys: string[], max: number) {
  const out: Record<string, unknown>[] = []
  for (let i = 0; i < max + SPARE_ROWS; i++) {
    const entry: Record<string, unknown> = {}
    for (const key of keys) entry[key] = ctx.request.input(`${prefix}${i}_${key}`)
    out.push(entry)
  }
  return out
}

function formInput(ctx: HttpContext): ConnectorInput {
  const { request } = ctx
  return {
    name: request.input('name'),
    description: request.input('description'),
    method: request.input('method'),
    url_template: request.input('url_template'),
    body_template: request.input('body_template'),
    auth_mode: request.input('auth_mode'),
    auth_name: request.input('auth_name'),
    auth_username: request.input('auth_username'),
    auth_secret: request.input('auth_secret'),
    clear_secret: request.input('clear_secret'),
    headers: rows(ctx, 'h', ['name', 'value'], CONNECTOR_LIMITS.headers),
    parameters: rows(
      ctx,
      'p',
      ['name', 'type', 'pattern', 'required', 'example'],
      CONNECTOR_LIMITS.parameters
    ).map(
      // An unticked box sends nothing: a named parameter without it is optional.
      (entry) => ({ ...entry, required: entry.required ?? 'false' })
    ),
    mapping: rows(ctx, 'm', ['name', 'path'], CONNECTOR_LIMITS.mapping),
    reply_template: request.input('reply_template'),
    triggers: request.input('triggers'),
    timeout_ms: request.input('timeout_ms'),
    cache_seconds: request.input('cache_seconds'),
    answers_customers: request.input('answers_customers'),
  }
}

/** The form's rows: the connector's own, then spares up to the limit. */
function formData(
  ctx: HttpContext,
  connector: Connector | null,
  samples: Record<string, string> = {}
) {
  const { i18n } = ctx
  const fill = <T>(items: T[], max: number, empty: T) =>
    [...items, ...Array.from({ length: SPARE_ROWS }, () => empty)].slice(
      0,
      Math.max(items.length, Math.min(max, items.length + SPARE_ROWS))
    )
  const base = page(ctx).base
  return {
    connector,
    action: connector ? `${base}/connectors/${connector.id}` : `${base}/connectors`,
    methods: CONNECTOR_METHODS.map((m) => ({ value: m, label: m })),
    authModes: AUTH_MODES.map((mode) => ({
      value: mode,
      label: i18n.t(`connectors.auth.${mode}`),
    })),
    parameterTypes: PARAMETER_TYPES.map((type) => ({
      value: type,
      label: i18n.t(`connectors.types.${type}`),
    })),
    parameters: fill(connector?.parameters ?? [], CONNECTOR_LIMITS.parameters, {
      name: '',
      type: 'text',
      pattern: '',
      required: true,
      example: '',
    }),
    mapping: fill(connector?.mapping ?? [], CONNECTOR_LIMITS.mapping, { name: '', path: '' }),
    headers: fill(connector?.headers ?? [], CONNECTOR_LIMITS.headers, { name: '', value: '' }),
    samples: (connector?.parameters ?? []).map((parameter, index) => ({
      index,
      name: parameter.name,
      value: samples[parameter.name] ?? parameter.example,
    })),
  }
}

function present(call: ConnectorCall) {
  return {
    ...call,
    headerLines: Object.entries(call.request.headers).map(([name, value]) => `${name}: ${value}`),
    fieldRows: Object.entries(call.fields).map(([name, value]) => ({
      name,
      value:
        value === null ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value),
    })),
  }
}
