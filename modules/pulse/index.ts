/*
| Pulse reaches out: saved audiences (segments) first, built on the inbox's
| contact filters; campaigns, sequences and check-ins come next and send
| through the channels module's one outbound entry point.
*/
import './permissions.js'
import Segment from './models/segment.js'

export { Segment }
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

export const pulsePolicies = {
  SegmentsPolicy: () => import('./policies/segments_policy.js'),
}
