import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { contactIn } from '#modules/inbox/index'
import type { RenewalDueEvent } from '../services/date_reminder_service.js'

/** A reminder as its `renewal.due` webhook presents it (inside the tenant transaction). */
export async function presentRenewalDue(trx: TransactionClientContract, event: RenewalDueEvent) {
  const reminderResult = await trx.rawQuery(
    `select d.id, d.rule_id, r.name as rule_name, d.offset_days, d.status, d.skip_reason,
            d.message_id, d.task_id, d.ran_at, s.status as renewal_status
       from date_reminders d join date_rules r on r.id = d.rule_id
       left join renewal_statuses s on s.field_key = r.field_key
             and s.contact_id = d.contact_id and s.field_value = d.field_value
      where d.id = ?`,
    [event.reminderId]
  )
  const reminder = reminderResult.rows[0]
  if (!reminder) return null
  const contact = await contactIn(trx, event.contactId)
  return {
    id: String(reminder.id),
    rule: { id: reminder.rule_id, name: reminder.rule_name },
    contact: contact
      ? { id: contact.id, name: contact.name || contact.profileName, phone: contact.phone }
      : { id: event.contactId, name: null, phone: null },
    field: event.fieldKey,
    date: event.fieldValue,
    offset_days: event.offsetDays,
    status: reminder.status,
    skip_reason: reminder.skip_reason,
    renewal_status: reminder.renewal_status ?? 'reminded',
    message_id: reminder.message_id,
    task_id: reminder.task_id,
    ran_at: reminder.ran_at ? new Date(reminder.ran_at).toISOString() : null,
  }
}
