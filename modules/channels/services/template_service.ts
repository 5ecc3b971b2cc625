import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import type Channel from '../models/channel.js'
import MessageTemplate, { type TemplateCategory } from '../models/message_template.js'
import { ChannelError } from './channel_errors.js'
import { graphJson, isRetryable, uploadTemplateSample } from './graph_client.js'
import type { FieldProblem } from './outbound_content.js'

const FIELDS = 'id,name,language,status,category,components,rejected_reason'
const CATEGORIES: TemplateCategory[] = ['MARKETING', 'UTILITY', 'AUTHENTICATION']

/** The highest {{n}} in the template's body: how many values a send must give. */
export function countBodyVariables(components: Array<Record<string, any>>): number {
  const body = components.find((c) => String(c.type).toUpperCase() === 'BODY')
  const numbers = [...String(body?.text ?? '').matchAll(/\{\{\s*(\d+)\s*\}\}/g)].map((m) =>
    Number(m[1])
  )
  return numbers.length ? Math.max(...numbers) : 0
}

/**
 * WhatsApp did not hand over the template list. `retryable` tells a
 * throttle or an outage (worth another try) from a refusal such as an
 * expired token, which fails the same way until someone fixes it.
 */
export class TemplateSyncError extends ChannelError {
  constructor(
    message: string,
    readonly retryable: boolean
  ) {
    super('whatsapp_error', message, 502)
  }
}

export interface SyncResult {
  total: number
  changed: Array<{ name: string; language: string; from: string | null; to: string }>
}

/**
 * Brings the channel's templates up to date with its WhatsApp Business
 * Account: every page of them, new ones added, status changes recorded (what
 * was, when it changed) so the workspace can show them, and templates deleted
 * at WhatsApp marked DELETED rather than forgotten.
 */
export async function syncTemplates(tenant: TenantContext, channel: Channel): Promise<SyncResult> {
  if (channel.type !== 'whatsapp' || !channel.wabaId) {
    throw new ChannelError('not_whatsapp', 'Only WhatsApp numbers have message templates')
  }
  // All network first: no database transaction waits on WhatsApp.
  const remote: Array<Record<string, any>> = []
  let after: string | undefined
  for (let page = 0; page < 100; page++) {
    const query = new URLSearchParams({ fields: FIELDS, limit: '100', ...(after ? { after } : {}) })
    const answer = await graphJson(channel, 'GET', `/${channel.wabaId}/message_templates?${query}`)
    if (!answer.ok) {
      throw new TemplateSyncError(
        `WhatsApp refused the template list: ${answer.title}`,
        isRetryable(answer.status, answer.code) || answer.status === null
      )
    }
    remote.push(...(answer.body.data ?? []))
    after = answer.body.paging?.next ? answer.body.paging?.cursors?.after : undefined
    if (!after) break
  }

  return tenant.transaction(async (trx) => {
    const now = DateTime.now()
    const existing = await MessageTemplate.query({ client: trx }).where('channel_id', channel.id)
    const byKey = new Map(existing.map((t) => [`${t.name}|${t.language}`, t]))
    const seen = new Set<string>()
    const changed: SyncResult['changed'] = []

    for (const item of remote) {
      const key = `${item.name}|${item.language}`
      seen.add(key)
      const template = byKey.get(key) ?? new MessageTemplate()
      const status = String(item.status ?? 'PENDING').toUpperCase()
      if (template.$isPersisted && template.status !== status) {
        changed.push({
          name: item.name,
          language: item.language,
          from: template.status,
          to: status,
        })
        template.previousStatus = template.status
        template.statusChangedAt = now
      }
      template.merge({
        channelId: channel.id,
        providerId: item.id ? String(item.id) : null,
        name: item.name,
        language: item.language,
        category: String(item.category ?? 'UTILITY').toUpperCase() as TemplateCategory,
        status,
        rejectedReason:
          item.rejected_reason && item.rejected_reason !== 'NONE' ? item.rejected_reason : null,
        components: item.components ?? [],
        bodyVariables: countBodyVariables(item.components ?? []),
        syncedAt: now,
      })
      await template.useTransaction(trx).save()
    }

    for (const template of existing) {
      if (seen.has(`${template.name}|${template.language}`) || template.status === 'DELETED')
        continue
      changed.push({
        name: template.name,
        language: template.language,
        from: template.status,
        to: 'DELETED',
      })
      template.merge({
        previousStatus: template.status,
        status: 'DELETED',
        statusChangedAt: now,
        syncedAt: now,
      })
      await template.useTransaction(trx).save()
    }
    return { total: remote.length, changed }
  })
}

