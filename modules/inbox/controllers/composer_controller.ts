import type { HttpContext } from '@adonisjs/core/http'
import { errors as lucidErrors } from '@adonisjs/lucid'
import type { MultipartFile } from '@adonisjs/core/bodyparser'
import { workspaceLayout } from '#modules/tenancy/index'
import Contact from '../models/contact.js'
import type Conversation from '../models/conversation.js'
import type { Channel } from '#modules/channels/index'
import {
  ChannelError,
  findTenantChannel,
  queueOutboundMessage,
  type OutboundContent,
} from '#modules/channels/index'
import { findConversationOrFail } from '../services/conversation_service.js'
import {
  ComposerRefusal,
  approvedTemplate,
  approvedTemplates,
  sendReply,
  writeNote,
  type TemplateChoice,
} from '../services/composer_service.js'
import { wantsFragment } from '#app/http/htmx'
import { errors as vineErrors } from '@vinejs/vine'
import {
  noteFormValidator,
  replyFormValidator,
  templateFormValidator,
} from '../validators/composer_validator.js'

type Mode = 'reply' | 'note' | 'template'

/** What the composer shows after a refusal: the message, field errors and what was typed. */
interface ComposerState {
  conversationId: string
  mode: Mode
  error: string | null
  errors: Record<string, string[]>
  old: Record<string, unknown>
}

/** The conversation a member writes in, with what the composer needs to know about it. */
interface Target {
  conversation: Conversation
  contact: Contact
  channel: Pick<Channel, 'id' | 'type' | 'name' | 'status'>
  base: string
  windowOpen: boolean
}

/** A refusal the composer shows: a message, optionally on one field. */
class Refusal {
  constructor(
    readonly message: string,
    readonly fields: Record<string, string[]> = {}
  ) {}
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The inbox composer: replies (text, or a file with a caption), WhatsApp
 * templates, and internal notes. Everything goes out through
 * queueOutboundMessage, which refuses what WhatsApp would (the 24-hour
 * window, opted-out contacts, a disabled number). Without JavaScript a
 * refusal returns to the conversation with what was typed; htmx gets the
 * composer alone back (422 on a refusal).
 */
export default class ComposerController {
  async send(ctx: HttpContext) {
    const target = await replyTarget(ctx)
    const { request, tenant, auth } = ctx
    try {
      const form = await readForm(ctx, replyFormValidator, {
        ...request.all(),
        attachment: attachmentOf(request.file('attachment')) ?? undefined,
      })
      await sendReply(tenant, {
        conversationId: target.conversation.id,
        channelType: target.channel.type,
        contact: target.contact,
        agent: { id: auth.user!.id, name: auth.user!.name },
        text: form.text ?? '',
        file: form.attachment ?? null,
        idempotencyKey: idempotencyKey(ctx, form.idempotency_key),
      })
      return succeed(ctx, target, 'reply')
    } catch (error) {
      return refuse(ctx, target, 'reply', asRefusal(ctx, error))
    }
  }

  async note(ctx: HttpContext) {
    const target = await replyTarget(ctx)
    const { request, tenant, auth } = ctx
    try {
      const form = await readForm(ctx, noteFormValidator, request.all())
      await writeNote(tenant, {
        conversationId: target.conversation.id,
        text: form.note ?? '',
        authorId: auth.user!.id,
      })
      return succeed(ctx, target, 'note')
    } catch (error) {
      return refuse(ctx, target, 'note', asRefusal(ctx, error, 'note'))
    }
  }

