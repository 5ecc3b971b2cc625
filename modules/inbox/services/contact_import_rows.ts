import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js'
import type ContactField from '../models/contact_field.js'
import { LANGUAGE_TAG, isTimeZone, localeOfCountry } from './contact_locale.js'
import { MAX_TEXT_VALUE, typedValue } from './contact_field_service.js'
import { MAX_TAGS, MAX_TAG_LENGTH } from '../validators/contact_validator.js'

/*
| A CSV import's pure half: which contact field each column feeds (guessed
| from English and Arabic headers, checked against the workspace's custom
| fields) and each row turned into a contact to upsert, or into reasons it
| was refused. A row with any refused cell is not imported at all, so the
| error report lists exactly the rows to fix and send again.
*/

export const BUILT_IN_TARGETS = [
  'phone',
  'name',
  'email',
  'tags',
  'language',
  'time_zone',
  'marketing_consent',
  'notes',
] as const
export type BuiltInTarget = (typeof BUILT_IN_TARGETS)[number]
/** `ignore`, a built-in field, or `attr.<key>` for a custom field. */
export type ImportTarget = BuiltInTarget | 'ignore' | `attr.${string}`

export type RowErrorCode =
  | 'phone_missing'
  | 'phone_invalid'
  | 'email'
  | 'too_long'
  | 'too_many_tags'
  | 'language'
  | 'time_zone'
  | 'consent'
  | 'required'
  | 'number'
  | 'date'
  | 'boolean'
  | 'choice'

export const ROW_ERROR_CODES: readonly RowErrorCode[] = [
  'phone_missing',
  'phone_invalid',
  'email',
  'too_long',
  'too_many_tags',
  'language',
  'time_zone',
  'consent',
  'required',
  'number',
  'date',
  'boolean',
  'choice',
]

export interface RowError {
  /** The row as a spreadsheet numbers it: the header is row 1. */
  row: number
  column: string | null
  code: RowErrorCode
  value: string | null
}

/** What the mapping step refuses, by column index (or null for the whole mapping). */
export interface MappingProblem {
  column: number | null
  code: 'unknown_target' | 'duplicate_target' | 'phone_unmapped' | 'required_field_unmapped'
  target?: string
}

