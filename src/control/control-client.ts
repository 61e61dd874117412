/**
 * The CLI's end of a node's control socket (control-server.ts). It imports nothing of the node, so
 * a command that finds its node running starts in a fraction of a second: no libp2p, no built-in
 * capabilities, no borrowed identity. Output is read only as fast as its consumer takes it, and
 * input is sent only against the node's credit (control-protocol.ts).
 */
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { CrankError, ErrorCodes, type ErrorInfo } from '../errors.ts'
import { AsyncQueue } from '../jobs/async-queue.ts'
import {
  CALL_TIMEOUT_MS,
  CONTROL_SOCKET_FILE,
  type ControlJobEvent,
  type ControlSubmitParams,
  type ControlSubmitResult,
  dataHeader,
  encodeMessage,
  FrameReader,
  fromWire,
  MAX_CHUNK_BYTES,
  MAX_LINE_BYTES,
  type RequestId,
  type ServerMessage,
  toWire,
} from './control-protocol.ts'

/** Errors that mean nobody listens there: no node runs from this data dir. */
const NO_NODE = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTDIR', 'EINVAL', 'ENAMETOOLONG'])
/** Streamed `jobs.*` items held before the connection stops reading. */
const ITEMS_HIGH_WATER_MARK = 16

/** Connects to the node running from `dataDir`; undefined when none answers there. */
export async function connectToNode(dataDir: string): Promise<ControlClient | undefined> {
  const path = join(dataDir, CONTROL_SOCKET_FILE)
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    socket.once('connect', () => {
      socket.removeAllListeners('error')
      resolve(new ControlClient(socket, path))
    })
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (NO_NODE.has(err.code ?? '')) resolve(undefined)
      else if (err.code === 'EACCES' || err.code === 'EPERM')
        reject(
          new CrankError(ErrorCodes.forbidden, `cannot use the node's control socket ${path}: permission denied (run as the node's user)`),
        )
      else reject(new CrankError(ErrorCodes.peerUnreachable, `cannot use the node's control socket ${path}: ${err.code ?? err.message}`))
    })
  })
}

export interface SubmitHandlers {
  /** Sent as `input` messages, against the node's credit. */
  input?: AsyncIterable<Uint8Array>
  /** The node made the job (its id), before anything runs; `node` is its peer id. */
  onJob?(jobId: string, node: { peerId: string; name: string }): void
  onEvent?(event: ControlJobEvent): void
  /** Each output chunk; the connection reads no more until the returned promise settles. */
  onOutput?(data: Uint8Array): Promise<void> | void
  /** Input bytes sent so far. */
  onInputSent?(bytes: number): void
}

export interface SubmitCall {
  /** The job's report, once it ends; rejects on a transport failure or an input that could not be read. */
  readonly result: Promise<ControlSubmitResult>
  /** Resolves when the input has been sent in full (at once when there is none). */
  readonly inputSent: Promise<void>
  cancel(): void
}

interface Pending {
  resolve(value: unknown): void
  reject(err: unknown): void
  /** Streamed messages before the result (with the raw chunk of an `output`); awaited, so a slow consumer stops the reading. */
  onMessage?(msg: ServerMessage, data: Uint8Array | undefined): Promise<void> | void
}

export class ControlClient {
  readonly path: string
  readonly #socket: Socket
  readonly #pending = new Map<RequestId, Pending>()
  #nextId = 1
  #failure: CrankError | undefined

  constructor(socket: Socket, path: string) {
    this.#socket = socket
    this.path = path
    // Errors end the read loop below (its iterator rejects); this only keeps them from being unhandled.
    socket.on('error', () => {})
    void this.#read()
  }

