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
