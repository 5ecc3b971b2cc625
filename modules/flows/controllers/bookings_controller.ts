import { errors as lucidErrors } from '@adonisjs/lucid'
import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import { can, membersWithRoles, type MemberSummary } from '#modules/identity/index'
import { workspaceLayout } from '#modules/tenancy/index'
import { findContact } from '#modules/inbox/index'
import { clock } from '#app/clock'
import {
  BookingError,
  cancelBooking,
  createBookingService,
  findBooking,
  findBookingService,
  listBookingServices,
  listBookings,
  memberHours,
  regenerateFeedToken,
  saveMemberHours,
  updateBookingService,
  type BookingServiceRecord,
  type ServiceInput,
} from '../services/booking_service.js'
import { WEEKDAYS, validZone, type WeeklyHours } from '../services/booking_slots.js'

const TIMEZONES = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')]
const TEAM_ROLES = ['owner', 'admin', 'agent'] as const

/**
 * The session booker's pages: services (list, new, edit), the team's hours
 * (weekly hours, zone and days off per member), the week calendar (members
 * by days), a booking with its cancel button, and each member's private ICS
 * feed link. Every member sees; owners and admins change (bookings.manage).
 * Forms work without JavaScript; refused input re-renders with 422.
 */
export default class BookingsController {
  async services(ctx: HttpContext) {
    await ctx.bouncer.with('BookingPolicy').authorize('view', ctx.access)
    const [services, team] = await Promise.all([listBookingServices(ctx.tenant), teamOf(ctx)])
    const names = new Map(team.map((m) => [m.userId, m.name || m.email]))
    return ctx.view.render('flows::bookings/services', {
      ...page(ctx, 'bookings'),
      services: services.map((s) => ({
        ...s,
        memberNames: s.memberIds.map((id) => names.get(id) ?? ''),
      })),
      canManage: can(ctx.access, 'bookings.manage'),
    })
  }

  async createService(ctx: HttpContext) {
    await ctx.bouncer.with('BookingPolicy').authorize('manage', ctx.access)
    return renderServiceForm(ctx, null, null, {})
  }

  async storeService(ctx: HttpContext) {
    await ctx.bouncer.with('BookingPolicy').authorize('manage', ctx.access)
    const input = serviceInput(ctx)
    const team = await teamOf(ctx)
    try {
      const service = await createBookingService(
        ctx.tenant,
        input,
        team.map((m) => m.userId)
      )
      ctx.session.flash(
        'success',
        ctx.i18n.t('bookings.flash.service_saved', { name: service.name })
      )
      return ctx.response.redirect(`${page(ctx, 'bookings').base}/bookings/services`)
    } catch (error) {
      if (!(error instanceof BookingError) || error.code !== 'invalid') throw error
      return renderServiceForm(ctx, null, input, translateFields(ctx, error.fields ?? {}), 422)
    }
  }

  async editService(ctx: HttpContext) {
    await ctx.bouncer.with('BookingPolicy').authorize('manage', ctx.access)
    const service = await findBookingService(ctx.tenant, ctx.params.id)
    if (!service) throw new lucidErrors.E_ROW_NOT_FOUND()
    return renderServiceForm(ctx, service, null, {})
  }

  async updateService(ctx: HttpContext) {
    await ctx.bouncer.with('BookingPolicy').authorize('manage', ctx.access)
    const service = await findBookingService(ctx.tenant, ctx.params.id)
    if (!service) throw new lucidErrors.E_ROW_NOT_FOUND()
    const input = serviceInput(ctx)
    const team = await teamOf(ctx)
    try {
      const saved = await updateBookingService(
        ctx.tenant,
        service.id,
        input,
        team.map((m) => m.userId)
      )
      ctx.session.flash('success', ctx.i18n.t('bookings.flash.service_saved', { name: saved.name }))
      return ctx.response.redirect(`${page(ctx, 'bookings').base}/bookings/services`)
    } catch (error) {
      if (!(error instanceof BookingError) || error.code !== 'invalid') throw error
      return renderServiceForm(ctx, service, input, translateFields(ctx, error.fields ?? {}), 422)
    }
  }

  async hours(ctx: HttpContext) {
    await ctx.bouncer.with('BookingPolicy').authorize('view', ctx.access)
    return renderHours(ctx, null, {})
  }

