import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { normalizeE164 } from '#app/validation/phone_rule'
import { apiBody, apiQuery } from '#app/http/api/index'
import { sinceTime } from './conversation_api_validator.js'
import { CONSENT_SOURCES, LANGUAGE_TAG, isTimeZone } from '#modules/inbox/index'

/** The same limits as the workspace's contact form. */
const MAX_TAGS = 30
const MAX_TAG_LENGTH = 50
const MAX_ATTRIBUTES = 50
const MAX_ATTRIBUTE_KEY = 64
const MAX_ATTRIBUTE_VALUE = 500

/** A phone number in any usual writing, stored as E.164. */
export const e164 = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string' || !field.isValid) return
  const normalized = normalizeE164(value)
  if (!normalized) {
    field.report(
      'The phone number must be in international form, e.g. +971501234567',
      'e164',
      field
    )
    return
  }
  field.mutate(normalized, field)
})

const attributeLimits = vine.createRule(
  (value: unknown, _options: undefined, field: FieldContext) => {
    if (typeof value !== 'object' || value === null || !field.isValid) return
    const keys = Object.keys(value)
    if (keys.length > MAX_ATTRIBUTES) {
      field.report(`At most ${MAX_ATTRIBUTES} attributes`, 'attributes', field)
    } else if (keys.some((key) => !key.trim() || key.length > MAX_ATTRIBUTE_KEY)) {
      field.report(`Attribute names are 1 to ${MAX_ATTRIBUTE_KEY} characters`, 'attributes', field)
    }
  }
)

export const OPT_IN_STATES = ['unknown', 'opted_in', 'opted_out'] as const
export { CONSENT_SOURCES }

const timeZone = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string' || !value || !field.isValid) return
  if (!isTimeZone(value)) {
    field.report('Give an IANA time zone, e.g. Asia/Dubai', 'time_zone', field)
  }
})

/** What a contact is besides its phone number: every field optional. */
const details = {
  name: vine.string().trim().maxLength(200).nullable().optional(),
  email: vine.string().trim().email().maxLength(254).nullable().optional(),
  tags: vine
    .array(vine.string().trim().minLength(1).maxLength(MAX_TAG_LENGTH))
    .maxLength(MAX_TAGS)
    .distinct()
    .optional(),
  notes: vine.string().trim().maxLength(5000).nullable().optional(),
  /** Checked against the workspace's custom field definitions by the inbox (unknown keys refused). */
  attributes: vine
    .record(
      vine.union([
        vine.union.if((value) => typeof value === 'number', vine.number()),
        vine.union.if((value) => typeof value === 'boolean', vine.boolean({ strict: true })),
        vine.union.else(vine.string().maxLength(MAX_ATTRIBUTE_VALUE).nullable()),
      ])
    )
    .use(attributeLimits())
    .optional(),
  opt_in: vine.enum(OPT_IN_STATES).optional(),
  consent: vine
    .object({
      marketing: vine.enum(OPT_IN_STATES),
      source: vine.enum(CONSENT_SOURCES).optional(),
    })
    .optional(),
  time_zone: vine.string().trim().maxLength(64).use(timeZone()).nullable().optional(),
  language: vine.string().trim().regex(LANGUAGE_TAG).nullable().optional(),
}

export const createContactBody = apiBody({
  phone: vine.string().trim().use(e164()),
  ...details,
})

/**
 * PATCH /contacts/:id and PUT /contacts/by-phone/:phone: the fields given
 * change, the others stay as they are (the phone is the contact's identity
 * and is not changed here).
 */
export const contactDetailsBody = apiBody(details)

/** GET /contacts: the filters beside the page's limit and cursor. */
export const contactListQuery = apiQuery({
  phone: vine.string().trim().use(e164()).optional(),
  // Addresses are matched whatever their case, as people type them.
  email: vine
    .string()
    .trim()
    .maxLength(320)
    .transform((value) => value.toLowerCase())
    .optional(),
  tag: vine.string().trim().maxLength(200).optional(),
  updated_since: vine.string().trim().use(sinceTime()).optional(),
})
