/*
| Flows owns guided conversations: versioned flow graphs (services/graph.ts
| is the format), their sessions on conversations, the runtime that runs
| them step by step through pulse's scheduler, and their pages and API.
*/
import './permissions.js'
import './services/runtime.js'

export {
  NODE_TYPES,
  QUESTION_KINDS,
  WA_LIMITS,
  parseGraph,
  validateGraph,
  fillText,
  type FlowGraph,
  type FlowNode,
  type FlowEdge,
  type GraphProblem,
} from './services/graph.js'
export {
  FlowError,
  listFlows,
  findFlow,
  findFlowOrFail,
  createFlow,
  updateFlow,
  importGraph,
  publishFlow,
  setFlowStatus,
  flowStats,
  nodeStats,
  type Flow,
  type FlowInput,
  type FlowTriggers,
  type FlowStats,
} from './services/flow_service.js'
export {
  FlowSessionError,
  startSession,
  endSession,
  findSession,
  activeSessionOn,
  sessionsOfFlow,
  handleInbound,
  type FlowSession,
  type FlowCompletedEvent,
  type SessionSource,
  type SessionStatus,
} from './services/runtime.js'
export { registerFlowsListeners } from './listeners.js'

export const flowsPolicies = {
  FlowsPolicy: () => import('./policies/flows_policy.js'),
}