  async saveHours(ctx: HttpContext) {
    await ctx.bouncer.with('BookingPolicy').authorize('manage', ctx.access)
    const team = await teamOf(ctx)
    const member = team.find((m) => m.userId === ctx.params.memberId)
    if (!member) throw new lucidErrors.E_ROW_NOT_FOUND()
    const weekly: WeeklyHours = {}
    const errors: Record<string, string> = {}
    for (const day of WEEKDAYS) {
      const open = String(ctx.request.input(`${day}_start`) ?? '').trim()
      const close = String(ctx.request.input(`${day}_end`) ?? '').trim()
      if (!open && !close) continue
      if (!/^\d\d:\d\d$/.test(open) || !/^\d\d:\d\d$/.test(close) || open >= close) {
        errors[day] = ctx.i18n.t('bookings.hours.bad_window')
        continue
      }
      weekly[day] = [[open, close]]
    }
    const daysOff = String(ctx.request.input('days_off') ?? '')
      .split(/[\s,]+/)
      .map((d) => d.trim())
      .filter(Boolean)
    const timeZone = String(ctx.request.input('time_zone') ?? '')
    if (!timeZone || !DateTime.now().setZone(timeZone).isValid) {
      errors.time_zone = ctx.i18n.t('bookings.hours.bad_zone')
    }
    try {
      if (Object.keys(errors).length) throw new BookingError('invalid', 'bad hours')
      await saveMemberHours(ctx.tenant, member.userId, { timeZone, weekly, daysOff })
    } catch (error) {
      if (!(error instanceof BookingError) || error.code !== 'invalid') throw error
      for (const [field, messages] of Object.entries(error.fields ?? {})) {
        errors[field] =
          field === 'time_zone' ? ctx.i18n.t('bookings.hours.bad_zone') : messages.join(' ')
      }
      return renderHours(
        ctx,
        {
          memberId: member.userId,
          timeZone,
          weekly: ctx.request.all(),
          daysOff: daysOff.join('\n'),
          errors,
        },
        errors,
        422
      )
    }
    ctx.session.flash(
      'success',
      ctx.i18n.t('bookings.flash.hours_saved', { name: member.name || member.email })
    )
    return ctx.response.redirect(
      `${page(ctx, 'bookings').base}/bookings/hours#member-${member.userId}`
    )
  }

  async regenerateFeed(ctx: HttpContext) {
    await ctx.bouncer.with('BookingPolicy').authorize('view', ctx.access)
    const token = await regenerateFeedToken(ctx.tenant, ctx.auth.user!.id)
    const base = page(ctx, 'bookings').base
    ctx.session.flash(
      'feedUrl',
      `${ctx.request.protocol()}://${ctx.request.host()}${base}/bookings/feed/${token}.ics`
    )
    return ctx.response.redirect(`${base}/bookings/hours#feed`)
  }

  async calendar(ctx: HttpContext) {
    await ctx.bouncer.with('BookingPolicy').authorize('view', ctx.access)
    const zone = validZone(ctx.auth.user!.timezone)
    const asked = DateTime.fromISO(String(ctx.request.input('week') ?? ''), { zone })
    const monday = (asked.isValid ? asked : clock.now().setZone(zone)).startOf('week')
    const days = Array.from({ length: 7 }, (_, i) => monday.plus({ days: i }))
    const [team, services, { bookings }] = await Promise.all([
      teamOf(ctx),
      listBookingServices(ctx.tenant),
      listBookings(ctx.tenant, {
        from: monday.toJSDate(),
        to: monday.plus({ weeks: 1 }).toJSDate(),
        status: 'confirmed',
        limit: 1000,
      }),
    ])
    const serviceNames = new Map(services.map((s) => [s.id, s.name]))
    const givers = new Set(services.flatMap((s) => s.memberIds))
    const rows = team
      .filter((m) => givers.has(m.userId) || bookings.some((b) => b.memberId === m.userId))
      .map((member) => ({
        member,
        days: days.map((day) =>
          bookings
            .filter((b) => b.memberId === member.userId)
            .filter((b) => DateTime.fromJSDate(b.startsAt, { zone }).hasSame(day, 'day'))
            .map((b) => ({
              id: b.id,
              time: DateTime.fromJSDate(b.startsAt, { zone }).toFormat('HH:mm'),
              service: serviceNames.get(b.serviceId) ?? '',
            }))
        ),
      }))
    return ctx.view.render('flows::bookings/calendar', {
      ...page(ctx, 'bookings'),
      zone,
      days: days.map((d) => ({
        iso: d.toISODate(),
        label: d.setLocale(ctx.i18n.locale).toFormat('ccc d LLL'),
      })),
      rows,
      previous: monday.minus({ weeks: 1 }).toISODate(),
      next: monday.plus({ weeks: 1 }).toISODate(),
      weekLabel: monday.setLocale(ctx.i18n.locale).toFormat('d LLL yyyy'),
    })
  }

  async show(ctx: HttpContext) {
    await ctx.bouncer.with('BookingPolicy').authorize('view', ctx.access)
    const booking = await findBooking(ctx.tenant, ctx.params.id)
    if (!booking) throw new lucidErrors.E_ROW_NOT_FOUND()
    const [service, contact, team] = await Promise.all([
      findBookingService(ctx.tenant, booking.serviceId),
      findContact(ctx.tenant, booking.contactId),
      teamOf(ctx),
    ])
    const zone = validZone(ctx.auth.user!.timezone)
    const member = team.find((m) => m.userId === booking.memberId)
    const format = (date: Date, z: string) =>
      DateTime.fromJSDate(date, { zone: z })
        .setLocale(ctx.i18n.locale)
        .toFormat('cccc d LLLL yyyy, HH:mm')
    return ctx.view.render('flows::bookings/show', {
      ...page(ctx, 'bookings'),
      booking,
      serviceName: service?.name ?? '',
      memberName: member ? member.name || member.email : '',
      contactName: contact ? contact.contact.name || contact.contact.phone || '' : '',
      contactId: booking.contactId,
      teamTime: `${format(booking.startsAt, zone)} (${zone})`,
      customerTime: `${format(booking.startsAt, booking.timeZone)} (${booking.timeZone})`,
      canManage: can(ctx.access, 'bookings.manage'),
    })
  }

