import { Exception } from '@adonisjs/core/exceptions'
import { errors as lucidErrors } from '@adonisjs/lucid'
import type { TenantContext } from '#modules/tenancy/index'
import {
  checkContactFilter,
  listContactFields,
  matchContacts,
  type ContactField,
  type ContactFilter,
  type FilterProblem,
} from '#modules/inbox/index'
import Segment from '../models/segment.js'

export const PREVIEW_SIZE = 20

/** A filter the inbox refuses; `problems` by condition index. */
export class SegmentFilterError extends Exception {
  constructor(
    readonly problems: Record<number, FilterProblem>,
    readonly filter: ContactFilter
  ) {
    super('The filter has invalid conditions', { code: 'invalid_filter', status: 422 })
  }
}

export interface SegmentInput {
  name: string
  filter: { match?: unknown; conditions?: unknown }
}

/** Checks a filter as sent against the workspace's fields (throws SegmentFilterError). */
export async function checkedFilter(
  tenant: TenantContext,
  input: SegmentInput['filter'],
  fields?: ContactField[]
) {
  const { filter, problems } = checkContactFilter(
    input,
    fields ?? (await listContactFields(tenant))
  )
  if (Object.keys(problems).length) throw new SegmentFilterError(problems, filter)
  return filter
}

/** The count and first matches of a filter, for the editor's live preview. */
export async function previewSegment(tenant: TenantContext, input: SegmentInput['filter']) {
  const fields = await listContactFields(tenant)
  const { filter, problems } = checkContactFilter(input, fields)
  if (Object.keys(problems).length) return { filter, problems, total: null, contacts: [] }
  const { total, contacts } = await matchContacts(tenant, filter, { limit: PREVIEW_SIZE, fields })
  return { filter, problems, total, contacts }
}

export async function listSegments(tenant: TenantContext) {
  return tenant.transaction((trx) =>
    Segment.query({ client: trx }).orderBy('created_at', 'desc').orderBy('id')
  )
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** One of the tenant's segments, or E_ROW_NOT_FOUND (answered 404). */
export async function findSegmentOrFail(tenant: TenantContext, segmentId: string) {
  const segment = UUID.test(segmentId)
    ? await tenant.transaction((trx) => Segment.find(segmentId, { client: trx }))
    : null
  if (!segment) throw new lucidErrors.E_ROW_NOT_FOUND()
  return segment
}

export async function createSegment(tenant: TenantContext, input: SegmentInput) {
  const filter = await checkedFilter(tenant, input.filter)
  return tenant.transaction(async (trx) => {
    const segment = new Segment()
    segment.useTransaction(trx)
    segment.merge({ name: input.name, filter })
    await segment.save()
    return segment
  })
}

export async function updateSegment(tenant: TenantContext, segmentId: string, input: SegmentInput) {
  const filter = await checkedFilter(tenant, input.filter)
  return tenant.transaction(async (trx) => {
    const segment = UUID.test(segmentId) ? await Segment.find(segmentId, { client: trx }) : null
    if (!segment) throw new lucidErrors.E_ROW_NOT_FOUND()
    segment.merge({ name: input.name, filter })
    await segment.save()
    return segment
  })
}

export async function deleteSegment(tenant: TenantContext, segmentId: string) {
  return tenant.transaction(async (trx) => {
    const segment = UUID.test(segmentId) ? await Segment.find(segmentId, { client: trx }) : null
    if (!segment) throw new lucidErrors.E_ROW_NOT_FOUND()
    await segment.delete()
    return segment
  })
}

/** How many contacts a saved segment matches now. */
export async function segmentCount(tenant: TenantContext, segment: Segment) {
  const { total } = await matchContacts(tenant, segment.filter, { limit: 1 })
  return total
}
