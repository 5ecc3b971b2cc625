import { DateTime } from 'luxon'
import { clock } from '#app/clock'
import type { TenantContext } from '#modules/tenancy/index'
import { contactForSend, contactById, CUSTOMER_WINDOW_HOURS } from '#modules/inbox/index'
import { quietUntil } from './campaign_schedule.js'
import { findSequenceOrFail } from './sequence_service.js'
import { enterBranch, stepAfter, type Step } from './sequence_steps.js'
import { conditionHolds, goalReached, waitEnds } from './sequence_runner.js'
import { renderText } from './sequence_sends.js'

/*
| A dry run: what a sequence would do for one contact, and when, without
| writing anything. It walks the steps on a simulated clock from `now`:
| waits in the contact's zone, quiet hours, the 24-hour window as it stands
| (it closes CUSTOMER_WINDOW_HOURS after the customer's last message and
| nobody replies during the run), conditions on the contact as it is now.
| A wait for a reply takes its timeout branch; the reply branch is named.
*/

export interface DryRunEntry {
  at: DateTime
  stepId: string
  type: Step['type']
  /** send_free_form | send_template | skip | wait | wait_reply | branch | label | field | task | handoff | enroll | end */
  action: string
  detail: Record<string, unknown>
}

const MAX_ENTRIES = 200

export async function dryRunSequence(
  tenant: TenantContext,
  sequenceId: string,
  contactId: string,
  options: { now?: DateTime } = {}
): Promise<{ entries: DryRunEntry[]; exit: string | null }> {
  const sequence = await findSequenceOrFail(tenant, sequenceId)
  const forSend = sequence.channelId
    ? await contactForSend(tenant, { id: contactId }, sequence.channelId)
    : null
  const found = forSend ? forSend.found : null
  const contact = found?.contact ?? (await contactById(tenant, contactId))
  if (!contact) throw new Error('No such contact')
  const loaded = { contact, conversation: found?.conversation ?? null }
  const windowEnds = loaded.conversation?.lastCustomerMessageAt
    ? loaded.conversation.lastCustomerMessageAt.plus({ hours: CUSTOMER_WINDOW_HOURS })
    : null
  let at = options.now ?? clock.now()
  const entries: DryRunEntry[] = []
  if (contact.optIn === 'opted_out') return { entries, exit: 'opted_out' }
  if (goalReached(sequence, loaded)) return { entries, exit: 'goal' }
  let step: Step | null = sequence.steps[0] ?? null
  while (step && entries.length < MAX_ENTRIES) {
    const push = (action: string, detail: Record<string, unknown> = {}) =>
      entries.push({ at, stepId: step!.id, type: step!.type, action, detail })
    let next: Step | null = stepAfter(sequence.steps, step.id)
    switch (step.type) {
      case 'send': {
        const quiet = quietUntil(at, contact.timeZone, {
          start: sequence.quietStart,
          end: sequence.quietEnd,
        })
        if (quiet) at = quiet
        const open = windowEnds ? windowEnds > at : false
        if (open && step.text) push('send_free_form', { text: renderText(step.text, contact) })
        else if (step.template) {
          push('send_template', {
            template: step.template.name,
            language: step.template.language,
            variables: step.template.variables.map((v) => renderText(v, contact)),
          })
        } else push('skip', { reason: 'window_closed_no_template' })
        break
      }
      case 'wait':
        at = waitEnds(step, at, contact.timeZone)
        push('wait', { until: at.toISO() })
        break
      case 'wait_reply': {
        const until = waitEnds(step, at, contact.timeZone)
        push('wait_reply', { until: until.toISO(), replied_first: step.replied?.[0]?.id ?? null })
        at = until
        next = enterBranch(sequence.steps, step, 'timeout')
        break
      }
      case 'condition': {
        const holds = conditionHolds(step, loaded, null)
        push('branch', { branch: holds ? 'then' : 'else' })
        next = enterBranch(sequence.steps, step, holds ? 'then' : 'else')
        break
      }
      case 'add_label':
      case 'remove_label':
        push('label', { label: step.label, add: step.type === 'add_label' })
        break
      case 'set_field':
        push('field', { key: step.key, value: step.value })
        break
      case 'create_task':
        push('task', { title: renderText(step.title ?? '', contact) })
        break
      case 'handoff':
        push('handoff', { note: step.note ?? null })
        return { entries, exit: 'handoff' }
      case 'enroll':
        push('enroll', { sequence_id: step.sequence_id })
        break
      case 'end':
        push('end')
        return { entries, exit: null }
    }
    step = next
  }
  return { entries, exit: null }
}
