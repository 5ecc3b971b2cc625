import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import redis from '@adonisjs/redis/services/main'
import type { HttpContext } from '@adonisjs/core/http'

/*
| Live updates: what one process does (a worker storing a message, a web
| process assigning a conversation) reaches the browsers connected to any
| other over Redis pub/sub, and leaves as server-sent events.
|
| Each process holds one Redis subscription per topic that has at least one
| open stream, shared by every stream on that topic. Payloads are small
| notices ("conversation X changed"), never records: a page that hears one
| fetches what it shows through the same authorised routes as a reload, so
| a stream can never leak more than its subscriber may read.
*/

type Listener = (message: string) => void

interface Topic {
  listeners: Set<Listener>
  /** Resolves once Redis confirmed the subscription. */
  ready: Promise<void>
}

const topics = new Map<string, Topic>()
const openStreams = new Set<() => void>()

/** A heartbeat keeps proxies from closing an idle stream and reveals dead clients. */
const HEARTBEAT_MS = 20_000

function channelOf(topic: string) {
  const prefix = app.config.get<string>('redis.connections.main.keyPrefix', '')
  return `${prefix}live:${topic}`
}

/** Sends `payload` to every stream on `topic`, in every process. */
export async function publishLive(topic: string, payload: Record<string, unknown>) {
  await redis.publish(channelOf(topic), JSON.stringify(payload))
}

/** publishLive for many notices, in one round trip. */
export async function publishLiveMany(
  notices: Array<{ topic: string; payload: Record<string, unknown> }>
) {
  if (notices.length === 1) return publishLive(notices[0].topic, notices[0].payload)
  if (!notices.length) return
  const results = await redis
    .pipeline(
      notices.map(({ topic, payload }) => ['publish', channelOf(topic), JSON.stringify(payload)])
    )
    .exec()
  const failed = results?.find(([error]) => error)
  if (failed) throw failed[0]
}

function listen(topic: string, listener: Listener) {
  const channel = channelOf(topic)
  let entry = topics.get(channel)
  if (!entry) {
    const listeners = new Set<Listener>()
    const ready = new Promise<void>((resolve) => {
      redis.connection().subscribe(
        channel,
        (message: string) => {
          for (const each of listeners) each(message)
        },
        {
          onSubscription: () => resolve(),
          onError: (error: unknown) => {
            logger.error({ err: error, channel }, 'live updates: subscription failed')
            resolve()
          },
        }
      )
    })
    entry = { listeners, ready }
    topics.set(channel, entry)
  }
  entry.listeners.add(listener)
  const subscribed = entry
  return {
    ready: subscribed.ready,
    stop() {
      subscribed.listeners.delete(listener)
      if (subscribed.listeners.size === 0 && topics.get(channel) === subscribed) {
        topics.delete(channel)
        redis
          .connection()
          .unsubscribe(channel)
          .catch(() => {})
      }
    },
  }
}

/**
 * Turns the response into a server-sent event stream of everything
 * published on `topics`, each as `event: <options.event ?? 'live'>` with the
 * payload as JSON data. The first event is `ready` (subscribed: nothing
 * published from here on is missed); browsers reconnect by themselves after
 * `retry` ms and should then refetch what they show, since notices sent
 * while they were away are not replayed.
 */
export async function streamLive(
  ctx: HttpContext,
  topicNames: string[],
  options: { event?: string } = {}
) {
  const event = options.event ?? 'live'
  const res = ctx.response.response
  res.writeHead(200, {
    ...ctx.response.getHeaders(),
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'Connection': 'keep-alive',
    'X-Accel-Buffering': 'no',
  })
  res.write('retry: 3000\n\n')

  const write = (chunk: string) => {
    if (!res.writableEnded) res.write(chunk)
  }
  const subscriptions = topicNames.map((topic) =>
    listen(topic, (message) => write(`event: ${event}\ndata: ${message}\n\n`))
  )
  const heartbeat = setInterval(() => write(': ping\n\n'), HEARTBEAT_MS)

  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    clearInterval(heartbeat)
    for (const subscription of subscriptions) subscription.stop()
    openStreams.delete(close)
    if (!res.writableEnded) res.end()
  }
  openStreams.add(close)
  ctx.request.request.on('close', close)
  res.on('close', close)

  await Promise.all(subscriptions.map((subscription) => subscription.ready))
  write('event: ready\ndata: {}\n\n')
}

/** Ends every open stream (the process is shutting down). */
export function closeLiveStreams() {
  for (const close of [...openStreams]) close()
}

/** The topic of a workspace's inbox: every member's browser on the inbox listens to it. */
export function inboxTopic(tenantId: string) {
  return `inbox:${tenantId}`
}
