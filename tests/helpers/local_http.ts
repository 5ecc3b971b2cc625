import type { Server } from 'node:http'

/**
 * How long a local stand-in server keeps an idle connection open. Node's
 * default (5 s) races the client: undici keeps an idle socket for the
 * server's hinted timeout less one second, so on a loaded machine, where
 * its timer fires late, a POST goes out on a socket the server has just
 * closed and fails without reaching the server (undici retries only
 * idempotent requests). The assistant then falls back to its offline
 * answer and a test counting model calls sees none. A minute of idle time
 * is longer than any wait in the suite.
 */
const IDLE_MS = 60_000

/** Keeps idle connections open a minute (see IDLE_MS); returns the server. */
export function patientServer<T extends Server>(server: T): T {
  server.keepAliveTimeout = IDLE_MS
  server.headersTimeout = IDLE_MS + 1_000
  return server
}

/** Closes the server and every connection it still holds, idle or not. */
export function closeServer(server: Server | null | undefined) {
  return new Promise<void>((resolve) => {
    if (!server) return resolve()
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
