import net from 'node:net'
import type { PGlite } from '@electric-sql/pglite'

const SSL_REQUEST = 80877103
const GSS_REQUEST = 80877104
const CANCEL_REQUEST = 80877102

/** Messages that end a unit of work the backend answers with ReadyForQuery. */
const BATCH_END = new Set(['S', 'Q'])
const TERMINATE = 'X'

interface Batch {
  connection: Connection
  messages: Uint8Array[]
}

interface Connection {
  id: number
  socket: net.Socket
  buffer: Buffer
  started: boolean
  pending: Uint8Array[]
  closed: boolean
}

/**
 * Serves one PGlite to many connections over the Postgres wire protocol.
 *
 * PGlite is a single backend session, so connections must take turns, and the
 * turn must be a whole unit of work. node-postgres sends a parameterised
 * query as separate Parse, Bind, Describe, Execute and Sync messages; if
 * another connection's messages ran between them they would share the one
 * unnamed statement and portal, and a query could receive another query's
 * rows: another tenant's rows. (pglite-socket's server queues message by
 * message and allows exactly that outside transactions: electric-sql/pglite
 * issue #1046, "concurrent extended-protocol batches interleave across
 * connections", open; PR #977 proposes a fix.) Here a connection's
 * messages are gathered up to Sync, or a simple Query, and run back to back.
 *
 * While a batch leaves a transaction open, only that connection runs until
 * the transaction ends; others wait. A connection that goes away inside a
 * transaction has it rolled back.
 */
export class PgliteWireServer {
  #server: net.Server | null = null
  #queue: Batch[] = []
  #owner: Connection | null = null
  #running = false
  #nextId = 1
  #connections = new Set<Connection>()

  constructor(private db: PGlite) {}

  async listen(host: string, port = 0): Promise<number> {
    this.#server = net.createServer((socket) => this.#accept(socket))
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject)
      this.#server!.listen(port, host, () => resolve())
    })
    return (this.#server.address() as net.AddressInfo).port
  }

  async close() {
    for (const connection of this.#connections) connection.socket.destroy()
    await new Promise<void>((resolve) =>
      this.#server ? this.#server.close(() => resolve()) : resolve()
    )
    this.#server = null
  }

  #accept(socket: net.Socket) {
    socket.setNoDelay(true)
    const connection: Connection = {
      id: this.#nextId++,
      socket,
      buffer: Buffer.alloc(0),
      started: false,
      pending: [],
      closed: false,
    }
    this.#connections.add(connection)
    socket.on('data', (chunk) => this.#receive(connection, chunk))
    socket.on('error', () => this.#drop(connection))
    socket.on('close', () => this.#drop(connection))
  }

  #receive(connection: Connection, chunk: Buffer) {
    connection.buffer = Buffer.concat([connection.buffer, chunk])
    for (;;) {
      if (!connection.started) {
        // Startup-phase packets have no type byte: length, then a code.
        if (connection.buffer.length < 8) return
        const length = connection.buffer.readInt32BE(0)
        if (connection.buffer.length < length) return
        const code = connection.buffer.readInt32BE(4)
        const packet = connection.buffer.subarray(0, length)
        connection.buffer = connection.buffer.subarray(length)
        if (code === SSL_REQUEST || code === GSS_REQUEST) {
          connection.socket.write('N')
          continue
        }
        if (code === CANCEL_REQUEST) {
          connection.socket.end()
          return
        }
        connection.started = true
        this.#enqueue({ connection, messages: [new Uint8Array(packet)] })
        continue
      }

      if (connection.buffer.length < 5) return
      const length = 1 + connection.buffer.readInt32BE(1)
      if (connection.buffer.length < length) return
      const type = String.fromCharCode(connection.buffer[0])
      const message = new Uint8Array(connection.buffer.subarray(0, length))
      connection.buffer = connection.buffer.subarray(length)

      if (type === TERMINATE) {
        connection.socket.end()
        return
      }
      connection.pending.push(message)
      if (BATCH_END.has(type)) {
        this.#enqueue({ connection, messages: connection.pending })
        connection.pending = []
      }
    }
  }

  #enqueue(batch: Batch) {
    this.#queue.push(batch)
    void this.#run()
  }

  async #run() {
    if (this.#running) return
    this.#running = true
    try {
      for (;;) {
        const index = this.#owner ? this.#queue.findIndex((b) => b.connection === this.#owner) : 0
        if (index < 0 || this.#queue.length === 0) return
        const [batch] = this.#queue.splice(index, 1)
        if (batch.connection.closed) continue
        await this.#execute(batch)
        if (!this.db.isInTransaction()) {
          this.#owner = null
        } else if (batch.connection.closed) {
          // It went away while its batch ran; nobody will end that transaction.
          await this.#rollback()
        } else {
          this.#owner = batch.connection
        }
      }
    } finally {
      this.#running = false
    }
  }

  async #execute({ connection, messages }: Batch) {
    const write = (data: Uint8Array) => {
      if (!connection.closed && data.length) connection.socket.write(data)
    }
    try {
      await this.db.runExclusive(async () => {
        for (const message of messages) {
          await this.db.execProtocolRawStream(message, { onRawData: write })
        }
      })
    } catch {
      // PGlite itself failed (not an SQL error, which travels as a message):
      // this connection cannot be answered consistently any more.
      connection.socket.destroy()
    }
  }

  async #drop(connection: Connection) {
    if (connection.closed) return
    connection.closed = true
    this.#connections.delete(connection)
    this.#queue = this.#queue.filter((batch) => batch.connection !== connection)
    // While a batch runs, #run settles the owner when it finishes.
    if (this.#owner === connection && !this.#running) {
      await this.#rollback()
      void this.#run()
    }
  }

  async #rollback() {
    this.#owner = null
    if (this.db.isInTransaction()) {
      await this.db.runExclusive(() => this.db.exec('ROLLBACK')).catch(() => {})
    }
  }
}
