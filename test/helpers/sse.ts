/** A Server-Sent Events reader over fetch, for gateway tests: parses the stream as a browser would. */

export interface ReadEvent {
  event: string
  id?: string
  data: Record<string, unknown>
}

export interface SseConnection {
  status: number
  headers: Headers
  /** Reads events until `until` returns true for one (that one included) or the stream ends. */
  read(until?: (e: ReadEvent) => boolean): Promise<ReadEvent[]>
  close(): void
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const abort = new AbortController()
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal })
  const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  return {
    status: res.status,
    headers: res.headers,
    async read(until = () => false) {
      const out: ReadEvent[] = []
      if (reader === undefined) return out
      for (;;) {
        let end = buffer.indexOf('\n\n')
        while (end !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const e: Partial<ReadEvent> & { raw?: string } = {}
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue
            const colon = line.indexOf(':')
            const field = line.slice(0, colon)
            const value = line.slice(colon + 1).replace(/^ /, '')
            if (field === 'event') e.event = value
            else if (field === 'id') e.id = value
            else if (field === 'data') e.data = JSON.parse(value) as Record<string, unknown>
          }
          if (e.event !== undefined) {
            const event = e as ReadEvent
            out.push(event)
            if (until(event)) return out
          }
          end = buffer.indexOf('\n\n')
        }
        const { value, done } = await reader.read()
        if (done) return out
        buffer += value
      }
    },
    close() {
      abort.abort()
    },
  }
}
