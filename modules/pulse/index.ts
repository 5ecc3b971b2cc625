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
  type CampaignInput,
  type CampaignStats,
} from './services/campaign_service.js'
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
export { default as CampaignDispatchJob } from './jobs/campaign_dispatch_job.js'

export const pulsePolicies = {
  SegmentsPolicy: () => import('./policies/segments_policy.js'),
  CampaignsPolicy: () => import('./policies/campaigns_policy.js'),
}
