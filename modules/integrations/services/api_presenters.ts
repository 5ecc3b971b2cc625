import type { Channel, Contact } from '#modules/channels/index'
import { serialize } from './api_serialization.js'

/*
| What the API shows of each resource. Fields are listed, not spread, so a
| column added to a model (a secret, say) never appears in the API by itself.
*/

export function presentContact(contact: Contact) {
  return serialize(contact, [
    'id',
    'phone',
    'waId',
    'name',
    'profileName',
    'email',
    'tags',
    'attributes',
    'notes',
    'optIn',
    'optedOutAt',
    'source',
    'createdAt',
    'updatedAt',
  ])
}

export function presentChannel(channel: Channel) {
  return serialize(channel, [
    'id',
    'type',
    'name',
    'status',
    'displayNumber',
    'phoneNumberId',
    'wabaId',
    'createdAt',
    'updatedAt',
  ])
}
