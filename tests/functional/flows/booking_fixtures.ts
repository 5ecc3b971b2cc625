import { randomBytes } from 'node:crypto'
import { createContact } from '#modules/inbox/index'
import { createBookingService, saveMemberHours, type WeeklyHours } from '#modules/flows/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'

type Cleanup = (fn: () => void | Promise<void>) => void

const WEEKDAYS_9_TO_5: WeeklyHours = {
  mon: [['09:00', '17:00']],
  tue: [['09:00', '17:00']],
  wed: [['09:00', '17:00']],
  thu: [['09:00', '17:00']],
  fri: [['09:00', '17:00']],
}

/** A workspace with one coach (Dubai, 9–17 on weekdays) giving a 50 + 10 minute session. */
export async function bookerWorkspace(cleanup: Cleanup, prefix = 'bk') {
  const workspace = await makeWorkspace(cleanup, prefix)
  const coach = await workspace.member('agent')
  await saveMemberHours(workspace.context, coach.id, {
    timeZone: 'Asia/Dubai',
    weekly: WEEKDAYS_9_TO_5,
    daysOff: [],
  })
  const service = await createBookingService(
    workspace.context,
    {
      name: 'Coaching session',
      durationMinutes: 50,
      bufferMinutes: 10,
      priceText: 'AED 300',
      active: true,
      memberIds: [coach.id],
    },
    [coach.id]
  )
  return { ...workspace, coach, service }
}

export async function customer(tenant: TenantContext, timeZone: string | null = 'Europe/London') {
  return createContact(tenant, {
    phone: `+1555${String(randomBytes(3).readUIntBE(0, 3) % 10_000_000).padStart(7, '0')}`,
    name: 'Layla',
    optIn: 'opted_in',
    timeZone,
  })
}
