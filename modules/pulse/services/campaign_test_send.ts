import { parsePhoneNumberFromString } from 'libphonenumber-js'
import type { TenantContext } from '#modules/tenancy/index'
import { findTenantChannel, queueOutboundMessage } from '#modules/channels/index'
import { conversationForSend, createContact, findContactByPhone } from '#modules/inbox/index'
import type Campaign from '../models/campaign.js'
import { CampaignError } from './campaign_service.js'
import { fillVariables } from './campaign_variables.js'

/**
 * Sends the campaign's template once to a team member's phone (before the
 * launch, to see it as customers will). The number becomes a contact if it
 * is not one; variables are filled from that contact, a missing field shown
 * as its name in brackets. Not a recipient: the funnel does not count it.
 */
export async function sendTestMessage(
  tenant: TenantContext,
  campaign: Campaign,
  phoneText: string
) {
  const parsed = parsePhoneNumberFromString(phoneText.trim(), 'AE')
  if (!parsed?.isValid()) {
    throw new CampaignError('validation_failed', 'Give a valid phone number', {
      phone: 'Give a phone number with its country code, e.g. +971501234567',
    })
  }
  const phone = parsed.number
  const channel = await findTenantChannel(tenant.id, campaign.channelId)
  if (!channel || channel.status !== 'active') {
    throw new CampaignError('not_sendable', 'The campaign’s channel is not active', {}, 409)
  }
  const contact =
    (await findContactByPhone(tenant, phone)) ??
    (await createContact(tenant, { phone, optIn: 'unknown', source: 'campaign_test' }))
  const opened = await conversationForSend(tenant, contact.id, channel.id)
  const { values } = fillVariables(campaign.variables, contact, {
    missingAs: (field) => `[${field}]`,
  })
  const filled = values.map((value, i) => value || `[${i + 1}]`)
  return queueOutboundMessage(tenant, {
    conversationId: opened!.conversation.id,
    content: {
      type: 'template',
      name: campaign.templateName,
      language: campaign.templateLanguage,
      variables: filled,
    },
    authorType: 'system',
  })
}
