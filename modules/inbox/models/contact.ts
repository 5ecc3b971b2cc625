import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { beforeCreate, column } from '@adonisjs/lucid/orm'
import { TenantModel } from '#modules/tenancy/index'

export default class Contact extends TenantModel {
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare phone: string | null

  /** WhatsApp's id for the person: the digits of their number. */
  @column()
  declare waId: string | null

  @column()
  declare name: string | null

  @column()
  declare profileName: string | null

  @column()
  declare email: string | null

  @column()
  declare attributes: Record<string, unknown>

  @column()
  declare tags: string[]

  @column()
  declare notes: string | null

  @column()
  declare optIn: 'unknown' | 'opted_in' | 'opted_out'

  @column.dateTime()
  declare optedOutAt: DateTime | null

  @column()
  declare source: string

  /** IANA zone, e.g. Asia/Dubai: guessed from the phone's country, editable. */
  @column()
  declare timeZone: string | null

  /** A BCP 47 tag (en, ar, pt-BR): guessed from the phone's country, editable. */
  @column()
  declare language: string | null

  /** Consent to marketing messages (campaigns); `optIn` is consent to service messages. */
  @column()
  declare marketingConsent: 'unknown' | 'opted_in' | 'opted_out'

  @column()
  declare marketingConsentSource: string | null

  @column.dateTime()
  declare marketingConsentAt: DateTime | null

  @column()
  declare serviceConsentSource: string | null

  @column.dateTime()
  declare serviceConsentAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignId(contact: Contact) {
    contact.id ??= randomUUID()
  }
}
