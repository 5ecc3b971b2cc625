import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomUUID } from 'node:crypto'
import logger from '@adonisjs/core/services/logger'
import { internalErrorBody } from '#app/http/internal_error'
import { BodyTooLarge, readBody, sendJson } from '#app/http/node_server'
import { ChannelError } from './channel_errors.js'
import { acceptWhatsAppWebhook } from './webhook_intake.js'

/*
| POST /webhooks/whatsapp as a lane of the Node server (app/http/node_server):
| the body is read, verified, stored and acknowledged without an AdonisJS
| HttpContext. Measured with bench:ingest, the context and router middleware
| (request id, container resolution, auth, bouncer and locale set-up) cost
| more CPU than the whole intake, and capped one web process far below the
| rate Meta can deliver. What a webhook needs is all here: a size limit, the
| signature check, the durable insert and JSON errors with a code.
| GET (Meta's verification handshake) stays an AdonisJS route.
*/

const PATH = '/webhooks/whatsapp'

/** Meta batches at most a few hundred kilobytes of events into one POST. */
const MAX_BODY_BYTES = 4 * 1024 * 1024

export function whatsappWebhookLane(request: IncomingMessage, response: ServerResponse) {
  if (request.method !== 'POST') return false
  const url = request.url ?? ''
  const query = url.indexOf('?')
  const path = query === -1 ? url : url.slice(0, query)
  if (path !== PATH && path !== `${PATH}/`) return false
  receive(request, response).catch((error) => {
    const requestId = randomUUID()
    logger.error({ err: error, request_id: requestId }, 'WhatsApp webhook: answering failed')
    if (!response.headersSent) sendJson(response, 500, internalErrorBody(requestId))
    else response.destroy()
  })
  return true
}

async function receive(request: IncomingMessage, response: ServerResponse) {
  let raw: string
  try {
    raw = await readBody(request, MAX_BODY_BYTES)
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error
    return sendJson(response, 413, {
      error: { code: 'payload_too_large', message: 'The webhook body is larger than 4 MB' },
    })
  }

  let body: unknown
  try {
    body = JSON.parse(raw)
  } catch {
    return sendJson(response, 400, {
      error: { code: 'invalid_json', message: 'The webhook body is not valid JSON' },
    })
  }

  try {
    const signature = request.headers['x-hub-signature-256']
    await acceptWhatsAppWebhook({
      rawBody: raw,
      signature: Array.isArray(signature) ? signature[0] : signature,
      body,
    })
  } catch (error) {
    if (error instanceof ChannelError) {
      return sendJson(response, error.status, {
        error: { code: error.code, message: error.message },
      })
    }
    const requestId = randomUUID()
    logger.error(
      { err: error, request_id: requestId },
      'WhatsApp webhook not stored; answered 500 so Meta retries'
    )
    return sendJson(response, 500, internalErrorBody(requestId))
  }
  sendJson(response, 200, { received: true })
}
