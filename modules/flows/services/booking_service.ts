import { createHash, randomBytes } from 'node:crypto'
import { DateTime } from 'luxon'
import emitter from '@adonisjs/core/services/emitter'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { clock } from '#app/clock'
import type { TenantContext } from '#modules/tenancy/index'
import { findContact } from '#modules/inbox/index'
import { cancelBookingMessages, scheduleBookingMessages } from './booking_reminders.js'
import {
  cleanWeekly,
  computeSlots,
  validZone,
  type Busy,
  type MemberAvailability,
  type Slot,
  type WeeklyHours,
} from './booking_slots.js'

/*
| The session booker's records: services, who gives them, members' hours,
| holds on offered slots, and bookings. Double booking is refused by the
| database (the bookings_member_no_overlap exclusion constraint), never by
| a read-then-write check here, so any number of racing requests for one
| slot make one booking; the losers get a BookingError `slot_taken`.
*/

export const HOLD_MINUTES = 10
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export type BookingErrorCode = 'not_found' | 'slot_taken' | 'slot_unavailable' | 'invalid'

export class BookingError extends Error {
  constructor(
    readonly code: BookingErrorCode,
    message: string,
    readonly fields: Record<string, string[]> | null = null
  ) {
    super(message)
  }

  get status() {
    return this.code === 'not_found' ? 404 : this.code === 'invalid' ? 422 : 409
  }
}

export interface BookingServiceRecord {
  id: string
  name: string
  durationMinutes: number
  bufferMinutes: number
  priceText: string
  active: boolean
  memberIds: string[]
  templateName: string | null
  templateLanguage: string | null
  createdAt: Date
  updatedAt: Date
}

export interface Booking {
  id: string
  serviceId: string
  memberId: string
  contactId: string
  startsAt: Date
  endsAt: Date
  blocksUntil: Date
  status: 'confirmed' | 'cancelled'
  timeZone: string
  revision: number
  cancelledBy: string | null
  cancelledAt: Date | null
  createdAt: Date
  updatedAt: Date
}

export interface MemberHours extends MemberAvailability {
  hasFeed: boolean
}

export interface ServiceInput {
  name: string
  durationMinutes: number
  bufferMinutes: number
  priceText: string
  active: boolean
  memberIds: string[]
  /** The approved template used outside the 24-hour window (its one variable gets the text). */
  templateName?: string | null
  templateLanguage?: string | null
}

