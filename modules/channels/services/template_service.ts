import { DateTime } from 'luxon'
import type { TenantContext } from '#modules/tenancy/index'
import type Channel from '../models/channel.js'
import MessageTemplate, { type TemplateCategory } from '../models/message_template.js'
import { ChannelError } from './channel_errors.js'
import { graphJson } from './graph_client.js'
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
      throw new ChannelError(
        'whatsapp_error',
        `WhatsApp refused the template list: ${answer.title}`,
        502
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

export interface NewTemplate {
  name: string
  language: string
  category: TemplateCategory
  body: string
  /** One example value per {{n}} in the body: WhatsApp's reviewers require them. */
  bodyExamples?: string[]
  header?: string
  footer?: string
  quickReplies?: string[]
}

export function checkNewTemplate(input: NewTemplate): FieldProblem[] {
  const problems: FieldProblem[] = []
  const need = (ok: boolean, field: string, message: string) => {
    if (!ok) problems.push({ field, message })
  }
  need(/^[a-z0-9_]{1,512}$/.test(input.name), 'name', 'Use a-z, 0-9 and _ only')
  need(
    /^[a-z]{2,3}(_[A-Z]{2})?$/.test(input.language),
    'language',
    'A language code such as en or en_US'
  )
  need(CATEGORIES.includes(input.category), 'category', 'Marketing, utility or authentication')
  need(
    input.body.trim().length > 0 && input.body.length <= 1024,
    'body',
    'The body has 1 to 1024 characters'
  )
  const numbers = [...input.body.matchAll(/\{\{\s*(\d+)\s*\}\}/g)].map((m) => Number(m[1]))
  const count = numbers.length ? Math.max(...numbers) : 0
  need(
    numbers.every((n) => n >= 1) && new Set(numbers).size === count,
    'body',
    'Number the variables {{1}}, {{2}}, … without gaps'
  )
  need(
    (input.bodyExamples ?? []).filter((e) => e.trim()).length === count,
    'bodyExamples',
    `Give an example for each of the ${count} variables`
  )
  need((input.header ?? '').length <= 60, 'header', 'At most 60 characters')
  need((input.footer ?? '').length <= 60, 'footer', 'At most 60 characters')
  need((input.quickReplies ?? []).length <= 3, 'quickReplies', 'At most 3 quick replies')
  ;(input.quickReplies ?? []).forEach((text, i) =>
    need(text.trim().length > 0 && text.length <= 25, `quickReplies.${i}`, '1 to 25 characters')
  )
  return problems
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
  const components: Array<Record<string, unknown>> = []
  if (input.header) components.push({ type: 'HEADER', format: 'TEXT', text: input.header })
  components.push({
    type: 'BODY',
    text: input.body,
    ...(input.bodyExamples?.length ? { example: { body_text: [input.bodyExamples] } } : {}),
  })
  if (input.footer) components.push({ type: 'FOOTER', text: input.footer })
  if (input.quickReplies?.length) {
    components.push({
      type: 'BUTTONS',
      buttons: input.quickReplies.map((text) => ({ type: 'QUICK_REPLY', text })),
    })
  }

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
