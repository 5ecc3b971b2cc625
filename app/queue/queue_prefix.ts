import { createHash } from 'node:crypto'
import { resolve } from 'node:path'

/*
| Two FloMastr installations may share one Redis (two checkouts on a laptop,
| staging beside production). Their jobs name rows by id in their own
| database, so a worker must never take a job another installation queued:
| it would run it against the wrong database. Every queue and Redis key is
| therefore prefixed `<QUEUE_PREFIX>:<database id>`, the second part a short
| hash of which database the app uses. Processes of one installation (web,
| workers, ace commands) share a database, so they share the prefix.
|
| Pure (no app imports): the benches compute the prefix of the processes
| they start, without booting the app.
*/

export interface DatabaseLocation {
  /** DATABASE_URL, when set: the PostgreSQL server's database. */
  databaseUrl?: string
  /** Otherwise the embedded database's data directory (relative to the working directory). */
  embeddedDataDir: string
}

/**
 * Which database this is, without credentials: the server's host, port and
 * database name (a changed password or user is still the same database), or
 * the embedded data directory's absolute path.
 */
export function databaseIdentity(location: DatabaseLocation): string {
  if (!location.databaseUrl) return `embedded:${resolve(location.embeddedDataDir)}`
  let url: URL
  try {
    url = new URL(location.databaseUrl)
  } catch {
    // Not a URL (a libpq keyword string): hash it as given, less any password.
    return `server:${location.databaseUrl.replace(/password\s*=\s*\S+/gi, '')}`
  }
  // libpq's defaults: a Unix socket named in ?host=, port 5432, the user's own database.
  const host = (url.hostname || url.searchParams.get('host') || 'localhost').toLowerCase()
  const port = url.port || url.searchParams.get('port') || '5432'
  const user = decodeURIComponent(url.username)
  const database = decodeURIComponent(url.pathname.slice(1)) || user
  return `server:${host}:${port}/${database}`
}

/** `<base>:<first 10 hex digits of the identity's SHA-256>`. */
export function queuePrefixFor(base: string, location: DatabaseLocation): string {
  const digest = createHash('sha256').update(databaseIdentity(location)).digest('hex')
  return `${base}:${digest.slice(0, 10)}`
}

/** The embedded data directory the app opens when DATABASE_URL is unset. */
export function embeddedDataDirFrom(env: { EMBEDDED_DB_DIR?: string; NODE_ENV?: string }) {
  return env.EMBEDDED_DB_DIR || (env.NODE_ENV === 'test' ? 'tmp/db-test' : 'tmp/db')
}
