import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { closeServer, patientServer } from '#tests/helpers/local_http'

/*
| A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records
| every request (headers and raw body) and answers with the statuses it is
| told to, in order (the last one repeats).
*/

export interface ReceivedRequest {
  headers: IncomingHttpHeaders
  body: string
  json: any
  status: number
}

export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = []
  #server: Server | null = null
  #statuses: number[] = [200]

  /** Answers with these statuses, one per request, the last repeating. */
  answer(...statuses: number[]) {
    this.#statuses = statuses
    return this
  }

  async start() {
    this.#server = patientServer(
      createServer((request, response) => {
        const chunks: Buffer[] = []
        request.on('data', (chunk) => chunks.push(chunk))
        request.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8')
          const status = this.#statuses[Math.min(this.requests.length, this.#statuses.length - 1)]
          let json: unknown = null
          try {
            json = JSON.parse(body)
          } catch {}
          this.requests.push({ headers: request.headers, body, json, status })
          response.writeHead(status, { 'content-type': 'text/plain' })
          response.end(status < 300 ? 'ok' : `refused with ${status}`)
        })
      })
    )
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve))
    return this
  }

  get url() {
    const { port } = this.#server!.address() as AddressInfo
    return `http://127.0.0.1:${port}/hook`
  }

  /** Waits until at least `count` requests arrived (polling, 5 s at most). */
  async waitFor(count: number, timeoutMs = 5_000) {
    const deadline = Date.now() + timeoutMs
    while (this.requests.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`expected ${count} webhook requests, got ${this.requests.length}`)
      }
      await sleep(20)
    }
    return this.requests
  }

  async stop() {
    await closeServer(this.#server)
  }
}

export async function startReceiver(
  cleanup: (fn: () => Promise<void>) => void,
  ...statuses: number[]
) {
  const receiver = await new WebhookReceiver()
    .answer(...(statuses.length ? statuses : [200]))
    .start()
  cleanup(() => receiver.stop())
  return receiver
}