export type TemplateHeaderFormat = 'NONE' | 'TEXT' | 'IMAGE' | 'VIDEO' | 'DOCUMENT'
export const HEADER_FORMATS: TemplateHeaderFormat[] = ['NONE', 'TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT']

export type TemplateButton =
  | { type: 'QUICK_REPLY'; text: string }
  /** `url` may end in {{1}}; `example` is then the full address of an example. */
  | { type: 'URL'; text: string; url: string; example?: string }
  | { type: 'PHONE_NUMBER'; text: string; phone: string }

/** WhatsApp's limits for a template submitted for review. */
export const TEMPLATE_LIMITS = {
  name: 512,
  body: 1024,
  headerText: 60,
  footer: 60,
  buttons: 10,
  buttonText: 25,
  urlButtons: 2,
  phoneButtons: 1,
  url: 2000,
  phone: 20,
}

export interface NewTemplate {
  name: string
  language: string
  category: TemplateCategory
  body: string
  /** One example value per {{n}} in the body: WhatsApp's reviewers require them. */
  bodyExamples?: string[]
  /** NONE when absent; TEXT when only `header` is given. */
  headerFormat?: TemplateHeaderFormat
  /** The text of a TEXT header: at most one variable, {{1}}. */
  header?: string
  /**
   * A TEXT header's example for its {{1}}, or a media header's example: the
   * handle Meta's resumable upload gives for a sample file.
   */
  headerExample?: string
  footer?: string
  quickReplies?: string[]
  buttons?: TemplateButton[]
}

/** A problem with a new template: the field, an English message, and a rule for translation. */
export interface TemplateProblem extends FieldProblem {
  rule: string
  params?: Record<string, string | number>
}

const VARIABLE = /\{\{\s*(\d+)\s*\}\}/g

function variablesIn(text: string) {
  return [...text.matchAll(VARIABLE)].map((m) => Number(m[1]))
}

/** The buttons of a new template, quick replies given the short way included. */
export function buttonsOf(input: NewTemplate): TemplateButton[] {
  return [
    ...(input.quickReplies ?? []).map((text) => ({ type: 'QUICK_REPLY' as const, text })),
    ...(input.buttons ?? []),
  ]
}

export function headerFormatOf(input: NewTemplate): TemplateHeaderFormat {
  return input.headerFormat ?? (input.header ? 'TEXT' : 'NONE')
}

/**
 * Every problem with a new template before it goes to WhatsApp's review:
 * what Meta would refuse (names, lengths, variables numbered without gaps
 * and each with an example, button kinds and counts), said at once and per
 * field instead of as one error from the Graph API.
 */
