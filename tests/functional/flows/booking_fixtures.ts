import { randomBytes } from 'node:crypto'
import { createContact } from '#modules/inbox/index'
import { createBookingService, saveMemberHours, type WeeklyHours } from '#modules/flows/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { makeMember } from '#tests/helpers/users'

type Cleanup = (fn: () => void | Promise<void>) => void

const WEEKDAYS_9_TO_5: WeeklyHours = {
  mon: [['09:00', '17:00']],
  tue: [['09:00', '17:00']],
  wed: [['09:00', '17:00']],
  thu: [['09:00', '17:00']],
  fri: [['09:00', '17:00']],
}

/**
 * One coach (an agent: Dubai, 9–17 on weekdays) giving a 50 + 10 minute
 * "Coaching session" in the tenant, with the service's price text and the
 * template its messages use outside the 24-hour window when given.
 */
export async function coachGiving(
  cleanup: Cleanup,
  made: { tenant: { id: string }; context: TenantContext },
  service: { priceText?: string; templateName?: string; templateLanguage?: string } = {}
) {
  const coach = await makeMember(made.tenant.id, 'agent')
  cleanup(() => coach.delete())
  await saveMemberHours(made.context, coach.id, {
    timeZone: 'Asia/Dubai',
    weekly: WEEKDAYS_9_TO_5,
    daysOff: [],
  })
  const created = await createBookingService(
    made.context,
    {
      name: 'Coaching session',
      durationMinutes: 50,
      bufferMinutes: 10,
      priceText: service.priceText ?? '',
      active: true,
      memberIds: [coach.id],
      templateName: service.templateName ?? null,
      templateLanguage: service.templateLanguage ?? null,
    },
    [coach.id]
  )
  return { coach, service: created }
}

/** A workspace with one coach (Dubai, 9–17 on weekdays) giving a 50 + 10 minute session. */
export async function bookerWorkspace(cleanup: Cleanup, prefix = 'bk') {
  const workspace = await makeWorkspace(cleanup, prefix)
  return { ...workspace, ...(await coachGiving(cleanup, workspace, { priceText: 'AED 300' })) }
}

export async function customer(tenant: TenantContext, timeZone: string | null = 'Europe/London') {
  return createContact(tenant, {
    phone: `+1555${String(randomBytes(3).readUIntBE(0, 3) % 10_000_000).padStart(7, '0')}`,
    name: 'Layla',
    optIn: 'opted_in',
    timeZone,
  })
}
