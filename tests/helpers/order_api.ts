import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import app from '@adonisjs/core/services/app'

/*
| A shop's order API on loopback for connector tests: GET /orders/:id
| answers the order's status as JSON (or `status`/`raw` as a test sets
| them, after `delayMs`). Every request is kept in `seen`.
*/

export interface SeenRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export class OrderApi {
  seen: SeenRequest[] = []
  delayMs = 0
  status = 200
  raw: string | null = null
  #server: Server | null = null

  get base() {
    return `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`
  }

  async start() {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk) => chunks.push(chunk))
      request.on('end', () => {
        this.seen.push({
          method: request.method!,
          url: request.url!,
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        })
        const id = /\/orders\/([^/?]+)/.exec(request.url!)?.[1] ?? '?'
        setTimeout(() => {
          if (response.destroyed) return
          response.writeHead(this.status, { 'content-type': 'application/json' })
          response.end(
            this.raw ??
              JSON.stringify({
                order: { id: decodeURIComponent(id), status: 'Out for delivery', eta: 'today 5pm' },
                items: [{ name: 'Desk lamp' }, { name: 'Bulbs' }],
              })
          )
        }, this.delayMs)
      })
    })
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve))
  }

  async stop() {
    this.#server?.closeAllConnections()
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()))
  }
}

/** An OrderApi for a test group, with loopback allowed to the outbound guard meanwhile. */
export function useOrderApi(group: {
  setup: (fn: () => any) => void
  each: { setup: (fn: () => any) => void }
}) {
  const api = new OrderApi()
  group.setup(async () => {
    await api.start()
    const previous = app.config.get<boolean>('brain.allowPrivateUrlSources')
    // The local API is on loopback, which the guard refuses unless allowed (as in tests of URL sources).
    app.config.set('brain.allowPrivateUrlSources', true)
    return async () => {
      app.config.set('brain.allowPrivateUrlSources', previous)
      await api.stop()
    }
  })
  group.each.setup(() => {
    api.seen = []
    api.delayMs = 0
    api.status = 200
    api.raw = null
  })
  return api
}
