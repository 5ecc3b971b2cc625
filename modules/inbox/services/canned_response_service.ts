import type { TenantContext } from '#modules/tenancy/index'
import CannedResponse from '../models/canned_response.js'
import { ChannelError } from '#modules/channels/index'
import { errors as lucidErrors } from '@adonisjs/lucid'

/** Shortcuts are lowercase words a-z, 0-9, _ and -, typed after a slash. */
export const SHORTCUT_PATTERN = /^[a-z0-9_-]{1,32}$/
export const MAX_CANNED_BODY = 4096
export const MAX_CANNED_TITLE = 120

export interface CannedResponseInput {
  shortcut: string
  title: string
  body: string
}

/** What a canned response's placeholders are filled with. */
export interface PlaceholderValues {
  contactName: string | null
  contactPhone: string | null
  agentName: string | null
}

/**
 * A canned response's text for one conversation: {{contact.name}},
 * {{contact.phone}} and {{agent.name}} filled in. A value we do not have
 * leaves nothing behind, neither the braces a customer would puzzle over nor
 * the space before them ("Hi {{contact.name}}, welcome" becomes "Hi, welcome";
 * at the start of a line, the space after). Other braces are the author's
 * and stay.
 */
export function fillPlaceholders(body: string, values: PlaceholderValues) {
  const known: Record<string, string | null> = {
    'contact.name': values.contactName,
    'contact.phone': values.contactPhone,
    'agent.name': values.agentName,
  }
  return body.replace(
    /([ \t]*)\{\{\s*(contact\.name|contact\.phone|agent\.name)\s*\}\}([ \t]*)/g,
    (_, before: string, key: string, after: string) => {
      const value = (known[key] ?? '').trim()
      if (value) return `${before}${value}${after}`
      // Gone: one space stays only where it still separates two words.
      return before && after ? after : ''
    }
  )
}

/** The shortcut a message consists of (`/greeting`), or null when it is ordinary text. */
export function shortcutIn(text: string): string | null {
  const match = /^\/([A-Za-z0-9_-]{1,32})$/.exec(text.trim())
  return match ? match[1].toLowerCase() : null
}

export async function listCannedResponses(tenant: TenantContext) {
  return tenant.transaction((trx) =>
    CannedResponse.query({ client: trx }).orderBy('shortcut', 'asc')
  )
}

/**
 * Canned responses for the composer's `/` menu: shortcuts starting with what
 * was typed first, then those whose shortcut or title merely contains it.
 */
export async function searchCannedResponses(tenant: TenantContext, typed: string, limit = 8) {
  const q = typed.trim().replace(/^\//, '').toLowerCase().slice(0, 32)
  const like = q.replace(/[\\%_]/g, (c) => `\\${c}`)
  return tenant.transaction((trx) => {
    const query = CannedResponse.query({ client: trx })
    if (q) {
      query
        .where((where) =>
          where.whereILike('shortcut', `%${like}%`).orWhereILike('title', `%${like}%`)
        )
        .orderByRaw('case when shortcut like ? then 0 else 1 end', [`${like}%`])
    }
    return query.orderBy('shortcut', 'asc').limit(limit)
  })
}

export async function findCannedResponse(tenant: TenantContext, id: string) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null
  return tenant.transaction((trx) => CannedResponse.query({ client: trx }).where('id', id).first())
}

/** findCannedResponse, or E_ROW_NOT_FOUND (answered 404) for an unknown or another tenant's id. */
export async function findCannedResponseOrFail(tenant: TenantContext, id: string) {
  const canned = await findCannedResponse(tenant, id)
  if (!canned) throw new lucidErrors.E_ROW_NOT_FOUND(CannedResponse)
  return canned
}

export async function findCannedByShortcut(tenant: TenantContext, shortcut: string) {
  return tenant.transaction((trx) =>
    CannedResponse.query({ client: trx }).where('shortcut', shortcut.toLowerCase()).first()
  )
}

function shortcutTaken(shortcut: string) {
  const error = new ChannelError('shortcut_taken', `The shortcut /${shortcut} is taken`)
  ;(error as ChannelError & { fields?: unknown }).fields = [
    { field: 'shortcut', message: error.message },
  ]
  return error
}

function isUniqueViolation(error: unknown) {
  return (error as { code?: string }).code === '23505'
}

export async function createCannedResponse(
  tenant: TenantContext,
  input: CannedResponseInput,
  createdBy: string | null
) {
  const shortcut = input.shortcut.toLowerCase()
  try {
    return await tenant.transaction((trx) =>
      CannedResponse.create(
        { shortcut, title: input.title, body: input.body, createdBy },
        { client: trx }
      )
    )
  } catch (error) {
    if (isUniqueViolation(error)) throw shortcutTaken(shortcut)
    throw error
  }
}

export async function updateCannedResponse(
  tenant: TenantContext,
  id: string,
  input: CannedResponseInput
) {
  const shortcut = input.shortcut.toLowerCase()
  try {
    return await tenant.transaction(async (trx) => {
      const response = await CannedResponse.query({ client: trx })
        .where('id', id)
        .forUpdate()
        .first()
      if (!response) throw new ChannelError('not_found', 'No such canned response', 404)
      response.merge({ shortcut, title: input.title, body: input.body })
      await response.useTransaction(trx).save()
      return response
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw shortcutTaken(shortcut)
    throw error
  }
}

export async function deleteCannedResponse(tenant: TenantContext, id: string) {
  return tenant.transaction(async (trx) => {
    const deleted = await trx.from('canned_responses').where('id', id).delete()
    if (!deleted) throw new ChannelError('not_found', 'No such canned response', 404)
  })
}
