import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import type { Role } from '../models/membership.js'

/*
| Members' own WhatsApp numbers. A number is kept as WhatsApp's wa_id (the
| international number's digits, no +, spaces or leading zeros), so an
| inbound message's sender is compared as it arrives. Other modules ask
| whether senders are members (channels, before it stores a message as a
| customer's) through `membersByWhatsApp`, which reads the central tables
| by their schema so it runs inside a tenant transaction too.
*/

export class MemberPhoneError extends Error {
  constructor(readonly code: 'invalid' | 'taken') {
    super(code)
  }
}

/** The wa_id form of a typed number ("+971 50 123 4567" → "971501234567"), or null when blank. */
export function memberPhoneOf(input: unknown): string | null {
  const text = String(input ?? '').trim()
  if (!text) return null
  if (!/^[+\d\s().-]+$/.test(text)) throw new MemberPhoneError('invalid')
  const digits = text.replace(/\D/g, '').replace(/^00/, '')
  // E.164: a country code and number, 8 to 15 digits, never starting with 0.
  if (!/^[1-9]\d{7,14}$/.test(digits)) throw new MemberPhoneError('invalid')
  return digits
}

/** Sets (or, with a blank number, clears) a member's WhatsApp number in their workspace. */
export async function setMemberPhone(tenantId: string, membershipId: string, input: unknown) {
  const phone = memberPhoneOf(input)
  if (phone) {
    const taken = await db
      .from('memberships')
      .where('tenant_id', tenantId)
      .where('whatsapp_phone', phone)
      .whereNot('id', membershipId)
      .first()
    if (taken) throw new MemberPhoneError('taken')
  }
  await db
    .from('memberships')
    .where('tenant_id', tenantId)
    .where('id', membershipId)
    .update({ whatsapp_phone: phone, updated_at: new Date() })
  return phone
}

export interface PhoneMember {
  userId: string
  membershipId: string
  role: Role
  name: string
  locale: string | null
}

/**
 * The members of a workspace among these senders (wa_ids), by wa_id. With
 * `client`, read through the caller's transaction (the tables named with
 * their schema, as a tenant transaction's search path holds only its own).
 */
export async function membersByWhatsApp(
  tenantId: string,
  waIds: string[],
  client: QueryClientContract = db.connection()
): Promise<Map<string, PhoneMember>> {
  const wanted = [...new Set(waIds.filter((id) => /^\d{6,20}$/.test(id)))]
  const found = new Map<string, PhoneMember>()
  if (!wanted.length) return found
  const result = await client.rawQuery(
    `select m.id, m.user_id, m.role, m.whatsapp_phone, u.name, u.email, u.locale
       from public.memberships m join public.users u on u.id = m.user_id
      where m.tenant_id = ? and m.whatsapp_phone = any(?)`,
    [tenantId, wanted]
  )
  for (const row of result.rows) {
    found.set(row.whatsapp_phone, {
      userId: row.user_id,
      membershipId: row.id,
      role: row.role,
      name: row.name || row.email,
      locale: row.locale ?? null,
    })
  }
  return found
}
