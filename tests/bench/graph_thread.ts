/*
| The local Graph API server (tests/helpers/fake_graph_server.ts) on a
| worker thread of the bench process: its own event loop and heap, so the
| bench's own work (polling the database, sampling memory, collecting what
| was sent) never holds up the moment a request's arrival is stamped. A
| rate bench counts arrivals per second: arrivals stamped late, after a
| pause of the loop that stamps them, bunch up into a second above the
| rate that the sender never made.
|
| The thread also runs at a higher priority than the app (nice -10, where
| the bench may raise it, as root can): it stands in for WhatsApp's servers,
| which do not share our cores, so our own load must not delay the stamps.
|
| GraphThread is the bench's side: the same templates map and status
| reporting as a FakeGraphServer, and drain(), which hands over (and
| forgets) the sends to one path as arrival times and recipients.
*/
import { setPriority } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Worker, isMainThread, parentPort } from 'node:worker_threads'
import { FakeGraphServer } from '#tests/helpers/fake_graph_server'

type Ask =
  | { id: number; type: 'start' }
  | { id: number; type: 'templates'; wabaId: string; list: unknown[] }
  | { id: number; type: 'report'; url: string; appSecret: string; everyMs: number }
  | { id: number; type: 'drain'; path: string }
  | { id: number; type: 'lag' }
  | { id: number; type: 'stop' }

export interface Drained {
  at: number[]
  to: string[]
}

if (!isMainThread && parentPort) {
  const port = parentPort
  const graph = new FakeGraphServer()
  // How late this thread's loop ran: a late loop stamps arrivals late.
  const lag = monitorEventLoopDelay({ resolution: 10 })
  lag.enable()
  port.on('message', async (ask: Ask) => {
    let answer: unknown = null
    if (ask.type === 'start') {
      // On Linux a priority belongs to a thread: this one, Graph's loop.
      let raised = true
      try {
        setPriority(-10)
      } catch {
        raised = false
      }
      answer = { url: (await graph.start()).url, raised }
    } else if (ask.type === 'templates') graph.templates.set(ask.wabaId, ask.list as any[])
    else if (ask.type === 'report') graph.reportStatuses(ask.url, ask.appSecret, ask.everyMs)
    else if (ask.type === 'drain') {
      const drained: Drained = { at: [], to: [] }
      for (const call of graph.calls) {
        if (call.method !== 'POST' || call.path !== ask.path) continue
        drained.at.push(call.at)
        drained.to.push(String(call.body?.to))
      }
      graph.calls.length = 0
      answer = drained
    } else if (ask.type === 'lag') {
      answer = { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 }
      lag.reset()
    } else if (ask.type === 'stop') await graph.stop()
    port.postMessage({ id: ask.id, answer })
  })
}

type Question = Ask extends infer A ? (A extends { id: number } ? Omit<A, 'id'> : never) : never

export class GraphThread {
  url = ''
  /** Whether the thread runs at a higher priority than the app (see above). */
  raised = false
  #worker: Worker | null = null
  #asked = 0
  #waiting = new Map<number, (answer: any) => void>()
  /** As FakeGraphServer's: templates per WABA id (each set is passed to the thread). */
  readonly templates = {
    set: (wabaId: string, list: unknown[]) => {
      void this.#ask({ type: 'templates', wabaId, list })
      return this.templates
    },
  } as unknown as Map<string, unknown[]>

  async start() {
    this.#worker = new Worker(new URL(import.meta.url))
    this.#worker.on('message', ({ id, answer }: { id: number; answer: unknown }) => {
      this.#waiting.get(id)?.(answer)
      this.#waiting.delete(id)
    })
    const started = await this.#ask<{ url: string; raised: boolean }>({ type: 'start' })
    this.url = started.url
    this.raised = started.raised
    return this
  }

  #ask<T = any>(question: Question): Promise<T> {
    const id = ++this.#asked
    return new Promise<T>((resolve) => {
      this.#waiting.set(id, resolve)
      this.#worker!.postMessage({ ...question, id })
    })
  }

  reportStatuses(url: string, appSecret: string, everyMs = 250) {
    return this.#ask({ type: 'report', url, appSecret, everyMs })
  }

  /** The sends to `path` since the last drain: arrival times (ms) and recipients. */
  drain(path: string): Promise<Drained> {
    return this.#ask({ type: 'drain', path })
  }

  /** How late the thread's loop ran since the last ask (milliseconds), then starts over. */
  loopLag(): Promise<{ p99: number; max: number }> {
    return this.#ask({ type: 'lag' })
  }

  async stop() {
    if (!this.#worker) return
    await this.#ask({ type: 'stop' })
    await this.#worker.terminate()
    this.#worker = null
  }
}
