/*
| The brain's typed events. Payloads carry the tenant slug and ids, never
| records, and are emitted after the transaction that made them true.
*/

interface TenantEvent {
  /** The tenant's slug: pass it to dispatchTenantJob or findUsableTenant. */
  tenant: string
  tenantId: string
}

/** A source version's chunks are live: searches and answers now use them. */
export interface SourceReadyEvent extends TenantEvent {
  sourceId: string
  version: number
  chunkCount: number
}

/** A source version could not be ingested; `errorCode` says why. */
export interface SourceFailedEvent extends TenantEvent {
  sourceId: string
  version: number
  errorCode: string
}

declare module '@adonisjs/core/types' {
  interface EventsList {
    'brain:source_ready': SourceReadyEvent
    'brain:source_failed': SourceFailedEvent
  }
}
