import net from 'node:net'

/*
| A lean HTTP/1.1 client for load generation: keep-alive sockets, one
| request in flight per socket, each request one preformatted write, each
| response read for its status line and length only.
|
| Why not node:http: a bench shares the machine's cores with the server it
| measures. At 1,000 requests a second Node's client (request objects,
| header validation, the agent, a full response parser) took about a third
| of one core of the two, more CPU than the web process it was timing, and
| every millisecond it took was a millisecond the server waited for a core.
*/

/** A request ready to write: request line, headers and body in one buffer. */
export function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string | number>,
  body = ''
): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`]
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
  if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`)
}

const HEADER_END = Buffer.from('\r\n\r\n')
const CHUNKED_END = Buffer.from('0\r\n\r\n')

/** One keep-alive connection; `send` resolves with the status (0: connection failed). */
export class RawConnection {
  #socket: net.Socket | null = null
  #buffer: Buffer = Buffer.alloc(0)
  #pending: ((status: number) => void) | null = null
  #sentAt = 0

  constructor(
    readonly host: string,
    readonly port: number
  ) {}

  /** Connects now (resolves once connected), so no request times a handshake. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port, noDelay: true })
      socket.once('connect', () => {
        socket.off('error', reject)
        this.#attach(socket)
        resolve()
      })
      socket.once('error', reject)
    })
  }

  get busy() {
    return this.#pending !== null
  }

  /** When the request in flight was written (performance.now()), 0 if none. */
  get sentAt() {
    return this.#pending ? this.#sentAt : 0
  }

  send(request: Buffer): Promise<number> {
    if (this.#pending) throw new Error('one request at a time on a connection')
    return new Promise((resolve) => {
      this.#pending = resolve
      this.#sentAt = performance.now()
      if (!this.#socket) {
        // Closed by the server since: reconnect for this request.
        const socket = net.connect({ host: this.host, port: this.port, noDelay: true })
        this.#attach(socket)
      }
      this.#socket!.write(request)
    })
  }

  /** Fails the request in flight (a timeout) and drops the socket. */
  abort() {
    this.#socket?.destroy()
    this.#settle(0)
  }

  close() {
    this.#socket?.end()
    this.#socket = null
  }

  #attach(socket: net.Socket) {
    this.#socket = socket
    this.#buffer = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk
      this.#parse()
    })
    const gone = () => {
      if (this.#socket === socket) this.#socket = null
      this.#settle(0)
    }
    socket.on('error', gone)
    socket.on('close', gone)
  }

  #parse() {
    const buffer = this.#buffer
    const headerEnd = buffer.indexOf(HEADER_END)
    if (headerEnd === -1) return
    const head = buffer.toString('latin1', 0, headerEnd)
    const status = Number(head.slice(9, 12))
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
    let end: number
    if (length) {
      end = headerEnd + 4 + Number(length[1])
      if (buffer.length < end) return
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const last = buffer.indexOf(CHUNKED_END, headerEnd + 4)
      if (last === -1) return
      end = last + CHUNKED_END.length
    } else {
      end = headerEnd + 4
    }
    this.#buffer = buffer.subarray(end)
    if (/\r\nconnection:\s*close/i.test(head)) {
      this.#socket?.end()
      this.#socket = null
    }
    this.#settle(status)
  }

  #settle(status: number) {
    const pending = this.#pending
    this.#pending = null
    pending?.(status)
  }
}