export function checkNewTemplate(input: NewTemplate): TemplateProblem[] {
  const problems: TemplateProblem[] = []
  const need = (
    ok: boolean,
    field: string,
    rule: string,
    message: string,
    params?: Record<string, string | number>
  ) => {
    if (!ok) problems.push({ field, message, rule, ...(params ? { params } : {}) })
  }
  const chars = (value: string | undefined) => [...(value ?? '')].length
  need(/^[a-z0-9_]{1,512}$/.test(input.name), 'name', 'name', 'Use a-z, 0-9 and _ only')
  need(
    /^[a-z]{2,3}(_[A-Z]{2})?$/.test(input.language),
    'language',
    'language',
    'A language code such as en or en_US'
  )
  need(
    CATEGORIES.includes(input.category),
    'category',
    'category',
    'Marketing, utility or authentication'
  )
  need(
    input.body.trim().length > 0 && chars(input.body) <= TEMPLATE_LIMITS.body,
    'body',
    'body_length',
    'The body has 1 to 1024 characters',
    { max: TEMPLATE_LIMITS.body }
  )
  const numbers = variablesIn(input.body)
  const count = numbers.length ? Math.max(...numbers) : 0
  need(
    numbers.every((n) => n >= 1) && new Set(numbers).size === count,
    'body',
    'body_variables',
    'Number the variables {{1}}, {{2}}, … without gaps'
  )
  need(
    (input.bodyExamples ?? []).filter((e) => e.trim()).length === count,
    'bodyExamples',
    'body_examples',
    `Give an example for each of the ${count} variables`,
    { count }
  )

  const format = headerFormatOf(input)
  need(HEADER_FORMATS.includes(format), 'headerFormat', 'header_format', 'Choose a header kind')
  if (format === 'TEXT') {
    const header = input.header ?? ''
    need(
      header.trim().length > 0 && chars(header) <= TEMPLATE_LIMITS.headerText,
      'header',
      'header_length',
      'The header has 1 to 60 characters',
      { max: TEMPLATE_LIMITS.headerText }
    )
    const headerVariables = variablesIn(header)
    need(
      headerVariables.length === 0 || (headerVariables.length === 1 && headerVariables[0] === 1),
      'header',
      'header_variables',
      'A text header takes at most one variable, {{1}}'
    )
    if (headerVariables.length === 1) {
      need(
        !!input.headerExample?.trim(),
        'headerExample',
        'header_example',
        'Give an example for the header’s {{1}}'
      )
    }
  } else if (format !== 'NONE') {
    need(
      !!input.headerExample?.trim(),
      'headerExample',
      'header_media_example',
      'Give a sample file for the header'
    )
  }
  need(
    chars(input.footer) <= TEMPLATE_LIMITS.footer,
    'footer',
    'footer_length',
    'At most 60 characters',
    { max: TEMPLATE_LIMITS.footer }
  )
  need(
    variablesIn(input.footer ?? '').length === 0,
    'footer',
    'footer_variables',
    'The footer cannot have variables'
  )

  const buttons = buttonsOf(input)
  need(
    buttons.length <= TEMPLATE_LIMITS.buttons,
    'buttons',
    'buttons_count',
    `At most ${TEMPLATE_LIMITS.buttons} buttons`,
    { max: TEMPLATE_LIMITS.buttons }
  )
  const kinds = buttons.map((b) => b.type)
  need(
    kinds.filter((k) => k === 'URL').length <= TEMPLATE_LIMITS.urlButtons,
    'buttons',
    'buttons_url_count',
    'At most 2 website buttons',
    { max: TEMPLATE_LIMITS.urlButtons }
  )
  need(
    kinds.filter((k) => k === 'PHONE_NUMBER').length <= TEMPLATE_LIMITS.phoneButtons,
    'buttons',
    'buttons_phone_count',
    'At most 1 call button',
    { max: TEMPLATE_LIMITS.phoneButtons }
  )
  // WhatsApp shows quick replies as one group: they cannot sit between call-to-action buttons.
  const replyRuns = kinds
    .map((k) => (k === 'QUICK_REPLY' ? 'Q' : 'C'))
    .join('')
    .replace(/(.)\1+/g, '$1')
  need(
    !/CQC/.test(replyRuns) && !/QCQ/.test(replyRuns),
    'buttons',
    'buttons_grouped',
    'Keep quick replies together, before or after the other buttons'
  )
  const shortReplies = input.quickReplies?.length ?? 0
  buttons.forEach((button, index) => {
    const field = index < shortReplies ? `quickReplies.${index}` : `buttons.${index - shortReplies}`
    need(
      button.text.trim().length > 0 && chars(button.text) <= TEMPLATE_LIMITS.buttonText,
      `${field}.text`,
      'button_text',
      '1 to 25 characters',
      { max: TEMPLATE_LIMITS.buttonText }
    )
    if (button.type === 'URL') {
      const url = button.url.trim()
      const urlVariables = variablesIn(url)
      need(
        /^https?:\/\/[^\s]+$/i.test(url) && chars(url) <= TEMPLATE_LIMITS.url,
        `${field}.value`,
        'button_url',
        'A web address starting with https://'
      )
      need(
        urlVariables.length === 0 || (urlVariables.length === 1 && /\{\{\s*1\s*\}\}$/.test(url)),
        `${field}.value`,
        'button_url_variable',
        'Only one variable, {{1}}, at the very end of the address'
      )
      if (urlVariables.length === 1) {
        need(
          /^https?:\/\/[^\s]+$/i.test(button.example?.trim() ?? ''),
          `${field}.example`,
          'button_url_example',
          'Give a full example address'
        )
      }
    }
    if (button.type === 'PHONE_NUMBER') {
      need(
        /^\+[1-9]\d{5,18}$/.test(button.phone.replace(/[\s()-]/g, '')),
        `${field}.value`,
        'button_phone',
        'A phone number with its country code, e.g. +971501234567'
      )
    }
  })
  return problems
}

