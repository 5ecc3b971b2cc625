import { DateTime } from 'luxon'
import type { TenantContext } from '#modules/tenancy/index'
import ContactField, {
  CONTACT_FIELD_TYPES,
  type ContactFieldType,
} from '../models/contact_field.js'
import { ContactError } from './contact_service.js'

export const MAX_CONTACT_FIELDS = 50
export const MAX_TEXT_VALUE = 500
export const MAX_CHOICES = 50
export const FIELD_KEY = /^[A-Za-z][A-Za-z0-9_]{0,39}$/

export { CONTACT_FIELD_TYPES, type ContactFieldType }

export interface ContactFieldInput {
  key: string
  label: string
  type: ContactFieldType
  required: boolean
  choices: string[]
}

/** The workspace's custom fields, in the order they are shown. */
export async function listContactFields(tenant: TenantContext): Promise<ContactField[]> {
  return tenant.transaction((trx) =>
    ContactField.query({ client: trx }).orderBy('position').orderBy('created_at').orderBy('key')
  )
}

/** Choices as typed: one per line or comma-separated, trimmed, duplicates dropped. */
export function parseChoices(raw: string | string[] | null | undefined): string[] {
  const parts = Array.isArray(raw) ? raw : (raw ?? '').split(/\r?\n|,/)
  const seen = new Set<string>()
  for (const part of parts) {
    const choice = String(part).trim()
    if (choice && choice.length <= 100) seen.add(choice)
  }
  return [...seen]
}

export async function createContactField(
  tenant: TenantContext,
  input: ContactFieldInput
): Promise<ContactField> {
  if (input.type === 'choice' && input.choices.length === 0) {
    throw new ContactError('choices_required', 'A choice field needs its choices', 'choices')
  }
  return tenant.transaction(async (trx) => {
    const existing = await ContactField.query({ client: trx }).select('key')
    if (existing.some((field) => field.key === input.key)) {
      throw new ContactError('key_taken', `A field with the key ${input.key} exists`, 'key', 409)
    }
    if (existing.length >= MAX_CONTACT_FIELDS) {
      throw new ContactError('too_many_fields', `At most ${MAX_CONTACT_FIELDS} fields`, 'key')
    }
    const field = new ContactField()
    field.useTransaction(trx)
    field.merge({
      ...input,
      choices: input.type === 'choice' ? input.choices.slice(0, MAX_CHOICES) : [],
      position: existing.length,
    })
    await field.save()
    return field
  })
}

/** The label, whether it is required and the choices change; the key and type stay (values depend on them). */
export async function updateContactField(
  tenant: TenantContext,
  fieldId: string,
  input: Pick<ContactFieldInput, 'label' | 'required' | 'choices'>
): Promise<ContactField> {
  return tenant.transaction(async (trx) => {
    const field = await findField(trx, fieldId)
    if (field.type === 'choice' && input.choices.length === 0) {
      throw new ContactError('choices_required', 'A choice field needs its choices', 'choices')
    }
    field.merge({
      label: input.label,
      required: input.required,
      choices: field.type === 'choice' ? input.choices.slice(0, MAX_CHOICES) : [],
    })
    await field.save()
    return field
  })
}

/** Deletes a field and its value on every contact. */
export async function deleteContactField(tenant: TenantContext, fieldId: string) {
  return tenant.transaction(async (trx) => {
    const field = await findField(trx, fieldId)
    await trx.rawQuery('update contacts set attributes = attributes - ? where attributes \\? ?', [
      field.key,
      field.key,
    ])
    await field.delete()
    return field
  })
}

export async function findContactFieldOrFail(tenant: TenantContext, fieldId: string) {
  return tenant.transaction((trx) => findField(trx, fieldId))
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

async function findField(
  trx: Parameters<Parameters<TenantContext['transaction']>[0]>[0],
  id: string
) {
  const field = UUID.test(id) ? await ContactField.find(id, { client: trx }) : null
  if (!field) throw new ContactError('not_found', 'No such field in this workspace', null, 404)
  return field
}

export type AttributeProblem =
  'unknown' | 'required' | 'number' | 'date' | 'boolean' | 'choice' | 'too_long'

export interface CheckedAttributes {
  values: Record<string, string | number | boolean>
  problems: Record<string, AttributeProblem>
}

/**
 * Checks custom field values against the workspace's definitions and turns
 * them into their stored types (numbers, booleans, dates as YYYY-MM-DD).
 * Unknown keys and missing required fields are problems. An empty value
 * (null or blank text) means "not set". Form posts send text for every type;
 * the API sends JSON numbers and booleans too: both are accepted.
 */
export function checkAttributes(
  fields: ContactField[],
  input: Record<string, unknown>
): CheckedAttributes {
  const byKey = new Map(fields.map((field) => [field.key, field]))
  const values: CheckedAttributes['values'] = {}
  const problems: CheckedAttributes['problems'] = {}
  for (const key of Object.keys(input)) {
    if (!byKey.has(key)) problems[key] = 'unknown'
  }
  for (const field of fields) {
    const raw = input[field.key]
    if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
      if (field.required) problems[field.key] = 'required'
      continue
    }
    const value = typedValue(field, raw)
    if (typeof value === 'object') problems[field.key] = value.problem
    else values[field.key] = value
  }
  return { values, problems }
}

/** One custom field value checked and typed (the import checks cell by cell). */
export function typedValue(
  field: ContactField,
  raw: unknown
): string | number | boolean | { problem: AttributeProblem } {
  switch (field.type) {
    case 'text': {
      if (typeof raw !== 'string' && typeof raw !== 'number') return { problem: 'too_long' }
      const text = String(raw).trim()
      return text.length > MAX_TEXT_VALUE ? { problem: 'too_long' } : text
    }
    case 'number': {
      const number =
        typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : Number.NaN
      return Number.isFinite(number) ? number : { problem: 'number' }
    }
    case 'date': {
      const text = typeof raw === 'string' ? raw.trim() : ''
      const date = /^\d{4}-\d{2}-\d{2}$/.test(text) ? DateTime.fromISO(text) : null
      return date?.isValid ? text : { problem: 'date' }
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw
      const text = String(raw).trim().toLowerCase()
      if (['true', 'yes', '1'].includes(text)) return true
      if (['false', 'no', '0'].includes(text)) return false
      return { problem: 'boolean' }
    }
    case 'choice': {
      const text = typeof raw === 'string' ? raw.trim() : String(raw)
      return field.choices.includes(text) ? text : { problem: 'choice' }
    }
  }
}

/** English, for the API's field errors. */
export function attributeProblemText(problem: AttributeProblem, field?: ContactField) {
  switch (problem) {
    case 'unknown':
      return 'No custom field has this key; define it in the workspace first'
    case 'required':
      return 'This field is required'
    case 'number':
      return 'Give a number'
    case 'date':
      return 'Give a date as YYYY-MM-DD'
    case 'boolean':
      return 'Give true or false'
    case 'choice':
      return `Give one of: ${(field?.choices ?? []).join(', ')}`
    case 'too_long':
      return `Give text of at most ${MAX_TEXT_VALUE} characters`
  }
}
