/*
| The contact pages' view models for custom fields and consent: each
| defined field with its value as shown and as put in the form, the stored
| attributes no field defines, and each consent with its source and time.
*/
import type { DateTime } from 'luxon'
import type Contact from '../models/contact.js'
import type ContactField from '../models/contact_field.js'
import { CUSTOM_FIELD_PREFIX } from '../validators/contact_validator.js'

type Translate = (key: string, data?: Record<string, unknown>) => string

export interface CustomFieldRow {
  key: string
  label: string
  type: ContactField['type']
  required: boolean
  /** The form control's name. */
  name: string
  inputType: 'text' | 'number' | 'date' | 'select'
  /** As the form control holds it. */
  value: string
  /** As the contact page shows it. */
  shown: string
  options: Array<{ value: string; label: string }>
}

export function customFieldRows(
  fields: ContactField[],
  attributes: Record<string, unknown>,
  t: Translate
): CustomFieldRow[] {
  return fields.map((field) => {
    const raw = attributes[field.key]
    const value = raw === undefined || raw === null ? '' : String(raw)
    const unset = { value: '', label: '—' }
    let options: CustomFieldRow['options'] = []
    let shown = value || '—'
    if (field.type === 'boolean') {
      options = [
        unset,
        { value: 'true', label: t('contacts.show.yes') },
        { value: 'false', label: t('contacts.show.no') },
      ]
      shown =
        value === 'true' ? t('contacts.show.yes') : value === 'false' ? t('contacts.show.no') : '—'
    } else if (field.type === 'choice') {
      options = [unset, ...field.choices.map((choice) => ({ value: choice, label: choice }))]
    }
    return {
      key: field.key,
      label: field.label,
      type: field.type,
      required: field.required,
      name: `${CUSTOM_FIELD_PREFIX}${field.key}`,
      inputType:
        field.type === 'boolean' || field.type === 'choice'
          ? 'select'
          : field.type === 'number'
            ? 'number'
            : field.type === 'date'
              ? 'date'
              : 'text',
      value,
      shown,
      options,
    }
  })
}

/** Stored attributes that no defined field names (kept, shown read-only). */
export function otherAttributes(fields: ContactField[], attributes: Record<string, unknown>) {
  const defined = new Set(fields.map((field) => field.key))
  return Object.entries(attributes ?? {})
    .filter(([key]) => !defined.has(key))
    .map(([key, value]) => ({
      key,
      value: typeof value === 'string' ? value : JSON.stringify(value),
    }))
}

export interface ConsentLine {
  state: Contact['optIn']
  source: string | null
  at: DateTime | null
}

export function consentLines(contact: Contact): { service: ConsentLine; marketing: ConsentLine } {
  return {
    service: {
      state: contact.optIn,
      source: contact.serviceConsentSource,
      at: contact.serviceConsentAt,
    },
    marketing: {
      state: contact.marketingConsent ?? 'unknown',
      source: contact.marketingConsentSource,
      at: contact.marketingConsentAt,
    },
  }
}
