import env from '#start/env'

/**
 * The Business Brain's limits for reading documents and web pages.
 *
 * Read through `app.config.get('brain')` at call time, not once at import, so
 * a test can lower a limit (or allow the local fake site) for one group.
 */
const brainConfig = {
  /** Largest upload or download converted, checked before any parsing. */
  maxFileBytes: env.get('BRAIN_MAX_FILE_MB', 25) * 1024 * 1024,
  /** Longest PDF converted, checked before its text is extracted. */
  maxPages: env.get('BRAIN_MAX_PAGES', 500),
  /** Time limit for fetching one URL source, redirects included. */
  urlTimeoutMs: env.get('BRAIN_URL_TIMEOUT_MS', 15_000),
  /**
   * Lets URL sources (and anything else using app/net/outbound_guard) reach
   * private, loopback and link-local addresses. Off in production: a tenant
   * could otherwise make the server fetch its own internal network.
   */
  allowPrivateUrlSources: env.get('ALLOW_PRIVATE_URL_SOURCES', false),
  /**
   * Most passages the full-text side of a search ranks. When more share a
   * word with the question, the pool fills from those holding every term,
   * then the rarest terms (services/search.ts); this keeps a search fast at
   * 100k chunks.
   */
  searchRankPool: 1000,
  /**
   * How long the assistant waits after a customer's message for more before
   * answering: "hi" / "is the flat in JLT still free" / "the 2 bedroom one"
   * sent within it get one answer. A lone message is answered after this
   * wait, never later. 0 in tests (a test that measures bursts sets it), so
   * the suite does not wait on every message.
   */
  assistantBurstWaitMs: env.get(
    'ASSISTANT_BURST_WAIT_MS',
    env.get('NODE_ENV') === 'test' ? 0 : 4000
  ),
}

export default brainConfig