  /** One request, one answer. */
  call(method: string, params?: unknown, timeoutMs = CALL_TIMEOUT_MS): Promise<unknown> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A late answer finds no pending request and is dropped.
        this.#pending.delete(id)
        reject(
          new CrankError(
            ErrorCodes.deadlineExceeded,
            `the node did not answer ${method} within ${timeoutMs} ms (is it overloaded or stuck?)`,
            {
              retryable: true,
            },
          ),
        )
      }, timeoutMs)
      const settle =
        <T>(fn: (v: T) => void) =>
        (v: T): void => {
          clearTimeout(timer)
          fn(v)
        }
      this.#pending.set(id, { resolve: settle(resolve), reject: settle(reject) })
      this.#send(encodeMessage({ id, method, ...(params === undefined ? {} : { params }) }))
    })
  }

  /** A job on the node, with its bytes streamed both ways. */
  submit(params: ControlSubmitParams, h: SubmitHandlers = {}): SubmitCall {
    const id = this.#nextId++
    let credit = 0
    let ended = false
    let inputError: unknown
    let creditChanged: (() => void) | undefined
    const wake = (): void => {
      const w = creditChanged
      creditChanged = undefined
      w?.()
    }
    const result = new Promise<ControlSubmitResult>((resolve, reject) => {
      this.#pending.set(id, {
        resolve: (value) => {
          ended = true
          wake()
          if (inputError !== undefined) reject(inputError)
          else resolve(value as ControlSubmitResult)
        },
        reject: (err) => {
          ended = true
          wake()
          reject(err)
        },
        onMessage: (msg, data) => {
          if (msg.type === 'credit') {
            credit += msg.bytes
            wake()
          } else if (msg.type === 'job') h.onJob?.(msg.jobId, { peerId: msg.node, name: msg.name })
          else if (msg.type === 'event') h.onEvent?.(msg.event)
          else if (msg.type === 'output') return h.onOutput?.(data ?? new Uint8Array(0))
        },
      })
    })
    this.#send(encodeMessage({ id, method: 'submit', params: { ...params, input: h.input !== undefined } }))
    const pump = async (input: AsyncIterable<Uint8Array>): Promise<void> => {
      let sent = 0
      try {
        for await (const chunk of input) {
          for (let at = 0; at < chunk.byteLength; at += MAX_CHUNK_BYTES) {
            const part = chunk.subarray(at, at + MAX_CHUNK_BYTES)
            while (credit < part.byteLength && !ended) await new Promise<void>((r) => (creditChanged = r))
            if (ended) return
            credit -= part.byteLength
            await this.#writeData(id, part)
            sent += part.byteLength
            h.onInputSent?.(sent)
          }
        }
        if (!ended) this.#send(encodeMessage({ id, type: 'end' }))
      } catch (err) {
        // The job must not run on a truncated input: it is cancelled, and the result reports this error.
        inputError = err
        if (!ended) this.#send(encodeMessage({ id, type: 'cancel' }))
      }
    }
    const inputSent = h.input === undefined ? Promise.resolve() : pump(h.input)
    return {
      result,
      inputSent,
      cancel: () => {
        if (!ended) this.#send(encodeMessage({ id, type: 'cancel' }))
      },
    }
  }

  /**
   * A `jobs.<method>(...args)` call on the node's job store: its value, or an async iterable of its
   * items when the store streams (the connection reads no more while the iterable is not consumed).
   */
  jobs(method: string, args: unknown[]): Promise<unknown> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      let items: AsyncQueue<unknown> | undefined
      this.#pending.set(id, {
        resolve: (value) => {
          if (items !== undefined) items.end()
          else resolve(fromWire(value))
        },
        reject: (err) => {
          if (items !== undefined) items.end(err)
          else reject(err)
        },
        onMessage: (msg) => {
          if (msg.type !== 'item') return
          if (items === undefined) {
            items = new AsyncQueue<unknown>({ highWaterMark: ITEMS_HIGH_WATER_MARK })
            resolve(items)
          }
          return items.push(fromWire(msg.value))
        },
      })
      this.#send(encodeMessage({ id, method: `jobs.${method}`, params: args.map((a) => toWire(a)) }))
    })
  }

  close(): void {
    this.#socket.end()
  }

  async #read(): Promise<void> {
    // A node's line is one answer; allow answers the node built large (a big mesh's caps).
    const reader = new FrameReader(MAX_LINE_BYTES * 16)
    try {
      for await (const chunk of this.#socket) {
        const { frames, fatal } = reader.push(chunk as Buffer)
        for (const f of frames) {
          if ('bad' in f) throw new CrankError(ErrorCodes.protocolError, `the node sent a malformed control message: ${f.bad}`)
          await this.#dispatch(f.msg as unknown as ServerMessage, f.data)
        }
        if (fatal !== undefined) throw new CrankError(ErrorCodes.protocolError, `the node broke the control protocol: ${fatal}`)
      }
      this.#fail(new CrankError(ErrorCodes.connectionLost, 'the node closed its control connection (is it stopping?)'))
    } catch (err) {
      this.#fail(
        err instanceof CrankError
          ? err
          : new CrankError(ErrorCodes.connectionLost, `control connection to the node failed: ${(err as Error).message}`),
      )
    }
  }

  async #dispatch(msg: ServerMessage, data: Uint8Array | undefined): Promise<void> {
    if (msg.type === 'error' && msg.id === null) {
      // About no request of ours, or one named in details: nothing sensible goes on after it.
      throw new CrankError(msg.error.code, msg.error.message)
    }
    const pending = this.#pending.get(msg.id as RequestId)
    if (pending === undefined) return
    if (msg.type === 'result') {
      this.#pending.delete(msg.id)
      pending.resolve(msg.value)
    } else if (msg.type === 'error') {
      this.#pending.delete(msg.id as RequestId)
      pending.reject(errorFrom(msg.error))
    } else await pending.onMessage?.(msg, data)
  }

  #fail(err: CrankError): void {
    this.#failure ??= err
    for (const p of this.#pending.values()) p.reject(err)
    this.#pending.clear()
    this.#socket.destroy()
  }

  #send(line: string): void {
    if (this.#failure !== undefined) return
    this.#socket.write(line)
  }

  /** One raw input chunk after its header; resolves when the socket can take more. */
  #writeData(id: RequestId, data: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    this.#socket.cork()
    this.#socket.write(dataHeader(id, 'input', data.byteLength))
    const room = this.#socket.write(data)
    this.#socket.uncork()
    if (room) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.#socket.off('drain', done)
        this.#socket.off('close', done)
        if (this.#failure !== undefined) reject(this.#failure)
        else resolve()
      }
      this.#socket.once('drain', done)
      this.#socket.once('close', done)
    })
  }
}

function errorFrom(info: ErrorInfo): CrankError {
  return new CrankError(info.code, info.message, { retryable: info.retryable })
}

/**
 * The node's job store as the CLI's `jobs` commands see it: every method call is a `jobs.<method>`
 * request on the control socket. This is the `getApi` for `registerJobsCommands(program, getApi)`.
 */
export function jobsThroughNode(client: ControlClient): Record<string, (...args: unknown[]) => Promise<unknown>> {
  return new Proxy(
    {},
    {
      get: (_target, name) =>
        // Not a thenable: awaiting the proxy itself must not look like a promise.
        typeof name !== 'string' || name === 'then' ? undefined : (...args: unknown[]) => client.jobs(name, args),
    },
  )
}
