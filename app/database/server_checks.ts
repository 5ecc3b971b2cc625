import pg from 'pg'
import { StartupError } from '#app/bootstrap/startup_error'

/**
 * Checks a PostgreSQL server before the app relies on it, so a missing
 * pgvector or a wrong URL is one readable line rather than a stack trace from
 * the first migration that needs it.
 */
export async function assertServerReady(connectionString: string) {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5000 })
  const where = describe(connectionString)
  try {
    await client.connect()
  } catch (error) {
    throw new StartupError(
      `PostgreSQL at ${where} is not reachable (${(error as Error).message}); start it or fix DATABASE_URL`
    )
  }
  try {
    const { rows } = await client.query(
      `select current_setting('server_version_num')::int as version,
              exists(select 1 from pg_available_extensions where name = 'vector') as has_vector`
    )
    if (rows[0].version < 150000) {
      throw new StartupError(`PostgreSQL at ${where} is older than 15; FloMastr needs 15 or newer`)
    }
    if (!rows[0].has_vector) {
      throw new StartupError(
        `PostgreSQL at ${where} lacks the pgvector extension; install it on the server ` +
          '(postgresql-15-pgvector, or build pgvector from source: make && make install)'
      )
    }
  } finally {
    await client.end()
  }
}

function describe(connectionString: string) {
  try {
    const url = new URL(connectionString)
    return `${url.hostname}:${url.port || 5432}${url.pathname}`
  } catch {
    return 'DATABASE_URL'
  }
}
