import type { ApplicationService } from '@adonisjs/core/types'
import { embeddedDatabase } from '#config/database'
import { EmbeddedPostgres } from '#app/database/embedded_postgres'
import { assertServerReady } from '#app/database/server_checks'

/**
 * Chooses the database mode before Lucid connects. Listed ahead of Lucid's
 * provider in adonisrc.ts: providers boot in order, and Lucid reads its
 * connection settings when it boots.
 */
export default class DatabaseModeProvider {
  #embedded: EmbeddedPostgres | null = null

  constructor(protected app: ApplicationService) {}

  async boot() {
    if (!embeddedDatabase.enabled) {
      const { connectionString } = this.app.config.get<{ connectionString: string }>(
        'database.connections.main.connection'
      )
      await assertServerReady(connectionString)
      return
    }

    this.#embedded = new EmbeddedPostgres(this.app.makePath(embeddedDatabase.dataDir), {
      inMemory: embeddedDatabase.inMemory,
    })
    const endpoint = await this.#embedded.start()
    this.app.config.set('database.connections.main.connection', {
      host: endpoint.host,
      port: endpoint.port,
      user: 'postgres',
      password: 'postgres',
      database: 'postgres',
    })
  }

  async shutdown() {
    if (!this.#embedded) return
    const db = await this.app.container.make('lucid.db')
    await db.manager.closeAll()
    await this.#embedded.stop()
  }
}