  /**
   * The approved templates this conversation's number can send, or (with
   * name and language) one template's fill-in form: a fragment for htmx, a
   * page without JavaScript.
   */
  async templates(ctx: HttpContext) {
    const target = await replyTarget(ctx)
    const { request, view, tenant } = ctx
    const asked = await templateFormValidator.validate(request.all()).catch(() => null)
    const name = asked?.name ?? ''
    const chosen = name ? await templateFor(ctx, target, name, asked?.language ?? '') : null
    if ((!asked || name) && !chosen) throw new lucidErrors.E_ROW_NOT_FOUND()
    const templates =
      chosen || target.channel.type !== 'whatsapp'
        ? []
        : await approvedTemplates(tenant, target.channel.id)
    const data = {
      ...composerData(ctx, target),
      templates,
      chosen,
      templatesUrl: `${target.base}/inbox/${target.conversation.id}/templates`,
    }
    if (wantsFragment(request)) {
      return view.render(
        chosen ? 'inbox::inbox/composer_template' : 'inbox::inbox/composer_templates',
        data
      )
    }
    return view.render('inbox::inbox/composer_templates_page', {
      ...workspaceLayout(ctx, 'inbox'),
      ...data,
      contactLabel: contactLabel(ctx, target.contact),
      standalone: true,
    })
  }

