/*
| The session booker's typed events: payloads carry the tenant slug and ids,
| emitted after the write that made them true.
*/

export interface BookingCreatedEvent {
  tenant: string
  tenantId: string
  bookingId: string
  contactId: string
  source: 'api' | 'web' | 'flow' | 'reply'
}

export interface BookingCancelledEvent {
  tenant: string
  tenantId: string
  bookingId: string
  contactId: string
  by: 'customer' | 'team' | 'api'
}

declare module '@adonisjs/core/types' {
  interface EventsList {
    'booking:created': BookingCreatedEvent
    'booking:cancelled': BookingCancelledEvent
  }
}