function headerKey(header: string) {
  return header
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u0640\u064B-\u065F]/g, '') // tatweel and harakat
    .replace(/[\s_\-.:/()#*]+/g, '')
    .replace(/[أإآ]/g, 'ا')
    .replace(/ى/g, 'ي')
    .replace(/ة/g, 'ه')
}

/** Headers people write for each field, English and Arabic (compared without spaces or case). */
const HEADER_WORDS: Record<BuiltInTarget, string[]> = {
  phone: [
    'phone',
    'phonenumber',
    'mobile',
    'mobilenumber',
    'mobilephone',
    'cell',
    'cellphone',
    'tel',
    'telephone',
    'whatsapp',
    'whatsappnumber',
    'number',
    'msisdn',
    'رقم',
    'الرقم',
    'هاتف',
    'الهاتف',
    'رقمالهاتف',
    'جوال',
    'الجوال',
    'رقمالجوال',
    'موبايل',
    'الموبايل',
    'واتساب',
    'رقمالواتساب',
    'رقمواتساب',
  ],
  name: [
    'name',
    'fullname',
    'contactname',
    'customer',
    'customername',
    'client',
    'clientname',
    'اسم',
    'الاسم',
    'الاسمالكامل',
    'اسمالعميل',
    'العميل',
  ],
  email: [
    'email',
    'emailaddress',
    'mail',
    'بريد',
    'البريد',
    'البريدالالكتروني',
    'ايميل',
    'الايميل',
  ],
  tags: [
    'tags',
    'tag',
    'labels',
    'label',
    'groups',
    'وسوم',
    'الوسوم',
    'وسم',
    'تصنيف',
    'التصنيفات',
    'التصنيف',
  ],
  language: ['language', 'lang', 'locale', 'لغه', 'اللغه'],
  time_zone: ['timezone', 'tz', 'zone', 'المنطقهالزمنيه', 'التوقيت', 'المنطقهالزمني'],
  marketing_consent: [
    'marketingconsent',
    'consent',
    'optin',
    'marketingoptin',
    'subscribed',
    'marketing',
    'موافقه',
    'الموافقه',
    'الموافقهالتسويقيه',
    'موافقهتسويقيه',
    'اشتراك',
  ],
  notes: ['notes', 'note', 'comments', 'comment', 'ملاحظات', 'ملاحظه'],
}

const WORD_TARGET = new Map<string, BuiltInTarget>()
for (const target of BUILT_IN_TARGETS) {
  for (const word of HEADER_WORDS[target]) WORD_TARGET.set(headerKey(word), target)
}

/**
 * The guessed target of each header: a custom field's key or label first
 * (the workspace's own words), then the built-in words; each target once
 * (tags may take several columns), the rest ignored.
 */
export function guessMapping(headers: string[], fields: ContactField[]): ImportTarget[] {
  const byWord = new Map<string, ImportTarget>()
  for (const field of fields) {
    byWord.set(headerKey(field.key), `attr.${field.key}`)
    byWord.set(headerKey(field.label), `attr.${field.key}`)
  }
  const taken = new Set<string>()
  return headers.map((header) => {
    const key = headerKey(header)
    const target = byWord.get(key) ?? WORD_TARGET.get(key) ?? 'ignore'
    if (target === 'ignore' || (target !== 'tags' && taken.has(target))) return 'ignore'
    taken.add(target)
    return target
  })
}

export function isImportTarget(value: string, fields: ContactField[]): value is ImportTarget {
  if (value === 'ignore') return true
  if ((BUILT_IN_TARGETS as readonly string[]).includes(value)) return true
  return value.startsWith('attr.') && fields.some((field) => `attr.${field.key}` === value)
}

/** A mapping's problems: unknown targets, a field taken twice, no phone, required fields left out. */
export function checkMapping(mapping: string[], fields: ContactField[]): MappingProblem[] {
  const problems: MappingProblem[] = []
  const seen = new Set<string>()
  mapping.forEach((target, column) => {
    if (!isImportTarget(target, fields)) {
      problems.push({ column, code: 'unknown_target', target })
    } else if (target !== 'ignore' && target !== 'tags' && seen.has(target)) {
      problems.push({ column, code: 'duplicate_target', target })
    }
    seen.add(target)
  })
  if (!seen.has('phone')) problems.push({ column: null, code: 'phone_unmapped' })
  for (const field of fields) {
    if (field.required && !seen.has(`attr.${field.key}`)) {
      problems.push({ column: null, code: 'required_field_unmapped', target: `attr.${field.key}` })
    }
  }
  return problems
}

/** A contact as one row (or several rows with its phone, merged) gives it. */
export interface ImportedContact {
  phone: string
  name: string | null
  email: string | null
  notes: string | null
  tags: string[]
  attributes: Record<string, string | number | boolean>
  /** Given in the file (null: not given, the contact's stays). */
  language: string | null
  time_zone: string | null
  /** From the phone's country, used only for a new contact that got none. */
  language_guess: string | null
  time_zone_guess: string | null
  consent: 'opted_in' | 'opted_out' | null
}

const CONSENT_WORDS: Record<string, 'opted_in' | 'opted_out'> = {}
for (const word of [
  'yes',
  'y',
  'true',
  '1',
  'opted_in',
  'optedin',
  'opt_in',
  'optin',
  'subscribed',
  'نعم',
  'موافق',
  'مشترك',
]) {
  CONSENT_WORDS[word] = 'opted_in'
}
for (const word of [
  'no',
  'n',
  'false',
  '0',
  'opted_out',
  'optedout',
  'opt_out',
  'optout',
  'unsubscribed',
  'لا',
  'غير موافق',
  'رافض',
]) {
  CONSENT_WORDS[word] = 'opted_out'
}

const LANGUAGE_NAMES: Record<string, string> = {
  english: 'en',
  arabic: 'ar',
  french: 'fr',
  عربي: 'ar',
  العربية: 'ar',
  عربية: 'ar',
  انجليزي: 'en',
  إنجليزي: 'en',
  الإنجليزية: 'en',
  الانجليزية: 'en',
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** A mapping made ready to read rows with: columns by target, caches for repeated values. */
export class ImportPlan {
  readonly phoneColumn: number
  private readonly zones = new Map<string, boolean>()
  private readonly fieldsByKey: Map<string, ContactField>

  constructor(
    readonly headers: string[],
    readonly mapping: ImportTarget[],
    fields: ContactField[],
    readonly defaultCountry: CountryCode | null,
    readonly label: string | null
  ) {
    this.phoneColumn = mapping.indexOf('phone')
    this.fieldsByKey = new Map(fields.map((field) => [field.key, field]))
  }

  private validZone(zone: string) {
    let valid = this.zones.get(zone)
    if (valid === undefined) {
      valid = isTimeZone(zone)
      this.zones.set(zone, valid)
    }
    return valid
  }

  /** A row's contact, or null with its reasons added to `errors`. */
  read(cells: string[], row: number, errors: RowError[]): ImportedContact | null {
    const found: RowError[] = []
    const fail = (column: number | null, code: RowErrorCode, value: string | null) => {
      found.push({
        row,
        column: column === null ? null : (this.headers[column] ?? null),
        code,
        value,
      })
    }
    const rawPhone = (cells[this.phoneColumn] ?? '').trim()
    const phone = rawPhone ? normalizePhone(rawPhone, this.defaultCountry) : null
    if (!rawPhone) fail(this.phoneColumn, 'phone_missing', null)
    else if (!phone) fail(this.phoneColumn, 'phone_invalid', rawPhone)
    const contact: ImportedContact = {
      phone: phone?.e164 ?? '',
      name: null,
      email: null,
      notes: null,
      tags: [],
      attributes: {},
      language: null,
      time_zone: null,
      ...guessed(phone?.country),
      consent: null,
    }
    const tags: string[] = []
    this.mapping.forEach((target, column) => {
      if (target === 'ignore' || target === 'phone') return
      const value = (cells[column] ?? '').trim()
      if (target.startsWith('attr.')) {
        const field = this.fieldsByKey.get(target.slice(5))!
        if (!value) {
          if (field.required) fail(column, 'required', null)
          return
        }
        const typed = typedValue(field, value)
        if (typeof typed === 'object') fail(column, typed.problem as RowErrorCode, value)
        else contact.attributes[field.key] = typed
        return
      }
      if (!value) return
      switch (target) {
        case 'name':
          if (value.length > 200) fail(column, 'too_long', value)
          else contact.name = value
          break
        case 'email':
          if (value.length > 254 || !EMAIL.test(value)) fail(column, 'email', value)
          else contact.email = value.toLowerCase()
          break
        case 'notes':
          if (value.length > MAX_TEXT_VALUE * 10) fail(column, 'too_long', value)
          else contact.notes = value
          break
        case 'tags':
          for (const part of value.split(/[,;،]/)) {
            const tag = part.trim().replace(/\s+/g, ' ')
            if (!tag) continue
            if (tag.length > MAX_TAG_LENGTH) fail(column, 'too_long', tag)
            else tags.push(tag)
          }
          break
        case 'language': {
          const tag = LANGUAGE_NAMES[value.toLowerCase()] ?? value
          if (LANGUAGE_TAG.test(tag)) contact.language = tag
          else fail(column, 'language', value)
          break
        }
        case 'time_zone':
          if (this.validZone(value)) contact.time_zone = value
          else fail(column, 'time_zone', value)
          break
        case 'marketing_consent': {
          const consent = CONSENT_WORDS[value.toLowerCase()]
          if (consent) contact.consent = consent
          else fail(column, 'consent', value)
          break
        }
      }
    })
    if (this.label) tags.push(this.label)
    contact.tags = uniqueTags(tags)
    if (contact.tags.length > MAX_TAGS) fail(null, 'too_many_tags', null)
    if (found.length) {
      errors.push(...found)
      return null
    }
    return contact
  }
}

function guessed(country: string | undefined) {
  const locale = localeOfCountry(country)
  return { language_guess: locale.language, time_zone_guess: locale.timeZone }
}

function uniqueTags(tags: string[]) {
  const kept = new Map<string, string>()
  for (const tag of tags) if (!kept.has(tag.toLowerCase())) kept.set(tag.toLowerCase(), tag)
  return [...kept.values()]
}

/**
 * E.164 from what people type: international (+, 00), or national in the
 * default country; digits that only make sense with a country code are
 * tried with one. A number must be of a possible length for its country.
 */
export function normalizePhone(raw: string, defaultCountry: CountryCode | null) {
  let value = raw.replace(/[\s\-().\u200e\u200f]/g, '')
  if (value.startsWith('00')) value = `+${value.slice(2)}`
  if (!/^\+?\d+$/.test(value)) return null
  const tries = value.startsWith('+')
    ? [parsePhoneNumberFromString(value)]
    : [
        defaultCountry ? parsePhoneNumberFromString(value, defaultCountry) : undefined,
        parsePhoneNumberFromString(`+${value}`),
      ]
  for (const parsed of tries) {
    if (parsed?.isPossible()) return { e164: parsed.number as string, country: parsed.country }
  }
  return null
}

/**
 * Rows with the same phone in one batch become one contact: later rows'
 * values win where given, tags add up. The database merges a batch with
 * the contacts already stored the same way.
 */
export function mergeByPhone(contacts: ImportedContact[]): ImportedContact[] {
  const byPhone = new Map<string, ImportedContact>()
  for (const contact of contacts) {
    const earlier = byPhone.get(contact.phone)
    if (!earlier) {
      byPhone.set(contact.phone, contact)
      continue
    }
    byPhone.set(contact.phone, {
      ...earlier,
      name: contact.name ?? earlier.name,
      email: contact.email ?? earlier.email,
      notes: contact.notes ?? earlier.notes,
      language: contact.language ?? earlier.language,
      time_zone: contact.time_zone ?? earlier.time_zone,
      consent: contact.consent ?? earlier.consent,
      tags: uniqueTags([...earlier.tags, ...contact.tags]),
      attributes: { ...earlier.attributes, ...contact.attributes },
    })
  }
  // In phone order: two imports (or an import and WhatsApp) locking the same contacts take them alike.
  return [...byPhone.values()].sort((a, b) => (a.phone < b.phone ? -1 : a.phone > b.phone ? 1 : 0))
}