  async cancel(ctx: HttpContext) {
    await ctx.bouncer.with('BookingPolicy').authorize('manage', ctx.access)
    try {
      await cancelBooking(ctx.tenant, ctx.params.id, 'team')
    } catch (error) {
      if (error instanceof BookingError && error.code === 'not_found')
        throw new lucidErrors.E_ROW_NOT_FOUND()
      throw error
    }
    ctx.session.flash('success', ctx.i18n.t('bookings.flash.cancelled'))
    return ctx.response.redirect(`${page(ctx, 'bookings').base}/bookings/${ctx.params.id}`)
  }
}

function page(ctx: HttpContext, current: string) {
  return {
    ...workspaceLayout(ctx, current),
    stylesheets: ['/assets/bookings.css'],
    scripts: [] as string[],
  }
}

async function teamOf(ctx: HttpContext): Promise<MemberSummary[]> {
  return membersWithRoles(ctx.tenantRecord.id, TEAM_ROLES)
}

function serviceInput(ctx: HttpContext): ServiceInput {
  const members = ctx.request.input('member_ids')
  const number = (name: string) => {
    const raw = String(ctx.request.input(name) ?? '').trim()
    return raw === '' ? Number.NaN : Number(raw)
  }
  return {
    name: String(ctx.request.input('name') ?? ''),
    durationMinutes: number('duration_minutes'),
    bufferMinutes: number('buffer_minutes'),
    priceText: String(ctx.request.input('price_text') ?? ''),
    active: ctx.request.input('active') === 'on' || ctx.request.input('active') === 'true',
    memberIds: (Array.isArray(members) ? members : members ? [members] : []).map(String),
    templateName: String(ctx.request.input('template_name') ?? ''),
    templateLanguage: String(ctx.request.input('template_language') ?? ''),
  }
}

function translateFields(ctx: HttpContext, fields: Record<string, string[]>) {
  return Object.fromEntries(
    Object.keys(fields).map((field) => [field, ctx.i18n.t(`bookings.services.errors.${field}`)])
  )
}

async function renderServiceForm(
  ctx: HttpContext,
  service: BookingServiceRecord | null,
  input: ServiceInput | null,
  errors: Record<string, string>,
  status = 200
) {
  const values = input ?? {
    name: service?.name ?? '',
    durationMinutes: service?.durationMinutes ?? 60,
    bufferMinutes: service?.bufferMinutes ?? 0,
    priceText: service?.priceText ?? '',
    active: service?.active ?? true,
    memberIds: service?.memberIds ?? [],
    templateName: service?.templateName ?? '',
    templateLanguage: service?.templateLanguage ?? '',
  }
  ctx.response.status(status)
  return ctx.view.render('flows::bookings/service_form', {
    ...page(ctx, 'bookings'),
    service,
    values: {
      ...values,
      durationMinutes: Number.isNaN(values.durationMinutes) ? '' : values.durationMinutes,
      bufferMinutes: Number.isNaN(values.bufferMinutes) ? '' : values.bufferMinutes,
    },
    team: await teamOf(ctx),
    errors,
  })
}

async function renderHours(
  ctx: HttpContext,
  submitted: {
    memberId: string
    timeZone: string
    weekly: Record<string, unknown>
    daysOff: string
    errors: Record<string, string>
  } | null,
  errors: Record<string, string>,
  status = 200
) {
  const team = await teamOf(ctx)
  const hours = await memberHours(
    ctx.tenant,
    team.map((m) => m.userId)
  )
  const members = team.map((member, index) => {
    const saved = hours[index]
    const mine = submitted?.memberId === member.userId
    return {
      member,
      isMe: member.userId === ctx.auth.user!.id,
      timeZone: mine ? submitted.timeZone : saved.timeZone,
      days: WEEKDAYS.map((day) => ({
        day,
        start: mine
          ? String(submitted.weekly[`${day}_start`] ?? '')
          : (saved.weekly[day]?.[0]?.[0] ?? ''),
        end: mine
          ? String(submitted.weekly[`${day}_end`] ?? '')
          : (saved.weekly[day]?.[0]?.[1] ?? ''),
        error: mine ? (errors[day] ?? null) : null,
      })),
      daysOff: mine ? submitted.daysOff : saved.daysOff.join('\n'),
      errors: mine ? errors : {},
      hasFeed: saved.hasFeed,
    }
  })
  ctx.response.status(status)
  return ctx.view.render('flows::bookings/hours', {
    ...page(ctx, 'bookings'),
    members,
    hasMyFeed: members.some((m) => m.isMe && m.hasFeed),
    timezones: TIMEZONES,
    canManage: can(ctx.access, 'bookings.manage'),
    feedUrl: ctx.session.flashMessages.get('feedUrl') ?? null,
  })
}
