// Server-Sent Events over fetch, so that the stream can carry an Authorization header
// (EventSource cannot). Reconnects after a dropped connection with Last-Event-ID, as
// EventSource would, and stops for good on 204 (the stream has nothing more) or on abort.

/**
 * @param {string} url
 * @param {{ headers: () => Record<string, string>, onEvent: (type: string, data: unknown, id: string | undefined) => void,
 *           onStatus?: (status: number) => void, signal: AbortSignal }} opts
 */
export async function followEvents(url, opts) {
  let lastId
  let retryMs = 2000
  while (!opts.signal.aborted) {
    try {
      const headers = { accept: 'text/event-stream', ...opts.headers() }
      if (lastId !== undefined) headers['last-event-id'] = lastId
      const res = await fetch(url, { headers, signal: opts.signal, cache: 'no-store' })
      opts.onStatus?.(res.status)
      if (res.status === 204) return
      if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`)
      for await (const e of parse(res.body)) {
        if (e.retry !== undefined) retryMs = e.retry
        if (e.id !== undefined) lastId = e.id
        if (e.event !== undefined) opts.onEvent(e.event, e.data === undefined ? undefined : JSON.parse(e.data), e.id)
      }
    } catch (err) {
      if (opts.signal.aborted) return
      if (String(err).includes('HTTP 401')) return
    }
    await new Promise((resolve) => setTimeout(resolve, retryMs))
  }
}

/** Yields {event, data, id, retry} per blank-line-terminated block. */
async function* parse(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    buffer += value
    let end = buffer.indexOf('\n\n')
    while (end !== -1) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const e = {}
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        const v = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') e.event = v
        else if (field === 'data') e.data = e.data === undefined ? v : `${e.data}\n${v}`
        else if (field === 'id') e.id = v
        else if (field === 'retry' && /^\d+$/.test(v)) e.retry = Number(v)
      }
      if (e.event === undefined && e.data !== undefined) e.event = 'message'
      if (e.event !== undefined || e.retry !== undefined) yield e
      end = buffer.indexOf('\n\n')
    }
  }
}
