import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { isMachinePath, setMachineHeaders } from '#app/http/machine_routes'

/*
| The Node HTTP server the app listens with, in production, in `node ace
| serve` and in the test suite alike (bin/server.ts and tests/bootstrap.ts).
|
| A lane is a handler for one hot machine endpoint that answers straight
| from Node's request, before AdonisJS builds an HttpContext. Only endpoints
| whose whole job is "verify, store, acknowledge" at high rates belong here
| (WhatsApp webhooks: Meta expects an answer in well under a second, at
| thousands a second): a lane runs no middleware, has no session, no view,
| no i18n and no route params, and answers its own errors as JSON. A lane
| returns true when it took the request; every other request goes to
| AdonisJS as usual.
*/

export type Lane = (request: IncomingMessage, response: ServerResponse) => boolean

const lanes: Lane[] = []

/** Called by a module's routes file, next to its AdonisJS routes. */
export function registerLane(lane: Lane) {
  if (!lanes.includes(lane)) lanes.push(lane)
}

export function createAppServer(
  adonis: (request: IncomingMessage, response: ServerResponse) => unknown
) {
  return createServer((request, response) => {
    const url = request.url ?? '/'
    const query = url.indexOf('?')
    if (isMachinePath(query === -1 ? url : url.slice(0, query))) setMachineHeaders(response)
    for (const lane of lanes) if (lane(request, response)) return
    adonis(request, response)
  })
}

export class BodyTooLarge extends Error {}

/** The request body as text, refusing (BodyTooLarge) past `limit` bytes. */
export function readBody(request: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'])
    if (declared > limit) return reject(new BodyTooLarge())
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        request.removeAllListeners('data')
        request.resume()
        reject(new BodyTooLarge())
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')))
    request.on('error', reject)
  })
}

/** A JSON answer, in the shape the app's exception handler gives machine routes. */
export function sendJson(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  })
  response.end(text)
}
