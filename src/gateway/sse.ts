/**
 * Server-Sent Events: the `text/event-stream` framing, a heartbeat comment that keeps a quiet
 * stream from looking dead, and the client's resume position (`Last-Event-ID`, or the
 * `lastEventId` query parameter for clients that cannot set headers on their first request).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { SSE_HEARTBEAT_MS, SSE_RETRY_MS } from './limits.ts'
import { StreamResponse } from './stream-response.ts'

export interface SseEvent {
  id?: number
  event: string
  data: unknown
}

export class SseStream {
  readonly #out: StreamResponse
  readonly #heartbeat: NodeJS.Timeout

  constructor(request: FastifyRequest, reply: FastifyReply, opts: { stallMs: number; heartbeatMs?: number }) {
    this.#out = new StreamResponse(request, reply, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        // nginx and friends buffer responses unless told not to; events must arrive as they happen.
        'x-accel-buffering': 'no',
      },
      stallMs: opts.stallMs,
    })
    this.#heartbeat = setInterval(() => void this.#out.write(': keep-alive\n\n'), opts.heartbeatMs ?? SSE_HEARTBEAT_MS)
    this.#heartbeat.unref()
    this.#out.signal.addEventListener('abort', () => clearInterval(this.#heartbeat), { once: true })
    void this.#out.write(`retry: ${SSE_RETRY_MS}\n\n`)
  }

  /** Aborts when the client has gone. */
  get signal(): AbortSignal {
    return this.#out.signal
  }

  get closed(): boolean {
    return this.#out.closed
  }

  /** One event; resolves when the socket can take more (false: the client is gone). */
  send(e: SseEvent): Promise<boolean> {
    return this.#out.write(formatEvent(e))
  }

  end(): void {
    clearInterval(this.#heartbeat)
    this.#out.end()
  }
}

export function formatEvent(e: SseEvent): string {
  // JSON never holds a raw newline, so the data is always one `data:` line.
  return `${e.id === undefined ? '' : `id: ${e.id}\n`}event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`
}

/** The position to resume after: the header wins over the query parameter; anything not a count is 0. */
export function lastEventId(request: FastifyRequest): number {
  const header = request.headers['last-event-id']
  const query = (request.query as { lastEventId?: unknown } | undefined)?.lastEventId
  const raw = typeof header === 'string' && header.trim() !== '' ? header : query
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : 0
  return Number.isSafeInteger(n) && n > 0 ? n : 0
}
