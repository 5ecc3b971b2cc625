import env from '#start/env'

/**
 * Outbound webhooks: how deliveries are made and retried.
 *
 * Read through `app.config.get('webhooks')` at call time, not once at import,
 * so a test can shorten the retry delay (milliseconds instead of seconds) or
 * turn the private-address guard back on for one group.
 */
const webhooksConfig = {
  /**
   * Lets webhook targets be private, loopback or link-local addresses. Off in
   * production: a tenant could otherwise make the server post to its own
   * internal network. On by default under NODE_ENV=test, whose receivers
   * listen on 127.0.0.1.
   */
  allowPrivateTargets: env.get(
    'ALLOW_PRIVATE_WEBHOOK_TARGETS',
    env.get('NODE_ENV') === 'test'
  ) as boolean,
  /** Time limit for one delivery attempt, connection and answer included. */
  timeoutMs: env.get('WEBHOOK_TIMEOUT_MS', 10_000),
  /**
   * The first retry waits about this long; each later one twice as long
   * (with up to 20 % jitter), capped at `maxRetryDelayMs`.
   */
  retryBaseDelayMs: env.get('WEBHOOK_RETRY_BASE_MS', 30_000),
  maxRetryDelayMs: 3 * 3600_000,
  /** A delivery is retried for this long after the event, then given up. */
  retryWindowMs: 24 * 3600_000,
  /** A subscription failing without a success for this long is disabled. */
  disableAfterMs: 24 * 3600_000,
  /** How much of a receiver's answer the delivery log keeps. */
  responseExcerptChars: 500,
}

export default webhooksConfig
