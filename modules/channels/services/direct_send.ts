import app from '@adonisjs/core/services/app'
import { setTimeout as sleep } from 'node:timers/promises'
import { ChannelError } from './channel_errors.js'
import { findTenantChannel } from './channel_service.js'
import { sendToGraph, type SendResult } from './graph_client.js'
import { checkOutboundContent, toGraphMessage, type OutboundContent } from './outbound_content.js'
import { takeSendTurn } from './send_pacing.js'

/**
 * Sends a message on a WhatsApp number to one of the workspace's own
 * members (an answer to their `member:message`), outside any customer
 * conversation: nothing is stored as a customer's message. The number's
 * send rate is shared with its other sends. The caller's job retries a
 * retryable failure.
 */
export async function sendDirectWhatsApp(
  tenantId: string,
  channelId: string,
  to: string,
  content: OutboundContent
): Promise<SendResult> {
  const channel = await findTenantChannel(tenantId, channelId)
  if (!channel || channel.type !== 'whatsapp' || channel.status !== 'active') {
    throw new ChannelError('channel_unavailable', 'The WhatsApp number is not connected.')
  }
  const problems = checkOutboundContent(content)
  if (problems.length) throw new ChannelError('invalid_message', problems[0].message)
  const perSecond =
    channel.settings.messagesPerSecond ??
    app.config.get<number>('whatsapp.defaultMessagesPerSecond')
  for (;;) {
    const wait = await takeSendTurn(channel.phoneNumberId ?? channel.id, perSecond)
    if (wait === 0) break
    await sleep(wait)
  }
  return sendToGraph(channel, toGraphMessage(to, content))
}
