import env from '#start/env'

/**
 * WhatsApp Cloud API settings. The Graph URL is configuration so tests and
 * the sandbox can point it at a local server speaking the same wire format.
 */
const whatsappConfig = {
  graphUrl: env.get('WHATSAPP_GRAPH_URL', 'https://graph.facebook.com/v21.0'),
  /** Outbound messages per second per number when a channel sets none (WhatsApp's default). */
  defaultMessagesPerSecond: 80,
}

export default whatsappConfig
