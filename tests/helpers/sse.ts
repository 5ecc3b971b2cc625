import { WebSession } from '#tests/helpers/web_session'

/*
| Reads a workspace page's server-sent event stream the way a browser
| would: real HTTP with the member's cookies, events parsed as they arrive.
*/

export interface SseEvent {
  event: string
  data: any
}

/** Opens a workspace page's stream with a member's cookies and parses what arrives. */
export async function openStream(web: WebSession, path: string) {
  const controller = new AbortController()
  const cookie = [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  const response = await fetch(`${WebSession.baseUrl()}${path}`, {
    headers: { cookie, accept: 'text/event-stream' },
    redirect: 'manual',
    signal: controller.signal,
  })
  const events: SseEvent[] = []
  const waiters: Array<() => void> = []
  let buffer = ''
  const pump = (async () => {
    if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
      return
    }
    const decoder = new TextDecoder()
    try {
      for await (const chunk of response.body as any) {
        buffer += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const name = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (name && data !== undefined) events.push({ event: name, data: JSON.parse(data) })
          waiters.splice(0).forEach((wake) => wake())
        }
      }
    } catch {
      // aborted
    }
  })()
  const until = async (check: (all: SseEvent[]) => boolean, timeoutMs = 8_000) => {
    const deadline = Date.now() + timeoutMs
    while (!check(events)) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`stream condition not met; got ${JSON.stringify(events)}`)
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, Math.min(left, 200))
      })
    }
  }
  return {
    response,
    events,
    until,
    close: async () => {
      controller.abort()
      await pump
    },
  }
}
