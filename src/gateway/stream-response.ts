/**
 * A long-lived response written piece by piece (SSE, output that follows a running job). It
 * takes the response from fastify, turns the socket's idle timeout off (such a response may be
 * quiet while its job is), and instead gives a client that stops reading `stallMs` to take
 * what was written before it is cut off: a slow client holds one socket buffer, never more.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'

export class StreamResponse {
  readonly #reply: FastifyReply
  readonly #stallMs: number
  readonly #controller = new AbortController()

  constructor(
    request: FastifyRequest,
    reply: FastifyReply,
    opts: { status?: number; headers: Record<string, string | number>; stallMs: number },
  ) {
    this.#reply = reply
    this.#stallMs = opts.stallMs
    reply.hijack()
    const res = reply.raw
    keepQuietSocket(request)
    res.once('close', () => this.#controller.abort(new Error('client went away')))
    res.writeHead(opts.status ?? 200, { 'x-content-type-options': 'nosniff', ...opts.headers })
    res.flushHeaders()
  }

  /** Aborts when the client is gone (or was cut off). */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  get closed(): boolean {
    return this.#controller.signal.aborted
  }

  /** Writes; resolves once the socket can take more. False when the client is gone. */
  async write(chunk: string | Uint8Array): Promise<boolean> {
    if (this.closed) return false
    const res = this.#reply.raw
    if (res.write(chunk)) return true
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer)
        res.off('drain', onDrain)
        this.signal.removeEventListener('abort', onAbort)
        resolve(ok)
      }
      const onDrain = (): void => done(true)
      const onAbort = (): void => done(false)
      const timer = setTimeout(() => {
        // The client stopped reading: cut it off rather than hold what it does not take.
        res.destroy()
        done(false)
      }, this.#stallMs)
      res.once('drain', onDrain)
      this.signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  end(): void {
    if (!this.#reply.raw.writableEnded) this.#reply.raw.end()
  }

  /** Ends the response abruptly, so the client sees the body was cut short (not a clean end). */
  destroy(): void {
    this.#reply.raw.destroy()
  }
}

/** Turns the socket's idle timeout off: the response may rightly be quiet while its job runs (injected requests have no real socket). */
export function keepQuietSocket(request: FastifyRequest): void {
  const socket = request.raw.socket as { setTimeout?: unknown } | undefined
  if (typeof socket?.setTimeout === 'function') request.raw.socket.setTimeout(0)
}