/** The components WhatsApp's template API takes for a checked new template. */
export function templateComponents(input: NewTemplate): Array<Record<string, unknown>> {
  const components: Array<Record<string, unknown>> = []
  const format = headerFormatOf(input)
  if (format === 'TEXT' && input.header) {
    const example = variablesIn(input.header).length
      ? { example: { header_text: [input.headerExample!.trim()] } }
      : {}
    components.push({ type: 'HEADER', format: 'TEXT', text: input.header, ...example })
  } else if (format !== 'NONE') {
    components.push({
      type: 'HEADER',
      format,
      example: { header_handle: [input.headerExample!.trim()] },
    })
  }
  const examples = (input.bodyExamples ?? []).filter((e) => e.trim())
  components.push({
    type: 'BODY',
    text: input.body,
    ...(examples.length ? { example: { body_text: [examples] } } : {}),
  })
  if (input.footer) components.push({ type: 'FOOTER', text: input.footer })
  const buttons = buttonsOf(input)
  if (buttons.length) {
    components.push({
      type: 'BUTTONS',
      buttons: buttons.map((button) => {
        if (button.type === 'URL') {
          const hasVariable = variablesIn(button.url).length > 0
          return {
            type: 'URL',
            text: button.text,
            url: button.url.trim(),
            ...(hasVariable ? { example: [button.example!.trim()] } : {}),
          }
        }
        if (button.type === 'PHONE_NUMBER') {
          return {
            type: 'PHONE_NUMBER',
            text: button.text,
            phone_number: button.phone.replace(/[\s()-]/g, ''),
          }
        }
        return { type: 'QUICK_REPLY', text: button.text }
      }),
    })
  }
  return components
}

/** What a media header's sample may be, per header kind (WhatsApp's limits for samples). */
export const HEADER_SAMPLE_RULES: Record<
  'IMAGE' | 'VIDEO' | 'DOCUMENT',
  { types: string[]; label: string; maxMb: number }
> = {
  IMAGE: { types: ['image/jpeg', 'image/png'], label: 'JPEG, PNG', maxMb: 5 },
  VIDEO: { types: ['video/mp4'], label: 'MP4', maxMb: 16 },
  DOCUMENT: { types: ['application/pdf'], label: 'PDF', maxMb: 100 },
}

export type HeaderSampleResult =
  | { ok: true; handle: string }
  | { ok: false; rule: string; params?: Record<string, string | number> }

/**
 * Uploads a media header's sample to the Meta app of the number (see
 * ChannelSettings.metaAppId) and returns the handle the template's example
 * names. The file is checked first against the header kind's types and
 * size, so WhatsApp's refusal is never the first a member hears of it.
 */
export async function uploadHeaderSample(
  channel: Pick<Channel, 'accessToken' | 'settings'>,
  format: string,
  file: { bytes: Uint8Array; mimeType: string; filename: string }
): Promise<HeaderSampleResult> {
  const rules = HEADER_SAMPLE_RULES[format as keyof typeof HEADER_SAMPLE_RULES]
  if (!rules) return { ok: false, rule: 'header_media_example' }
  if (!rules.types.includes(file.mimeType)) {
    return { ok: false, rule: 'sample_type', params: { types: rules.label } }
  }
  if (file.bytes.byteLength > rules.maxMb * 1024 * 1024) {
    return { ok: false, rule: 'sample_size', params: { max: rules.maxMb } }
  }
  const appId = channel.settings?.metaAppId
  if (!appId) return { ok: false, rule: 'sample_app_id' }
  const uploaded = await uploadTemplateSample(channel, appId, file)
  if (!uploaded.ok) return { ok: false, rule: 'sample_refused', params: { reason: uploaded.title } }
  return { ok: true, handle: uploaded.handle }
}

/**
 * Submits a new template to WhatsApp for review and records it as WhatsApp
 * answers (usually PENDING); the next sync picks up the verdict.
 */
