import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import { usableTenantContext } from '#modules/tenancy/index'
import { publishEvent } from '#modules/integrations/index'
import { registerDueHandler } from './services/scheduler.js'
import {
  NUDGE_KIND,
  cancelNudgesOnReply,
  runNudgeStep,
  startNudgeWaits,
} from './services/nudge_service.js'
import {
  REMINDER_KIND,
  runDateReminder,
  syncContactReminders,
} from './services/date_reminder_service.js'
import {
  CHECKIN_KIND,
  CHECKIN_NUDGE_KIND,
  presentCheckin,
  recordCheckinAnswer,
  runCheckin,
  runCheckinNudge,
  syncTagEnrollments,
} from './services/checkin_service.js'
import {
  PULSE_DRAFT_KIND,
  PULSE_KIND,
  applyDraftDecision,
  runRelationalPulse,
} from './services/relational_pulse_service.js'
import { presentRenewalDue } from './presenters/outreach_presenter.js'

/*
| The outreach rules' reactions: our messages start nudge waits and the
| customer's reply cancels them (and answers a check-in); contacts' dates
| and tags keep reminders and check-in enrollments in line; approved
| pulse drafts are sent; and the scheduler runs each rule's due steps.
*/
export function registerOutreachListeners() {
  const safely = (what: string, work: () => Promise<unknown>) =>
    work().catch((error) => logger.error({ err: error }, `pulse: ${what} failed`))

  registerDueHandler(NUDGE_KIND, (tenant, row, context) => runNudgeStep(tenant, row, context))
  registerDueHandler(REMINDER_KIND, (tenant, row) => runDateReminder(tenant, row))
  registerDueHandler(CHECKIN_KIND, (tenant, row, context) => runCheckin(tenant, row, context))
  registerDueHandler(CHECKIN_NUDGE_KIND, (tenant, row) => runCheckinNudge(tenant, row))
  registerDueHandler(PULSE_KIND, (tenant, row, context) => runRelationalPulse(tenant, row, context))

  emitter.on('message:sent', (event) =>
    safely('nudge wait', async () => {
      if (event.isNote) return
      const tenant = await usableTenantContext(event.tenant)
      if (tenant) await startNudgeWaits(tenant, event)
    })
  )
  emitter.on('message:received', (event) =>
    safely('nudge cancel and check-in answer', async () => {
      const tenant = await usableTenantContext(event.tenant)
      if (!tenant) return
      await cancelNudgesOnReply(tenant, event.conversationId)
      await recordCheckinAnswer(tenant, event)
    })
  )
  emitter.on('contact:created', (event) =>
    safely('contact reminders', async () => {
      const tenant = await usableTenantContext(event.tenant)
      if (!tenant) return
      await syncContactReminders(tenant, event.contactId)
      await syncTagEnrollments(tenant, event.contactId)
    })
  )
  emitter.on('contact:updated', (event) =>
    safely('contact reminders', async () => {
      const tenant = await usableTenantContext(event.tenant)
      if (!tenant) return
      if (event.changes.some((c) => c === 'attributes' || c === 'time_zone')) {
        await syncContactReminders(tenant, event.contactId)
      }
      if (event.changes.some((c) => c === 'tags' || c === 'time_zone' || c === 'opt_in')) {
        await syncTagEnrollments(tenant, event.contactId)
      }
    })
  )
  emitter.on('hitl:task_resolved', (event) =>
    safely('pulse draft decision', async () => {
      if (event.kind !== PULSE_DRAFT_KIND || event.sourceType !== 'pulse' || !event.sourceRef)
        return
      const tenant = await usableTenantContext(event.tenant)
      if (tenant) await applyDraftDecision(tenant, event.sourceRef, event.taskId)
    })
  )
  emitter.on('renewal:due', (event) =>
    safely('renewal.due webhook', async () => {
      const tenant = await usableTenantContext(event.tenant)
      if (!tenant) return
      await publishEvent(tenant, 'renewal.due', `renewal.due:${event.reminderId}`, (trx) =>
        presentRenewalDue(trx, event)
      )
    })
  )
  emitter.on('checkin:answered', (event) =>
    safely('checkin.answered webhook', async () => {
      const tenant = await usableTenantContext(event.tenant)
      if (!tenant) return
      await publishEvent(tenant, 'checkin.answered', `checkin.answered:${event.checkinId}`, (trx) =>
        presentCheckin(trx, event.checkinId)
      )
    })
  )
}
