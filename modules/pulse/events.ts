/*
| The pulse module's typed events. Payloads carry the tenant slug and ids,
| emitted after the write that made them true.
*/

export interface CampaignEvent {
  tenant: string
  tenantId: string
  campaignId: string
}

declare module '@adonisjs/core/types' {
  interface EventsList {
    'campaign:started': CampaignEvent
    'campaign:completed': CampaignEvent
  }
}

/** A contact reached the end of a sequence (not an early exit). */
export interface SequenceCompletedEvent {
  tenant: string
  tenantId: string
  sequenceId: string
  enrollmentId: string
  contactId: string
}

declare module '@adonisjs/core/types' {
  interface EventsList {
    'sequence:completed': SequenceCompletedEvent
  }
}
