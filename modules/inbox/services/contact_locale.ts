import { IANAZone } from 'luxon'
import { parsePhoneNumberFromString } from 'libphonenumber-js'

/**
 * A contact's likely time zone and language from their phone's country, as
 * a starting guess members can edit. For countries spanning zones the
 * capital's zone is taken. Countries not listed guess nothing.
 */
const COUNTRY_LOCALE: Record<string, [string, string]> = {
  AE: ['Asia/Dubai', 'ar'],
  SA: ['Asia/Riyadh', 'ar'],
  QA: ['Asia/Qatar', 'ar'],
  KW: ['Asia/Kuwait', 'ar'],
  BH: ['Asia/Bahrain', 'ar'],
  OM: ['Asia/Muscat', 'ar'],
  JO: ['Asia/Amman', 'ar'],
  LB: ['Asia/Beirut', 'ar'],
  IQ: ['Asia/Baghdad', 'ar'],
  SY: ['Asia/Damascus', 'ar'],
  PS: ['Asia/Hebron', 'ar'],
  YE: ['Asia/Aden', 'ar'],
  EG: ['Africa/Cairo', 'ar'],
  LY: ['Africa/Tripoli', 'ar'],
  TN: ['Africa/Tunis', 'ar'],
  DZ: ['Africa/Algiers', 'ar'],
  MA: ['Africa/Casablanca', 'ar'],
  SD: ['Africa/Khartoum', 'ar'],
  IL: ['Asia/Jerusalem', 'he'],
  TR: ['Europe/Istanbul', 'tr'],
  IR: ['Asia/Tehran', 'fa'],
  PK: ['Asia/Karachi', 'ur'],
  IN: ['Asia/Kolkata', 'en'],
  BD: ['Asia/Dhaka', 'bn'],
  LK: ['Asia/Colombo', 'si'],
  NP: ['Asia/Kathmandu', 'ne'],
  PH: ['Asia/Manila', 'en'],
  ID: ['Asia/Jakarta', 'id'],
  MY: ['Asia/Kuala_Lumpur', 'ms'],
  SG: ['Asia/Singapore', 'en'],
  TH: ['Asia/Bangkok', 'th'],
  VN: ['Asia/Ho_Chi_Minh', 'vi'],
  CN: ['Asia/Shanghai', 'zh'],
  HK: ['Asia/Hong_Kong', 'zh'],
  TW: ['Asia/Taipei', 'zh'],
  JP: ['Asia/Tokyo', 'ja'],
  KR: ['Asia/Seoul', 'ko'],
  AU: ['Australia/Sydney', 'en'],
  NZ: ['Pacific/Auckland', 'en'],
  GB: ['Europe/London', 'en'],
  IE: ['Europe/Dublin', 'en'],
  FR: ['Europe/Paris', 'fr'],
  BE: ['Europe/Brussels', 'fr'],
  CH: ['Europe/Zurich', 'de'],
  DE: ['Europe/Berlin', 'de'],
  AT: ['Europe/Vienna', 'de'],
  NL: ['Europe/Amsterdam', 'nl'],
  ES: ['Europe/Madrid', 'es'],
  PT: ['Europe/Lisbon', 'pt'],
  IT: ['Europe/Rome', 'it'],
  GR: ['Europe/Athens', 'el'],
  PL: ['Europe/Warsaw', 'pl'],
  SE: ['Europe/Stockholm', 'sv'],
  NO: ['Europe/Oslo', 'nb'],
  DK: ['Europe/Copenhagen', 'da'],
  FI: ['Europe/Helsinki', 'fi'],
  RO: ['Europe/Bucharest', 'ro'],
  UA: ['Europe/Kyiv', 'uk'],
  RU: ['Europe/Moscow', 'ru'],
  US: ['America/New_York', 'en'],
  CA: ['America/Toronto', 'en'],
  MX: ['America/Mexico_City', 'es'],
  BR: ['America/Sao_Paulo', 'pt'],
  AR: ['America/Argentina/Buenos_Aires', 'es'],
  CL: ['America/Santiago', 'es'],
  CO: ['America/Bogota', 'es'],
  PE: ['America/Lima', 'es'],
  ZA: ['Africa/Johannesburg', 'en'],
  NG: ['Africa/Lagos', 'en'],
  KE: ['Africa/Nairobi', 'en'],
  ET: ['Africa/Addis_Ababa', 'am'],
  GH: ['Africa/Accra', 'en'],
}

export interface ContactLocale {
  timeZone: string | null
  language: string | null
}

export function guessLocale(phone: string | null | undefined): ContactLocale {
  const country = phone ? parsePhoneNumberFromString(phone)?.country : undefined
  return localeOfCountry(country)
}

/** The guess for a country already known (an import parses each phone once). */
export function localeOfCountry(country: string | undefined): ContactLocale {
  const known = country ? COUNTRY_LOCALE[country] : undefined
  return known ? { timeZone: known[0], language: known[1] } : { timeZone: null, language: null }
}

export function isTimeZone(value: string) {
  return IANAZone.isValidZone(value)
}

/** A BCP 47 language tag of the usual short kind: en, ar, pt-BR, zh-Hant. */
export const LANGUAGE_TAG = /^[a-z]{2,3}(-[A-Za-z]{2,4})?$/
