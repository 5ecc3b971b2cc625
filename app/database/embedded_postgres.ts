import net from 'node:net'
import { mkdirSync, openSync, closeSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { PGlite } from '@electric-sql/pglite'
import { StartupError } from '#app/bootstrap/startup_error'
import { PgliteWireServer } from '#app/database/pglite_wire_server'

/**
 * The embedded database: PGlite (Postgres compiled to WebAssembly) with
 * pgvector, served over the Postgres wire protocol on a free loopback port so
 * the `pg` driver and Lucid talk to it exactly as to a real server.
 *
 * One process owns a data directory at a time. The owner records its pid and
 * port in `<dataDir>.lock`; any other process (an ace command while the dev
 * server runs, a test spawning a command) finds the lock, checks the owner is
 * alive and connects to its port instead of opening the files a second time,
 * which is what would corrupt them.
 */
export interface EmbeddedEndpoint {
  host: string
  port: number
  /** True when this process started the database, false when it shares another's. */
  owned: boolean
}

interface LockRecord {
  pid: number
  port: number | null
  startedAt: string
}

const HOST = '127.0.0.1'
const STARTUP_WAIT_MS = 60_000

export class EmbeddedPostgres {
  readonly dataDir: string
  readonly lockPath: string
  #db: PGlite | null = null
  #server: PgliteWireServer | null = null
  #endpoint: EmbeddedEndpoint | null = null

  /**
   * `inMemory`: the database lives in this process's memory, not in the
   * directory (which then names only the lock other processes find it by):
   * what the test suite uses, whose tenants come and go by the thousand and
   * whose data is not kept between runs. Schema changes cost a third to a
   * half of their time on disk.
   */
  readonly inMemory: boolean

  constructor(dataDir: string, options: { inMemory?: boolean } = {}) {
    this.dataDir = resolve(dataDir)
    this.lockPath = `${this.dataDir}.lock`
    this.inMemory = options.inMemory ?? false
  }

  get endpoint() {
    return this.#endpoint
  }

  /**
   * Starts the database, or joins the process that already serves this
   * data directory.
   */
  async start(): Promise<EmbeddedEndpoint> {
    if (this.#endpoint) return this.#endpoint
    mkdirSync(dirname(this.dataDir), { recursive: true })

    const deadline = Date.now() + STARTUP_WAIT_MS
    while (Date.now() < deadline) {
      if (this.#tryAcquireLock()) {
        this.#endpoint = await this.#serve()
        return this.#endpoint
      }

      const holder = this.#readLock()
      if (holder && isAlive(holder.pid)) {
        if (holder.port && (await canConnect(holder.port))) {
          this.#endpoint = { host: HOST, port: holder.port, owned: false }
          return this.#endpoint
        }
        // The owner is alive but still booting; wait for its port.
        await sleep(100)
        continue
      }

      // The lock belongs to a process that is gone: a crash. Clear and retry.
      this.#removeLock()
    }

    const holder = this.#readLock()
    throw new StartupError(
      `the embedded database in ${this.dataDir} is held by process ${holder?.pid ?? 'unknown'} ` +
        'which did not start serving it within a minute; stop that process or remove ' +
        `${this.lockPath} if it no longer runs`
    )
  }

  async stop() {
    if (!this.#endpoint?.owned) {
      this.#endpoint = null
      return
    }
    try {
      await this.#server?.close()
      await this.#db?.close()
    } finally {
      this.#server = null
      this.#db = null
      this.#endpoint = null
      this.#removeLock()
    }
  }

  async #serve(): Promise<EmbeddedEndpoint> {
    try {
      const [{ PGlite }, { vector }, { btree_gist: btreeGist }] = await Promise.all([
        import('@electric-sql/pglite'),
        import('@electric-sql/pglite-pgvector'),
        import('@electric-sql/pglite/contrib/btree_gist'),
      ])
      const extensions = { vector, btree_gist: btreeGist }
      if (this.inMemory) {
        this.#db = await PGlite.create({ extensions })
      } else {
        mkdirSync(this.dataDir, { recursive: true })
        this.#db = await PGlite.create({ dataDir: this.dataDir, extensions })
      }
      this.#server = new PgliteWireServer(this.#db)
      const port = await this.#server.listen(HOST)
      this.#writeLock({ pid: process.pid, port, startedAt: new Date().toISOString() })
      this.#installExitCleanup()
      return { host: HOST, port, owned: true }
    } catch (error) {
      this.#removeLock()
      throw new StartupError(
        `the embedded database in ${this.dataDir} could not be opened (${(error as Error).message}); ` +
          'if the directory is damaged, move it away to start fresh, or set DATABASE_URL'
      )
    }
  }

  #tryAcquireLock(): boolean {
    try {
      const fd = openSync(this.lockPath, 'wx')
      writeFileSync(
        fd,
        JSON.stringify({ pid: process.pid, port: null, startedAt: new Date().toISOString() })
      )
      closeSync(fd)
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw error
    }
  }

  #readLock(): LockRecord | null {
    try {
      return JSON.parse(readFileSync(this.lockPath, 'utf8')) as LockRecord
    } catch {
      return null
    }
  }

  #writeLock(record: LockRecord) {
    writeFileSync(this.lockPath, JSON.stringify(record))
  }

  #removeLock() {
    try {
      const holder = this.#readLock()
      if (!holder || holder.pid === process.pid || !isAlive(holder.pid)) unlinkSync(this.lockPath)
    } catch {
      // Already gone.
    }
  }

  /**
   * A process that exits without a clean shutdown (an uncaught error, a test
   * runner's forced exit) still releases the lock, so the next start does not
   * have to decide whether the holder is alive.
   */
  #installExitCleanup() {
    process.once('exit', () => this.#removeLock())
  }
}

function isAlive(pid: number) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function canConnect(port: number) {
  return new Promise<boolean>((done) => {
    const socket = net.connect({ host: HOST, port })
    socket.setTimeout(1000)
    socket.once('connect', () => {
      socket.destroy()
      done(true)
    })
    socket.once('timeout', () => {
      socket.destroy()
      done(false)
    })
    socket.once('error', () => done(false))
  })
}
