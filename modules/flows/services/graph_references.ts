import type { TenantContext } from '#modules/tenancy/index'
import { findConnector, findDataset } from '#modules/data_engine/index'
import { findSequence } from '#modules/pulse/index'
import { findBookingService } from './booking_service.js'
import {
  validateGraph,
  type BookingData,
  type EnrollData,
  type FlowGraph,
  type GraphProblem,
  type LookupData,
} from './graph.js'

/*
| What only the workspace can tell about a graph: the datasets, API
| connectors, sequences, services and members its nodes name exist in this
| workspace (each read through the tenant's own schema, so another tenant's
| id is simply not found). A flow naming what is not there cannot be
| published.
*/

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function id(value: unknown) {
  return typeof value === 'string' && UUID.test(value.trim()) ? value.trim() : null
}

/** Problems with the ids a graph's lookup, enroll and booking nodes name. */
export async function referenceProblems(
  tenant: TenantContext,
  graph: FlowGraph
): Promise<GraphProblem[]> {
  const problems: GraphProblem[] = []
  const add = (node: string, code: string, message: string) =>
    problems.push({ node, code, message })
  for (const node of graph.nodes) {
    if (node.type === 'lookup') {
      const data = node.data as LookupData
      if (typeof data.source_id !== 'string' || !data.source_id.trim()) continue
      const sourceId = id(data.source_id)
      if (data.source === 'dataset') {
        const dataset = sourceId ? await findDataset(tenant, sourceId) : null
        if (!dataset) add(node.id, 'dataset_not_found', 'This workspace has no such dataset')
      } else if (data.source === 'connector') {
        const connector = sourceId ? await findConnector(tenant, sourceId) : null
        if (!connector) {
          add(node.id, 'connector_not_found', 'This workspace has no such API connector')
          continue
        }
        const params = data.params && typeof data.params === 'object' ? data.params : {}
        const missing = connector.parameters.filter(
          (p) => p.required && !String(params[p.name] ?? '').trim()
        )
        if (missing.length) {
          add(
            node.id,
            'connector_param_missing',
            `Give the connector's ${missing.map((p) => `"${p.name}"`).join(', ')}`
          )
        }
        const unknown = Object.keys(params).filter(
          (name) => !connector.parameters.some((p) => p.name === name)
        )
        if (unknown.length) {
          add(
            node.id,
            'connector_param_unknown',
            `The connector has no parameter ${unknown.map((n) => `"${n}"`).join(', ')}`
          )
        }
      }
    }
    if (node.type === 'enroll') {
      const data = node.data as EnrollData
      if (typeof data.sequence_id !== 'string' || !data.sequence_id.trim()) continue
      const sequenceId = id(data.sequence_id)
      const sequence = sequenceId ? await findSequence(tenant, sequenceId) : null
      if (!sequence) add(node.id, 'sequence_not_found', 'This workspace has no such sequence')
    }
    if (node.type === 'booking') {
      const data = node.data as BookingData
      if (typeof data.service_id !== 'string' || !data.service_id.trim()) continue
      const serviceId = id(data.service_id)
      const service = serviceId ? await findBookingService(tenant, serviceId) : null
      if (!service) {
        add(node.id, 'service_not_found', 'This workspace has no such booking service')
        continue
      }
      if (data.member_id && !service.memberIds.includes(String(data.member_id))) {
        add(node.id, 'member_not_found', 'That member does not give this service')
      }
    }
  }
  return problems
}

/** Everything that stops the graph from being published in this workspace. */
export async function graphProblems(tenant: TenantContext, graph: FlowGraph) {
  return [...validateGraph(graph), ...(await referenceProblems(tenant, graph))]
}
