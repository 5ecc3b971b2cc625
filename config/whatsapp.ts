import env from '#start/env'

/**
 * WhatsApp Cloud API settings. The Graph URL is configuration so tests and
 * the sandbox can point it at a local server speaking the same wire format.
 */
const whatsappConfig = {
  graphUrl: env.get('WHATSAPP_GRAPH_URL', 'https://graph.facebook.com/v21.0'),
  /**
   * Lets media links in Graph's answers point at private, loopback or
   * link-local addresses, over plain http too. Off in production: the link
   * comes from a response and the download carries the channel's access
   * token. On by default under NODE_ENV=test, whose Graph server listens on
   * 127.0.0.1. Read at call time so a test can turn it off.
   */
  allowPrivateMediaUrls: env.get(
    'ALLOW_PRIVATE_MEDIA_URLS',
    env.get('NODE_ENV') === 'test'
  ) as boolean,
  /** Outbound messages per second per number when a channel sets none (WhatsApp's default). */
  defaultMessagesPerSecond: 80,
}

export default whatsappConfig