  async sendTemplate(ctx: HttpContext) {
    const target = await replyTarget(ctx)
    const { request, tenant, auth } = ctx
    const form = await templateFormValidator.validate(request.all()).catch(() => null)
    const name = form?.name ?? ''
    const language = form?.language ?? ''
    const chosen = form ? await templateFor(ctx, target, name, language) : null
    try {
      if (!form || !chosen) {
        throw fieldRefusal(ctx, 'template', 'composer.errors.template_unavailable')
      }
      const variables = form.variables ?? []
      const content: OutboundContent = { type: 'template', name, language, variables }
      if (chosen.headerMedia) {
        const link = form.header_media ?? ''
        if (!link) throw fieldRefusal(ctx, 'header_media', 'composer.errors.header_media_required')
        content.headerMedia = { type: chosen.headerMedia, link }
      }
      await queueOutboundMessage(tenant, {
        conversationId: target.conversation.id,
        content,
        authorType: 'agent',
        authorId: auth.user!.id,
        idempotencyKey: idempotencyKey(ctx, form.idempotency_key),
      })
      return succeed(ctx, target, 'template')
    } catch (error) {
      const refusal = asRefusal(ctx, error, 'template', chosen)
      if (!chosen || wantsFragment(request)) {
        return refuse(ctx, target, 'template', refusal, chosen)
      }
      // Without JavaScript the fill-in form is its own page: back to it.
      const query = new URLSearchParams({ name, language })
      return refuse(ctx, target, 'template', refusal, chosen, `templates?${query}`)
    }
  }
}

/** Authorizes a reply and finds the conversation (404 for another tenant's or none). */
async function replyTarget(ctx: HttpContext): Promise<Target> {
  const { bouncer, access, params, tenant } = ctx
  await bouncer.with('InboxPolicy').authorize('reply', access)
  const conversation = await findConversationOrFail(tenant, params.id)
  const [contact, channel] = await Promise.all([
    tenant.transaction((trx) =>
      Contact.query({ client: trx }).where('id', conversation.contactId).first()
    ),
    findTenantChannel(tenant.id, conversation.channelId),
  ])
  if (!contact) throw new lucidErrors.E_ROW_NOT_FOUND()
  const shown = channel ?? {
    id: conversation.channelId,
    type: 'whatsapp' as const,
    name: ctx.i18n.t('composer.channel_removed'),
    status: 'disabled' as const,
  }
  return {
    conversation,
    contact,
    channel: shown,
    base: workspaceLayout(ctx, 'inbox').base,
    // Web chat and the sandbox have no 24-hour rule.
    windowOpen: shown.type === 'whatsapp' ? conversation.isWindowOpen() : true,
  }
}

/** The variables composer.edge reads, as the conversation page gives them. */
function composerData(ctx: HttpContext, target: Target, extra: Record<string, unknown> = {}) {
  return {
    conversation: target.conversation,
    contact: target.contact,
    channel: target.channel,
    base: target.base,
    access: ctx.access,
    windowOpen: target.windowOpen,
    canReply: true,
    listQuery: listQuery(ctx),
    ...extra,
  }
}

async function templateFor(ctx: HttpContext, target: Target, name: string, language: string) {
  if (target.channel.type !== 'whatsapp' || !name || !language) return null
  return approvedTemplate(ctx.tenant, target.channel.id, name, language)
}

/** A composer form through its VineJS schema; what it refuses is a refusal on those fields. */
async function readForm<Output>(
  ctx: HttpContext,
  validator: { validate(data: unknown): Promise<Output> },
  data: Record<string, unknown>
): Promise<Output> {
  try {
    return await validator.validate(data)
  } catch (error) {
    if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
    const messages = error.messages as Array<{ field: string; message: string }>
    const fields: Record<string, string[]> = {}
    for (const { field, message } of messages) (fields[field] ??= []).push(message)
    throw new Refusal(messages[0]?.message ?? ctx.i18n.t('composer.errors.unreadable'), fields)
  }
}

/** The uploaded file, if one was chosen (an empty file input sends a nameless part). */
function attachmentOf(file: MultipartFile | null) {
  return file && file.clientName && file.size > 0 ? file : null
}

/**
 * The sender's key for this message: one per rendered composer, so a
 * double-submitted form sends once. Scoped to the member, so nobody can
 * name (and so read back) another sender's message by its key.
 */
function idempotencyKey(ctx: HttpContext, key: string | undefined) {
  return key && UUID.test(key) ? `composer:${ctx.auth.user!.id}:${key.toLowerCase()}` : null
}

function fieldRefusal(
  ctx: HttpContext,
  field: string,
  key: string,
  data?: Record<string, unknown>
) {
  const message = ctx.i18n.t(key, data)
  return new Refusal(message, { [field]: [message] })
}

/**
 * Turns what the send refused into what the composer says: the service's
 * codes into sentences in the member's language, its field names into the
 * form's.
 */
function asRefusal(
  ctx: HttpContext,
  error: unknown,
  mode: Mode = 'reply',
  template?: TemplateChoice | null
): Refusal {
  if (error instanceof Refusal) return error
  const t = (key: string, data?: Record<string, unknown>) => ctx.i18n.t(key, data)
  if (error instanceof ComposerRefusal) {
    const data = Object.fromEntries(
      Object.entries(error.data).map(([name, value]) => [
        name,
        typeof value === 'object' ? t(value.key) : value,
      ])
    )
    return fieldRefusal(ctx, error.field, error.key, data)
  }
  if (!(error instanceof ChannelError)) throw error
  if (error.code === 'not_found') throw new lucidErrors.E_ROW_NOT_FOUND()
  if (error.code !== 'invalid_message') {
    const known = ['window_closed', 'contact_opted_out', 'channel_disabled']
    return new Refusal(
      known.includes(error.code!) ? t(`composer.errors.${error.code}`) : error.message
    )
  }
  const problems = ((error as ChannelError & { fields?: unknown }).fields ?? []) as Array<{
    field: string
    message: string
  }>
  const fields: Record<string, string[]> = {}
  for (const problem of problems) {
    const [field, message] = formField(problem, mode, template, t)
    fields[field] = [...(fields[field] ?? []), message]
  }
  const first = Object.values(fields)[0]?.[0]
  return new Refusal(first ?? error.message, fields)
}

function formField(
  problem: { field: string; message: string },
  mode: Mode,
  template: TemplateChoice | null | undefined,
  t: (key: string, data?: Record<string, unknown>) => string
): [string, string] {
  const variable = /^variables\.(\d+)$/.exec(problem.field)
  if (variable) {
    return [
      `variables[${variable[1]}]`,
      t('composer.errors.variable_required', { n: Number(variable[1]) + 1 }),
    ]
  }
  switch (problem.field) {
    case 'variables':
      return [
        'variables',
        t('composer.errors.variables_count', { count: template?.variables ?? 0 }),
      ]
    case 'headerMedia.link':
      return ['header_media', t('composer.errors.header_media_link')]
    case 'name':
    case 'language':
    case 'type':
      return [
        mode === 'template' ? 'template' : 'attachment',
        t('composer.errors.template_unavailable'),
      ]
    case 'link':
    case 'file':
      return ['attachment', t('composer.errors.attachment_unreadable')]
    case 'caption':
    case 'text':
      return [mode === 'note' ? 'note' : 'text', problem.message]
    default:
      return [problem.field, problem.message]
  }
}

/** The conversation list's filters the form carried (to return to the same list). */
function listQuery(ctx: HttpContext) {
  const carried = ctx.request.input('list')
  if (typeof carried !== 'string' || !carried) return ''
  return new URLSearchParams(carried.slice(0, 600)).toString()
}

function conversationUrl(ctx: HttpContext, target: Target) {
  const list = listQuery(ctx)
  return `${target.base}/inbox/${target.conversation.id}${list ? `?${list}` : ''}`
}

function succeed(ctx: HttpContext, target: Target, mode: Mode) {
  if (wantsFragment(ctx.request)) {
    return ctx.view.render(
      'inbox::inbox/composer',
      composerData(ctx, target, { composerState: freshState(target, mode) })
    )
  }
  return ctx.response.redirect(`${conversationUrl(ctx, target)}#composer`)
}

function freshState(target: Target, mode: Mode): ComposerState {
  return { conversationId: target.conversation.id, mode, error: null, errors: {}, old: {} }
}

/**
 * Shows a refusal in the composer, keeping what was typed: the composer
 * fragment with 422 for htmx; without JavaScript, back to the conversation
 * (or the template's own page) with it all flashed.
 */
function refuse(
  ctx: HttpContext,
  target: Target,
  mode: Mode,
  refusal: Refusal,
  template: TemplateChoice | null = null,
  page: string | null = null
) {
  const { request, response, session, view } = ctx
  const old = request.except(['_csrf', '_method', 'idempotency_key', 'attachment'])
  const state: ComposerState = {
    conversationId: target.conversation.id,
    mode,
    error: refusal.message,
    errors: refusal.fields,
    old,
  }
  if (wantsFragment(request)) {
    response.status(422)
    // The composer's fields (and the ui.field component) read errors and
    // typed values the way a page re-rendered after a redirect does.
    view.share({
      flashMessages: flashView({ ...old, inputErrorsBag: refusal.fields, composer: state }),
      old: (key: string, fallback?: unknown) => lookup(old, key) ?? fallback,
    })
    return view.render(
      'inbox::inbox/composer',
      composerData(ctx, target, { composerState: state, chosen: template })
    )
  }
  session.flash('composer', state)
  session.flash('inputErrorsBag', refusal.fields)
  session.flashExcept(['_csrf', '_method', 'idempotency_key', 'attachment'])
  const back = page
    ? `${target.base}/inbox/${target.conversation.id}/${page}`
    : `${conversationUrl(ctx, target)}#composer`
  return response.redirect(back)
}

/** What `flashMessages` offers a template, over values of our own. */
function flashView(values: Record<string, unknown>) {
  return {
    get: (key: string, fallback?: unknown) => lookup(values, key) ?? fallback,
    has: (key: string) => lookup(values, key) !== undefined,
    all: () => values,
  }
}

/** A value by form name: `text`, `variables[1]` or `variables.1`. */
function lookup(values: Record<string, unknown>, name: string): unknown {
  let current: unknown = values
  for (const part of name.replace(/\[(\w+)\]/g, '.$1').split('.')) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return current
}

/** A list field as sent: an array, or an object keyed 0, 1, ... */
function contactLabel(ctx: HttpContext, contact: Contact) {
  return contact.name || contact.profileName || contact.phone || ctx.i18n.t('composer.unnamed')
}