export async function submitTemplate(
  tenant: TenantContext,
  channel: Channel,
  input: NewTemplate
): Promise<MessageTemplate> {
  const problems = checkNewTemplate(input)
  if (problems.length) {
    const error = new ChannelError('invalid_template', problems[0].message)
    ;(error as ChannelError & { fields?: unknown }).fields = problems
    throw error
  }
  if (channel.type !== 'whatsapp' || !channel.wabaId) {
    throw new ChannelError('not_whatsapp', 'Only WhatsApp numbers have message templates')
  }
  const taken = await tenant.transaction((trx) =>
    MessageTemplate.query({ client: trx })
      .where('channel_id', channel.id)
      .where('name', input.name)
      .where('language', input.language)
      .whereNot('status', 'DELETED')
      .first()
  )
  if (taken) {
    const message = `A template "${input.name}" in ${input.language} exists already`
    const error = new ChannelError('template_exists', message, 409)
    ;(error as ChannelError & { fields?: unknown }).fields = [
      { field: 'name', message, rule: 'name_taken' },
    ]
    throw error
  }
  const components = templateComponents(input)

  const answer = await graphJson(channel, 'POST', `/${channel.wabaId}/message_templates`, {
    name: input.name,
    language: input.language,
    category: input.category,
    components,
  })
  if (!answer.ok) {
    throw new ChannelError(
      'template_refused',
      `WhatsApp refused the template: ${answer.title}`,
      422
    )
  }

  return tenant.transaction(async (trx) => {
    const template =
      (await MessageTemplate.query({ client: trx })
        .where('channel_id', channel.id)
        .where('name', input.name)
        .where('language', input.language)
        .first()) ?? new MessageTemplate()
    template.merge({
      channelId: channel.id,
      providerId: answer.body.id ? String(answer.body.id) : null,
      name: input.name,
      language: input.language,
      category: String(answer.body.category ?? input.category).toUpperCase() as TemplateCategory,
      status: String(answer.body.status ?? 'PENDING').toUpperCase(),
      components,
      bodyVariables: countBodyVariables(components),
      syncedAt: DateTime.now(),
    })
    await template.useTransaction(trx).save()
    return template
  })
}

/** The template webhooks WhatsApp sends to the account (not to a number). */
export const TEMPLATE_WEBHOOK_FIELDS = [
  'message_template_status_update',
  'template_category_update',
] as const

/** What a template webhook's `value` carries (Meta's webhook reference). */
interface TemplateWebhookValue {
  event?: string
  message_template_id?: number | string
  message_template_name?: string
  message_template_language?: string
  reason?: string | null
  other_info?: { title?: string; description?: string }
  previous_category?: string
  new_category?: string
}

/** Meta's events that are not a status of their own. */
const EVENT_STATUS: Record<string, string> = { REINSTATED: 'APPROVED', FLAGGED: 'FLAGGED' }

/**
 * Applies an account-level template webhook (a review verdict, a pause, a
 * category change) to the templates of `channelIds` (the tenant's numbers on
 * that account), inside the caller's tenant transaction. Matched by
 * WhatsApp's template id, else by name and language. A template not synced
 * yet is left for the next sync, which brings it whole. Returns how many
 * rows changed.
 */
export async function applyTemplateWebhook(
  trx: TransactionClientContract,
  channelIds: string[],
  field: string,
  raw: unknown
): Promise<number> {
  const value = (raw ?? {}) as TemplateWebhookValue
  if (!channelIds.length) return 0
  const providerId = value.message_template_id ? String(value.message_template_id) : null
  const query = MessageTemplate.query({ client: trx })
    .whereIn('channel_id', channelIds)
    .where((where) => {
      if (providerId) where.where('provider_id', providerId)
      if (value.message_template_name && value.message_template_language) {
        where.orWhere((named) =>
          named
            .where('name', value.message_template_name!)
            .where('language', value.message_template_language!)
        )
      }
    })
    .forUpdate()
  if (!providerId && !(value.message_template_name && value.message_template_language)) return 0
  const templates = await query
  const now = DateTime.now()
  let changed = 0
  for (const template of templates) {
    if (field === 'template_category_update') {
      const category = String(value.new_category ?? '').toUpperCase() as TemplateCategory
      if (!CATEGORIES.includes(category) || category === template.category) continue
      template.category = category
    } else {
      const event = String(value.event ?? '').toUpperCase()
      if (!event) continue
      const status = EVENT_STATUS[event] ?? event
      const reason =
        value.reason && value.reason !== 'NONE'
          ? value.reason
          : (value.other_info?.description ?? value.other_info?.title ?? null)
      if (status === template.status && (reason ?? null) === template.rejectedReason) continue
      if (status !== template.status) {
        template.previousStatus = template.status
        template.status = status
        template.statusChangedAt = now
      }
      template.rejectedReason = status === 'APPROVED' ? null : (reason ?? null)
    }
    await template.useTransaction(trx).save()
    changed++
  }
  return changed
}