function serviceFrom(row: any, memberIds: string[]): BookingServiceRecord {
  return {
    id: row.id,
    name: row.name,
    durationMinutes: row.duration_minutes,
    bufferMinutes: row.buffer_minutes,
    priceText: row.price_text,
    active: row.active,
    memberIds,
    templateName: row.template_name,
    templateLanguage: row.template_language,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export function bookingFrom(row: any): Booking {
  return {
    id: row.id,
    serviceId: row.service_id,
    memberId: row.member_id,
    contactId: row.contact_id,
    startsAt: new Date(row.starts_at),
    endsAt: new Date(row.ends_at),
    blocksUntil: new Date(row.blocks_until),
    status: row.status,
    timeZone: row.time_zone,
    revision: row.revision,
    cancelledBy: row.cancelled_by,
    cancelledAt: row.cancelled_at ? new Date(row.cancelled_at) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function validate(input: ServiceInput) {
  const fields: Record<string, string[]> = {}
  if (!input.name.trim() || input.name.length > 120)
    fields.name = ['Give the service a name (up to 120 characters)']
  if (
    !Number.isInteger(input.durationMinutes) ||
    input.durationMinutes < 5 ||
    input.durationMinutes > 720
  )
    fields.duration_minutes = ['The duration is 5 to 720 minutes']
  if (
    !Number.isInteger(input.bufferMinutes) ||
    input.bufferMinutes < 0 ||
    input.bufferMinutes > 240
  )
    fields.buffer_minutes = ['The buffer is 0 to 240 minutes']
  if (input.priceText.length > 60) fields.price_text = ['The price is up to 60 characters']
  if (input.memberIds.some((id) => !UUID.test(id)))
    fields.member_ids = ['Choose members of this workspace']
  // WhatsApp's template names and language codes (en, en_US, pt_BR); both or neither.
  const templateName = input.templateName?.trim() ?? ''
  const templateLanguage = input.templateLanguage?.trim() ?? ''
  if (templateName && !/^[a-z0-9_]{1,512}$/.test(templateName))
    fields.template_name = ['A template name is lower-case letters, digits and _']
  if (templateLanguage && !/^[a-z]{2,3}(_[A-Z]{2})?$/.test(templateLanguage))
    fields.template_language = ['A language code such as en, ar or en_US']
  if (Boolean(templateName) !== Boolean(templateLanguage) && !fields.template_name)
    fields[templateName ? 'template_language' : 'template_name'] = [
      'Give the template and its language together',
    ]
  if (Object.keys(fields).length)
    throw new BookingError('invalid', 'The service is invalid', fields)
}

async function membersOf(trx: TransactionClientContract, serviceIds: string[]) {
  const rows = serviceIds.length
    ? await trx.from('booking_service_members').whereIn('service_id', serviceIds).select('*')
    : []
  const map = new Map<string, string[]>()
  for (const row of rows)
    map.set(row.service_id, [...(map.get(row.service_id) ?? []), row.member_id])
  return map
}

export async function listBookingServices(tenant: TenantContext) {
  return tenant.transaction(async (trx) => {
    const rows = await trx.from('booking_services').orderBy('name').orderBy('id')
    const members = await membersOf(
      trx,
      rows.map((r: any) => r.id)
    )
    return rows.map((row: any) => serviceFrom(row, members.get(row.id) ?? []))
  })
}

export async function findBookingService(tenant: TenantContext, id: string) {
  if (!UUID.test(id)) return null
  return tenant.transaction(async (trx) => {
    const row = await trx.from('booking_services').where('id', id).first()
    if (!row) return null
    const members = await membersOf(trx, [id])
    return serviceFrom(row, members.get(id) ?? [])
  })
}

async function writeMembers(
  trx: TransactionClientContract,
  serviceId: string,
  memberIds: string[]
) {
  await trx.from('booking_service_members').where('service_id', serviceId).delete()
  const unique = [...new Set(memberIds)]
  if (unique.length) {
    await trx
      .table('booking_service_members')
      .insert(unique.map((memberId) => ({ service_id: serviceId, member_id: memberId })))
  }
}

/** `allowedMemberIds`: the workspace's members (central), read by the caller. */
export async function createBookingService(
  tenant: TenantContext,
  input: ServiceInput,
  allowedMemberIds: string[]
) {
  validate(input)
  checkMembers(input.memberIds, allowedMemberIds)
  const id = await tenant.transaction(async (trx) => {
    const [row] = await trx.table('booking_services').insert(serviceColumns(input)).returning('id')
    await writeMembers(trx, row.id, input.memberIds)
    return row.id as string
  })
  return (await findBookingService(tenant, id))!
}

export async function updateBookingService(
  tenant: TenantContext,
  id: string,
  input: ServiceInput,
  allowedMemberIds: string[]
) {
  validate(input)
  checkMembers(input.memberIds, allowedMemberIds)
  const found = await tenant.transaction(async (trx) => {
    const updated = await trx
      .from('booking_services')
      .where('id', id)
      .update({ ...serviceColumns(input), updated_at: new Date() })
    if (!Number(updated)) return false
    await writeMembers(trx, id, input.memberIds)
    return true
  })
  if (!found) throw new BookingError('not_found', 'No such service')
  return (await findBookingService(tenant, id))!
}

/** A service's row as the form or the API gives it (trimmed; blank template fields are none). */
function serviceColumns(input: ServiceInput) {
  return {
    name: input.name.trim(),
    duration_minutes: input.durationMinutes,
    buffer_minutes: input.bufferMinutes,
    price_text: input.priceText.trim(),
    active: input.active,
    template_name: input.templateName?.trim() || null,
    template_language: input.templateLanguage?.trim() || null,
  }
}

function checkMembers(memberIds: string[], allowed: string[]) {
  if (memberIds.some((id) => !allowed.includes(id))) {
    throw new BookingError('invalid', 'The service is invalid', {
      member_ids: ['Choose members of this workspace'],
    })
  }
}

function hoursFrom(row: any, memberId: string): MemberHours {
  return {
    memberId,
    timeZone: validZone(row?.time_zone),
    weekly: cleanWeekly(row?.weekly),
    daysOff: Array.isArray(row?.days_off) ? row.days_off : [],
    hasFeed: Boolean(row?.feed_token_hash),
  }
}

/** Each member's hours; a member with no row yet has none (offers no slots). */
export async function memberHours(
  tenant: TenantContext,
  memberIds: string[],
  trx?: TransactionClientContract
) {
  const read = async (client: TransactionClientContract) => {
    const rows = memberIds.length
      ? await client.from('booking_member_hours').whereIn('member_id', memberIds)
      : []
    const byId = new Map(rows.map((row: any) => [row.member_id, row]))
    return memberIds.map((id) => hoursFrom(byId.get(id), id))
  }
  return trx ? read(trx) : tenant.transaction(read)
}

export interface HoursInput {
  timeZone: string
  weekly: WeeklyHours
  daysOff: string[]
}

export async function saveMemberHours(tenant: TenantContext, memberId: string, input: HoursInput) {
  const fields: Record<string, string[]> = {}
  if (!input.timeZone || !DateTime.now().setZone(input.timeZone).isValid)
    fields.time_zone = ['Choose a time zone']
  const badDay = input.daysOff.find(
    (d) => !/^\d{4}-\d\d-\d\d$/.test(d) || !DateTime.fromISO(d).isValid
  )
  if (badDay !== undefined) fields.days_off = [`Not a date: ${badDay}`]
  if (Object.keys(fields).length) throw new BookingError('invalid', 'The hours are invalid', fields)
  await tenant.transaction((trx) =>
    trx.rawQuery(
      `insert into booking_member_hours (member_id, time_zone, weekly, days_off, updated_at)
       values (?, ?, ?::jsonb, ?::jsonb, now())
       on conflict (member_id) do update
         set time_zone = excluded.time_zone, weekly = excluded.weekly,
             days_off = excluded.days_off, updated_at = now()`,
      [
        memberId,
        input.timeZone,
        JSON.stringify(cleanWeekly(input.weekly)),
        JSON.stringify([...new Set(input.daysOff)].sort()),
      ]
    )
  )
}

export interface SlotQuery {
  serviceId: string
  from: Date
  to: Date
  timeZone: string
  /** Holds of this contact do not hide slots from it. */
  contactId?: string | null
  memberId?: string | null
  /** Offered slots whether or not booked or held (to tell taken from never offered). */
  ignoreBusy?: boolean
  /** A booking whose own time does not count as busy (the one being moved). */
  ignoreBookingId?: string | null
}

async function slotsIn(
  trx: TransactionClientContract,
  tenant: TenantContext,
  service: BookingServiceRecord,
  query: SlotQuery
): Promise<Slot[]> {
  const memberIds = query.memberId
    ? service.memberIds.filter((id) => id === query.memberId)
    : service.memberIds
  if (!service.active || !memberIds.length) return []
  const now = clock.millis()
  const margin = 24 * 3600_000
  const windowFrom = new Date(query.from.getTime() - margin)
  const windowTo = new Date(query.to.getTime() + margin)
  const bookings = query.ignoreBusy
    ? []
    : await trx
        .from('bookings')
        .whereIn('member_id', memberIds)
        .whereNot('status', 'cancelled')
        .if(query.ignoreBookingId, (q) => q.whereNot('id', query.ignoreBookingId!))
        .where('starts_at', '<', windowTo)
        .where('blocks_until', '>', windowFrom)
        .select('member_id', 'starts_at', 'blocks_until')
  const holds = query.ignoreBusy
    ? []
    : await trx
        .from('booking_holds')
        .whereIn('member_id', memberIds)
        .where('expires_at', '>', new Date(now))
        .where('starts_at', '<', windowTo)
        .where('blocks_until', '>', windowFrom)
        .if(query.contactId, (q) =>
          q.where((w) => w.whereNull('contact_id').orWhereNot('contact_id', query.contactId!))
        )
        .select('member_id', 'starts_at', 'blocks_until')
  const busy: Busy[] = [...bookings, ...holds].map((row: any) => ({
    memberId: row.member_id,
    start: new Date(row.starts_at),
    end: new Date(row.blocks_until),
  }))
  return computeSlots({
    durationMinutes: service.durationMinutes,
    bufferMinutes: service.bufferMinutes,
    members: await memberHours(tenant, memberIds, trx),
    busy,
    from: query.from,
    to: query.to,
    notBefore: new Date(now),
    customerZone: query.timeZone,
  })
}

export const MAX_SLOT_RANGE_DAYS = 31

export async function findSlots(tenant: TenantContext, query: SlotQuery) {
  if (query.to.getTime() <= query.from.getTime()) {
    throw new BookingError('invalid', 'The range is empty', { to: ['Must be after from'] })
  }
  if (query.to.getTime() - query.from.getTime() > MAX_SLOT_RANGE_DAYS * 86_400_000) {
    throw new BookingError('invalid', 'The range is too long', {
      to: [`At most ${MAX_SLOT_RANGE_DAYS} days after from`],
    })
  }
  const service = await findBookingService(tenant, query.serviceId)
  if (!service) throw new BookingError('not_found', 'No such service')
  return tenant.transaction((trx) => slotsIn(trx, tenant, service, query))
}

/** The members free at exactly `start` for the service (in the service's order). */
async function freeMembersAt(
  trx: TransactionClientContract,
  tenant: TenantContext,
  service: BookingServiceRecord,
  start: Date,
  contactId: string | null,
  memberId: string | null,
  ignoreBusy = false
) {
  const slots = await slotsIn(trx, tenant, service, {
    ignoreBusy,
    serviceId: service.id,
    from: start,
    to: new Date(start.getTime() + 60_000),
    timeZone: 'UTC',
    contactId,
    memberId,
  })
  return slots.find((slot) => slot.start.getTime() === start.getTime())?.memberIds ?? []
}

export interface Hold {
  id: string
  serviceId: string
  memberId: string
  contactId: string | null
  startsAt: Date
  expiresAt: Date
}

/**
 * Holds an offered slot for HOLD_MINUTES: other customers do not see it
 * until it expires or is booked. Replaces the contact's earlier holds.
 */
export async function holdSlot(
  tenant: TenantContext,
  input: { serviceId: string; start: Date; contactId: string | null; memberId?: string | null }
): Promise<Hold> {
  const service = await findBookingService(tenant, input.serviceId)
  if (!service) throw new BookingError('not_found', 'No such service')
  return tenant.transaction(async (trx) => {
    const free = await freeMembersAt(
      trx,
      tenant,
      service,
      input.start,
      input.contactId,
      input.memberId ?? null
    )
    if (!free.length) throw new BookingError('slot_unavailable', 'That time is not available')
    const now = clock.millis()
    if (input.contactId) {
      await trx.from('booking_holds').where('contact_id', input.contactId).delete()
    }
    const expiresAt = new Date(now + HOLD_MINUTES * 60_000)
    const [row] = await trx
      .table('booking_holds')
      .insert({
        service_id: service.id,
        member_id: free[0],
        contact_id: input.contactId,
        starts_at: input.start,
        blocks_until: new Date(
          input.start.getTime() + (service.durationMinutes + service.bufferMinutes) * 60_000
        ),
        expires_at: expiresAt,
      })
      .returning('*')
    return {
      id: row.id,
      serviceId: row.service_id,
      memberId: row.member_id,
      contactId: row.contact_id,
      startsAt: new Date(row.starts_at),
      expiresAt: new Date(row.expires_at),
    }
  })
}

/**
 * Holds every slot offered to the contact at once (a list of times), for
 * HOLD_MINUTES, replacing what was held for them before.
 */
export async function holdOfferedSlots(
  tenant: TenantContext,
  input: { serviceId: string; memberId: string; contactId: string; starts: Date[] }
) {
  return holdSlots(tenant, {
    serviceId: input.serviceId,
    contactId: input.contactId,
    slots: input.starts.map((start) => ({ start, memberId: input.memberId })),
  })
}

/** As holdOfferedSlots, each slot with the member it is held with. */
export async function holdSlots(
  tenant: TenantContext,
  input: { serviceId: string; contactId: string; slots: Array<{ start: Date; memberId: string }> }
) {
  const service = await findBookingService(tenant, input.serviceId)
  if (!service) throw new BookingError('not_found', 'No such service')
  const block = (service.durationMinutes + service.bufferMinutes) * 60_000
  const expiresAt = new Date(clock.millis() + HOLD_MINUTES * 60_000)
  await tenant.transaction(async (trx) => {
    await trx.from('booking_holds').where('contact_id', input.contactId).delete()
    if (!input.slots.length) return
    await trx.table('booking_holds').insert(
      input.slots.map((slot) => ({
        service_id: service.id,
        member_id: slot.memberId,
        contact_id: input.contactId,
        starts_at: slot.start,
        blocks_until: new Date(slot.start.getTime() + block),
        expires_at: expiresAt,
      }))
    )
  })
}

/** The contact's unexpired holds, soonest first. */
export async function offeredHolds(tenant: TenantContext, contactId: string): Promise<Hold[]> {
  const rows = await tenant.transaction((trx) =>
    trx
      .from('booking_holds')
      .where('contact_id', contactId)
      .where('expires_at', '>', new Date(clock.millis()))
      .orderBy('starts_at')
  )
  return rows.map((row: any) => ({
    id: row.id,
    serviceId: row.service_id,
    memberId: row.member_id,
    contactId: row.contact_id,
    startsAt: new Date(row.starts_at),
    expiresAt: new Date(row.expires_at),
  }))
}

/** Removes expired holds (they already stop counting when expired; this keeps the table small). */
export async function purgeExpiredHolds(tenant: TenantContext) {
  return tenant.transaction((trx) =>
    trx.from('booking_holds').where('expires_at', '<=', new Date(clock.millis())).delete()
  )
}

export interface BookInput {
  serviceId: string
  contactId: string
  start: Date
  memberId?: string | null
  /** Who booked: shown nowhere yet, kept for events. */
  source?: 'api' | 'web' | 'flow' | 'reply'
  /** Schedule the booker's confirmation (default); false when the caller confirms itself (a flow). */
  confirm?: boolean
}

function isOverlap(error: unknown) {
  return (error as { code?: string })?.code === '23P01'
}

/**
 * Books the slot at `start` for the contact, with `memberId` or the first
 * member free then. The slot must be one the service offers (hours, days
 * off, not held by someone else); the database refuses an overlap with a
 * live booking of the member, whatever raced it: `slot_taken`.
 */
export async function bookSlot(tenant: TenantContext, input: BookInput): Promise<Booking> {
  const service = await findBookingService(tenant, input.serviceId)
  if (!service) throw new BookingError('not_found', 'No such service')
  const found = await findContact(tenant, input.contactId)
  if (!found) throw new BookingError('not_found', 'No such contact')
  const zone = validZone(found.contact.timeZone)
  if (input.memberId && !service.memberIds.includes(input.memberId)) {
    throw new BookingError('slot_unavailable', 'That member does not give this service')
  }
  const candidates = await tenant.transaction(async (trx) => {
    const free = await freeMembersAt(
      trx,
      tenant,
      service,
      input.start,
      input.contactId,
      input.memberId ?? null
    )
    if (free.length) return free
    const offered = await freeMembersAt(
      trx,
      tenant,
      service,
      input.start,
      input.contactId,
      input.memberId ?? null,
      true
    )
    throw offered.length
      ? slotTaken()
      : new BookingError('slot_unavailable', 'That time is not available')
  })
  const end = new Date(input.start.getTime() + service.durationMinutes * 60_000)
  const blocksUntil = new Date(end.getTime() + service.bufferMinutes * 60_000)
  for (const memberId of candidates) {
    try {
      const booking = await tenant.transaction(async (trx) => {
        const [row] = await trx
          .table('bookings')
          .insert({
            service_id: service.id,
            member_id: memberId,
            contact_id: input.contactId,
            starts_at: input.start,
            ends_at: end,
            blocks_until: blocksUntil,
            time_zone: zone,
          })
          .returning('*')
        await trx.from('booking_holds').where('contact_id', input.contactId).delete()
        const made = bookingFrom(row)
        await scheduleBookingMessages(tenant, made, trx, { confirm: input.confirm ?? true })
        return made
      })
      await emitter.emit('booking:created', {
        tenant: tenant.slug,
        tenantId: tenant.id,
        bookingId: booking.id,
        contactId: booking.contactId,
        source: input.source ?? 'api',
      })
      return booking
    } catch (error) {
      if (!isOverlap(error)) throw error
    }
  }
  throw slotTaken()
}

function slotTaken() {
  return new BookingError('slot_taken', 'That slot was just taken; choose another time')
}

/**
 * Moves a live booking to `start` (a slot the service offers then, with the
 * same member): its reminders move with it. The database refuses the move
 * if it overlaps another booking of the member (`slot_taken`).
 */
export async function rescheduleBooking(
  tenant: TenantContext,
  id: string,
  start: Date
): Promise<Booking> {
  const booking = await findBooking(tenant, id)
  if (!booking || booking.status !== 'confirmed')
    throw new BookingError('not_found', 'No such booking')
  const service = await findBookingService(tenant, booking.serviceId)
  if (!service) throw new BookingError('not_found', 'No such service')
  const end = new Date(start.getTime() + service.durationMinutes * 60_000)
  try {
    return await tenant.transaction(async (trx) => {
      // The booking's own time does not count against its move.
      const free = await slotsIn(trx, tenant, service, {
        serviceId: service.id,
        from: start,
        to: new Date(start.getTime() + 60_000),
        timeZone: 'UTC',
        contactId: booking.contactId,
        memberId: booking.memberId,
        ignoreBookingId: booking.id,
      })
      if (!free.some((slot) => slot.start.getTime() === start.getTime())) {
        throw new BookingError('slot_unavailable', 'That time is not available')
      }
      const rows = await trx
        .from('bookings')
        .where('id', id)
        .where('status', 'confirmed')
        .update({
          starts_at: start,
          ends_at: end,
          blocks_until: new Date(end.getTime() + service.bufferMinutes * 60_000),
          revision: trx.knexRawQuery('revision + 1'),
          updated_at: new Date(),
        })
        .returning('*')
      if (!rows.length) throw new BookingError('not_found', 'No such booking')
      const moved = bookingFrom(rows[0])
      await cancelBookingMessages(tenant, id, trx)
      await trx.from('booking_holds').where('contact_id', booking.contactId).delete()
      await scheduleBookingMessages(tenant, moved, trx, { confirm: true })
      return moved
    })
  } catch (error) {
    if (isOverlap(error)) throw slotTaken()
    throw error
  }
}

export async function findBooking(
  tenant: TenantContext,
  id: string,
  trx?: TransactionClientContract
) {
  if (!UUID.test(id)) return null
  const read = async (client: TransactionClientContract) => {
    const row = await client.from('bookings').where('id', id).first()
    return row ? bookingFrom(row) : null
  }
  return trx ? read(trx) : tenant.transaction(read)
}

/** Cancels a live booking (idempotent: a cancelled one is returned as it is). */
export async function cancelBooking(
  tenant: TenantContext,
  id: string,
  by: 'customer' | 'team' | 'api'
): Promise<Booking> {
  const result = await tenant.transaction(async (trx) => {
    if (!UUID.test(id)) return null
    const rows = await trx
      .from('bookings')
      .where('id', id)
      .where('status', 'confirmed')
      .update({
        status: 'cancelled',
        cancelled_by: by,
        cancelled_at: new Date(clock.millis()),
        revision: trx.knexRawQuery('revision + 1'),
        updated_at: new Date(),
      })
      .returning('*')
    if (rows.length) {
      await cancelBookingMessages(tenant, id, trx)
      return { booking: bookingFrom(rows[0]), changed: true }
    }
    const existing = await findBooking(tenant, id, trx)
    return existing ? { booking: existing, changed: false } : null
  })
  if (!result) throw new BookingError('not_found', 'No such booking')
  if (result.changed) {
    await emitter.emit('booking:cancelled', {
      tenant: tenant.slug,
      tenantId: tenant.id,
      bookingId: result.booking.id,
      contactId: result.booking.contactId,
      by,
    })
  }
  return result.booking
}

export interface BookingListQuery {
  from?: Date | null
  to?: Date | null
  memberId?: string | null
  contactId?: string | null
  status?: 'confirmed' | 'cancelled' | null
  limit: number
  /** The last row of the previous page: its start (as Postgres printed it) and id. */
  after?: { key: string; id: string } | null
}

/** Bookings by start time then id, a page at a time; `key` is the start to the microsecond. */
export async function listBookings(tenant: TenantContext, query: BookingListQuery) {
  return tenant.transaction(async (trx) => {
    const rows = await trx
      .from('bookings')
      .select(
        '*',
        trx.raw(
          `to_char(starts_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as sort_key`
        )
      )
      .if(query.from, (q) => q.where('starts_at', '>=', query.from!))
      .if(query.to, (q) => q.where('starts_at', '<', query.to!))
      .if(query.memberId, (q) => q.where('member_id', query.memberId!))
      .if(query.contactId, (q) => q.where('contact_id', query.contactId!))
      .if(query.status, (q) => q.where('status', query.status!))
      .if(query.after, (q) =>
        q.whereRaw('(starts_at, id) > (?::timestamptz, ?::uuid)', [
          query.after!.key,
          query.after!.id,
        ])
      )
      .orderBy('starts_at')
      .orderBy('id')
      .limit(query.limit + 1)
    const page = rows.slice(0, query.limit)
    const last = page.at(-1)
    return {
      bookings: page.map(bookingFrom),
      next:
        rows.length > query.limit && last
          ? { key: last.sort_key as string, id: last.id as string }
          : null,
    }
  })
}

/** Live bookings of the contact that start after now, soonest first. */
export async function upcomingBookingsOf(tenant: TenantContext, contactId: string) {
  return tenant.transaction(async (trx) => {
    const rows = await trx
      .from('bookings')
      .where('contact_id', contactId)
      .where('status', 'confirmed')
      .where('starts_at', '>', new Date(clock.millis()))
      .orderBy('starts_at')
    return rows.map(bookingFrom)
  })
}

/* The private ICS feed: the token is shown once when made; only its hash is kept. */

function hashToken(token: string) {
  return createHash('sha256').update(token).digest('hex')
}

/** Makes (or replaces) the member's feed token; the old feed URL stops working. */
export async function regenerateFeedToken(tenant: TenantContext, memberId: string) {
  const token = randomBytes(24).toString('base64url')
  await tenant.transaction((trx) =>
    trx.rawQuery(
      `insert into booking_member_hours (member_id, feed_token_hash) values (?, ?)
       on conflict (member_id) do update set feed_token_hash = excluded.feed_token_hash, updated_at = now()`,
      [memberId, hashToken(token)]
    )
  )
  return token
}

/** The member a feed token belongs to, or null. */
export async function memberOfFeedToken(tenant: TenantContext, token: string) {
  if (!token || token.length > 100) return null
  const row = await tenant.transaction((trx) =>
    trx.from('booking_member_hours').where('feed_token_hash', hashToken(token)).first()
  )
  return (row?.member_id as string | undefined) ?? null
}

/** A member's bookings for the feed: the last 90 days and everything ahead. */
export async function feedBookings(tenant: TenantContext, memberId: string) {
  return tenant.transaction(async (trx) => {
    const rows = await trx
      .from('bookings')
      .where('member_id', memberId)
      .where('starts_at', '>', new Date(clock.millis() - 90 * 86_400_000))
      .orderBy('starts_at')
      .limit(2000)
    return rows.map(bookingFrom)
  })
}
