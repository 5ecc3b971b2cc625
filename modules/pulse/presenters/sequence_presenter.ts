import type { Enrollment, Sequence } from '../services/sequence_service.js'

/** An enrollment as the API and webhooks show it. */
export function presentEnrollment(
  enrollment: Enrollment,
  sequence?: Pick<Sequence, 'id' | 'name'> | { id: string; name: string }
) {
  return {
    id: enrollment.id,
    sequence_id: enrollment.sequenceId,
    sequence_name: sequence?.name ?? (enrollment as any).sequenceName ?? null,
    contact_id: enrollment.contactId,
    status: enrollment.status,
    source: enrollment.source,
    current_step: enrollment.currentStep,
    waiting_for_reply: enrollment.waitingStep !== null,
    exit_reason: enrollment.exitReason,
    enrolled_at: enrollment.enrolledAt.toUTC().toISO(),
    ended_at: enrollment.endedAt?.toUTC().toISO() ?? null,
  }
}

export function presentSequenceSummary(sequence: Sequence) {
  return {
    id: sequence.id,
    name: sequence.name,
    status: sequence.status,
    channel_id: sequence.channelId,
    steps: sequence.steps.length,
  }
}
