/*
| Pulse reaches out: saved audiences (segments), built on the inbox's
| contact filters, and campaigns (one-off WhatsApp broadcasts) that send
| through the channels module's one outbound entry point.
*/
import './permissions.js'
import './events.js'
import './services/sequence_runner.js'
import Segment from './models/segment.js'
import Campaign from './models/campaign.js'

export { Segment, Campaign }
export type { CampaignStatus, CampaignAudience } from './models/campaign.js'
export type { CampaignEvent } from './events.js'
export {
  SegmentFilterError,
  createSegment,
  deleteSegment,
  findSegmentOrFail,
  listSegments,
  previewSegment,
  segmentCount,
  updateSegment,
  type SegmentInput,
} from './services/segment_service.js'
export {
  CampaignError,
  createCampaign,
  updateCampaign,
  findCampaignOrFail,
  listCampaigns,
  launchCampaign,
  pauseCampaign,
  resumeCampaign,
  cancelCampaign,
  retryFailed,
  campaignStats,
  audienceCount,
  latestCampaignMessageTo,
  type CampaignInput,
  type CampaignStats,
} from './services/campaign_service.js'
export {
  readCampaignSettings,
  saveCampaignSettings,
  type CampaignSettings,
} from './services/campaign_settings.js'
export { sendOutreach, type OutreachMessage, type SendOutcome } from './services/outreach_send.js'
export {
  registerDueHandler,
  registeredDueKinds,
  scheduleDue,
  cancelDue,
  deferDue,
  sendGuard,
  claimDue,
  finishClaimed,
  runDueBatch,
  runDueNow,
  dueRowsFor,
  startDueWorker,
  stopDueWorker,
  LEASE_MS as DUE_LEASE_MS,
  type DueRow,
  type DueStatus,
  type DueHandler,
  type DueContext,
  type DueFilter,
  type ScheduleInput,
} from './services/scheduler.js'
export {
  nextLocalTime,
  addLocal,
  localDateAt,
  parseClock,
  WEEKDAYS,
  type Weekday,
} from './services/local_time.js'
export { quietUntil, zoneOf } from './services/campaign_schedule.js'
export {
  SequenceError,
  listSequences,
  findSequence,
  findSequenceOrFail,
  createSequence,
  updateSequence,
  saveSteps,
  setSequenceStatus,
  deleteSequence,
  enrollContact as enrollInSequence,
  unenrollContact as unenrollFromSequence,
  exitEnrollment,
  enrollmentsOfContact,
  activeEnrollmentsOf,
  contactTimeline,
  type Sequence,
  type SequenceInput,
  type Enrollment,
  type EnrollSource,
} from './services/sequence_service.js'
export { dryRunSequence, type DryRunEntry } from './services/sequence_dry_run.js'
export type { SequenceCompletedEvent } from './events.js'
export { registerPulseListeners } from './listeners.js'
export { registerOutreachListeners } from './outreach_listeners.js'
export { default as NudgeRule } from './models/nudge_rule.js'
export { default as DateRule } from './models/date_rule.js'
export { default as CheckinPlan } from './models/checkin_plan.js'
export {
  NUDGE_KIND,
  listNudgeRules,
  saveNudgeRule,
  deleteNudgeRule,
  findNudgeRuleOrFail,
  type NudgeRuleInput,
} from './services/nudge_service.js'
export {
  REMINDER_KIND,
  RENEWAL_STATUSES,
  listDateRules,
  saveDateRule,
  deleteDateRule,
  findDateRuleOrFail,
  listRenewals,
  setRenewalStatus,
  syncContactReminders,
  type DateRuleInput,
  type RenewalDueEvent,
} from './services/date_reminder_service.js'
export {
  CHECKIN_KIND,
  CHECKIN_NUDGE_KIND,
  listCheckinPlans,
  saveCheckinPlan,
  findCheckinPlanOrFail,
  enrollContact,
  unenrollContact,
  coachBoard,
  streakOf,
  sendWeeklySummary,
  type CheckinPlanInput,
  type CheckinAnsweredEvent,
} from './services/checkin_service.js'
export {
  PULSE_KIND,
  PULSE_DRAFT_KIND,
  readPulseSettings,
  savePulseSettings,
  listDrafts,
  approveDraft,
  approveAllDrafts,
  skipDraft,
  templateDraft,
  type PulseSettings,
} from './services/relational_pulse_service.js'
export { localDayAt, nextLocalSlot } from './services/rule_times.js'
export { default as CampaignDispatchJob } from './jobs/campaign_dispatch_job.js'

export const pulsePolicies = {
  SegmentsPolicy: () => import('./policies/segments_policy.js'),
  CampaignsPolicy: () => import('./policies/campaigns_policy.js'),
  OutreachPolicy: () => import('./policies/outreach_policy.js'),
}
