/**
 * The node's control socket: a Unix socket in its data dir (mode 0600, so only its own user and
 * root may connect) that the CLI on the same host talks to instead of joining the mesh itself.
 * Every request is checked before it reaches the node; a malformed one is answered with a typed
 * error and the connection goes on (an overlong line closes it), so no client can take the node
 * down. Wire format: control-protocol.ts. Operators: docs/operations.md (Control socket).
 */
import { chmod, lstat, unlink } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { dirname, join } from 'node:path'
import { CrankError, ErrorCodes, type ErrorInfo, toErrorInfo } from '../errors.ts'
import type { CrankNode } from '../node.ts'
import {
  CONTROL_SOCKET_FILE,
  type ControlMethod,
  dataHeader,
  encodeMessage,
  FrameReader,
  fromWire,
  isRequestId,
  MAX_CONNECTIONS,
  MAX_REQUESTS_PER_CONNECTION,
  MAX_SOCKET_PATH_BYTES,
  type RequestId,
  type ServerMessage,
  toWire,
} from './control-protocol.ts'
import { type OpenSubmit, runSubmit } from './control-submit.ts'
import { isAsyncIterable, JOBS_PREFIX, jobsMethod } from './jobs-forwarding.ts'
import { capabilityRows, liveNodeStatus, membersView, peersView, type SocketJob, statusView } from './node-views.ts'

/** A client that leaves this much of its answers unread is dropped (it is not reading them). */
const MAX_UNREAD_BYTES = 16 * 1024 * 1024
/** Ids of requests that ended lately: input or a cancel still in flight for them is dropped quietly. */
const RECENTLY_CLOSED = 64
/** How long `claim` waits for an existing socket to answer before taking it as live. */
const PROBE_TIMEOUT_MS = 2000

interface Log {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  debug(obj: object, msg: string): void
}

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, CONTROL_SOCKET_FILE)
}

/**
 * Makes the path free for a new listener: nothing there, or a stale socket left by a node that was
 * killed (nothing answers it), which is removed. A socket that answers means a node already runs
 * from this data dir; anything else at the path is not ours to delete.
 */
export async function claimControlSocket(path: string): Promise<void> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES)
    throw new CrankError(
      ErrorCodes.invalidConfig,
      `control socket path ${path} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes a Unix socket path may have: use a shorter --data-dir`,
    )
  const stat = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (stat === undefined) return
  if (!stat.isSocket()) throw new CrankError(ErrorCodes.invalidConfig, `${path} exists and is not a socket: move it away`)
  if (await socketAnswers(path))
    throw new CrankError(ErrorCodes.invalidConfig, `a node is already running in ${dirname(path)} (its control socket ${path} answers)`)
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path)
    const done = (answers: boolean): void => {
      clearTimeout(timer)
      probe.destroy()
      resolve(answers)
    }
    // A listener that neither accepts nor refuses is not provably dead: leave it alone.
    const timer = setTimeout(() => done(true), PROBE_TIMEOUT_MS)
    probe.once('connect', () => done(true))
    probe.once('error', () => done(false))
  })
}

export interface ControlServerInit {
  node: CrankNode
  dataDir: string
  log: Log
}

export class ControlServer {
  readonly path: string
  readonly #server: Server
  readonly #node: CrankNode
  readonly #log: Log
  readonly #connections = new Set<ControlConnection>()
  /** Jobs in flight that came through this socket (status lists them). */
  readonly jobs = new Set<SocketJob>()

  private constructor(init: ControlServerInit, server: Server) {
    this.path = controlSocketPath(init.dataDir)
    this.#node = init.node
    this.#log = init.log
    this.#server = server
  }

  /** Claims the socket path (see claimControlSocket) and listens on it, mode 0600. */
  static async listen(init: ControlServerInit): Promise<ControlServer> {
    const path = controlSocketPath(init.dataDir)
    await claimControlSocket(path)
    const server = createServer({ allowHalfOpen: false })
    const control = new ControlServer(init, server)
    server.on('connection', (socket) => control.#accept(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      // bind() runs inside listen(), synchronously: under this umask the socket is born 0600, with
      // no moment at mode 0755 for another user to connect in. The chmod below holds it there.
      const umask = process.umask(0o177)
      try {
        server.listen(path, () => {
          server.off('error', reject)
          resolve()
        })
      } finally {
        process.umask(umask)
      }
    })
    await chmod(path, 0o600)
    server.on('error', (err) => init.log.warn({ err: err.message }, 'control socket error'))
    init.log.info({ path }, 'control socket listening')
    return control
  }

  /** Takes no new connections; open ones go on (their jobs finish or drain with the node). */
  stopListening(): void {
    this.#server.close()
  }

  /** Drops every connection and removes the socket file. */
  async close(): Promise<void> {
    this.#server.close()
    for (const c of this.#connections) c.destroy()
    await unlink(this.path).catch(() => {})
  }

  #accept(socket: Socket): void {
    if (this.#connections.size >= MAX_CONNECTIONS) {
      const error = new CrankError(ErrorCodes.bufferFull, `the node serves ${MAX_CONNECTIONS} control connections at most`, {
        retryable: true,
      })
      socket.end(encodeMessage({ id: null, type: 'error', error: error.toJSON() }))
      socket.on('error', () => {})
      return
    }
    const conn = new ControlConnection(socket, this.#node, this.jobs, this.#log)
    this.#connections.add(conn)
    socket.once('close', () => this.#connections.delete(conn))
  }
}

interface OpenRequest {
  submit?: OpenSubmit
  /** A streamed `jobs.*` answer stops at the next item. */
  cancelled: boolean
}

/** One client: its requests, in flight concurrently, each ending in one result or error. */
class ControlConnection {
  readonly #socket: Socket
  readonly #node: CrankNode
  readonly #jobs: Set<SocketJob>
  readonly #log: Log
  readonly #reader = new FrameReader()
  readonly #open = new Map<RequestId, OpenRequest>()
  readonly #recentlyClosed: RequestId[] = []
  #connected = true
  #discarding = false

  constructor(socket: Socket, node: CrankNode, jobs: Set<SocketJob>, log: Log) {
    this.#socket = socket
    this.#node = node
    this.#jobs = jobs
    this.#log = log
    socket.on('data', (chunk: Buffer) => this.#data(chunk))
    socket.on('error', (err) => log.debug({ err: err.message }, 'control connection error'))
    socket.once('close', () => this.#closed())
  }

  destroy(): void {
    this.#socket.destroy()
  }

  #data(chunk: Buffer): void {
    if (this.#discarding) return
    const { frames, fatal } = this.#reader.push(chunk)
    for (const f of frames) {
      if ('bad' in f) this.#error(null, protocolError(f.bad))
      else this.#message(f.msg, f.data)
    }
    if (fatal !== undefined) {
      // What follows cannot be told apart from the next message: answer, then hang up.
      this.#discarding = true
      this.#error(null, new CrankError(ErrorCodes.frameTooLarge, `${fatal}; closing the connection`))
      this.#socket.end()
    }
  }

  #message(m: { id?: unknown; method?: unknown; type?: unknown; params?: unknown }, data: Uint8Array | undefined): void {
    if (!isRequestId(m.id)) this.#error(null, protocolError('id must be a safe integer or a string of 1 to 128 characters'))
    else if (m.method !== undefined) this.#request(m.id, m.method, m.params)
    else if (m.type === 'input' || m.type === 'end' || m.type === 'cancel') this.#streamMessage(m.id, m.type, data)
    else this.#error(m.id, protocolError('a control message needs a method (a request) or a type (input, end, cancel)'))
  }

  #request(id: RequestId, method: unknown, params: unknown): void {
    if (typeof method !== 'string') {
      this.#error(id, protocolError('method must be a string'))
      return
    }
    if (this.#open.has(id)) {
      this.#error(null, new CrankError(ErrorCodes.protocolError, `request id ${JSON.stringify(id)} is already open`, { details: { id } }))
      return
    }
    if (this.#open.size >= MAX_REQUESTS_PER_CONNECTION) {
      const busy = `${MAX_REQUESTS_PER_CONNECTION} requests are open on this connection already`
      this.#error(id, new CrankError(ErrorCodes.bufferFull, busy, { retryable: true }))
      return
    }
    const open: OpenRequest = { cancelled: false }
    this.#open.set(id, open)
    this.#answer(id, method, params, open)
      .then(
        (value) => this.#send({ id, type: 'result', ...(value === undefined ? {} : { value }) }),
        (err: unknown) => this.#error(id, err),
      )
      .finally(() => {
        this.#open.delete(id)
        this.#recentlyClosed.push(id)
        if (this.#recentlyClosed.length > RECENTLY_CLOSED) this.#recentlyClosed.shift()
      })
  }

  async #answer(id: RequestId, method: string, params: unknown, open: OpenRequest): Promise<unknown> {
    const node = this.#node
    if (method.startsWith(JOBS_PREFIX)) return this.#forwardJobs(id, method, params, open)
    switch (method as ControlMethod) {
      case 'status':
        return statusView(node, [...this.#jobs])
      case 'caps':
        return { capabilities: capabilityRows(node, { includeSelf: true }) }
      case 'peers':
        return { node: liveNodeStatus(node), ...peersView(node) }
      case 'members':
        return { members: membersView(node) }
      case 'explain': {
        const p = (params ?? {}) as { capability?: unknown; gpu?: unknown; tags?: unknown }
        if (typeof p.capability !== 'string' || p.capability === '')
          throw new CrankError(ErrorCodes.invalidOption, 'explain needs params.capability, a non-empty string')
        if (p.gpu !== undefined && typeof p.gpu !== 'boolean')
          throw new CrankError(ErrorCodes.invalidOption, 'explain gpu must be a boolean')
        if (p.tags !== undefined && (!Array.isArray(p.tags) || !p.tags.every((t) => typeof t === 'string')))
          throw new CrankError(ErrorCodes.invalidOption, 'explain tags must be an array of strings')
        return node.explain(p.capability, {
          ...(p.gpu === true ? { gpu: true } : {}),
          ...(p.tags === undefined ? {} : { tags: p.tags as string[] }),
        })
      }
      case 'submit': {
        open.submit = { input: undefined, handle: undefined, detached: false, cancelled: false }
        const channel = {
          id,
          send: (msg: ServerMessage) => this.#send(msg),
          sendOutput: (data: Uint8Array) => this.#writeData(id, data),
          isConnected: () => this.#connected,
        }
        return runSubmit(node, channel, params, open.submit, this.#jobs, this.#log)
      }
      default:
        throw new CrankError(ErrorCodes.notSupported, `this node has no control method "${method.slice(0, 64)}"`)
    }
  }

  async #forwardJobs(id: RequestId, method: string, params: unknown, open: OpenRequest): Promise<unknown> {
    const fn = jobsMethod(this.#node, method)
    if (fn instanceof CrankError) throw fn
    if (params !== undefined && !Array.isArray(params))
      throw new CrankError(ErrorCodes.invalidOption, `${method}: params is the method's argument list, a JSON array`)
    const value = await fn(...(params ?? []).map((a) => fromWire(a)))
    if (!isAsyncIterable(value)) return toWire(value)
    for await (const item of value) {
      if (!this.#connected || open.cancelled) break
      await this.#write(encodeMessage({ id, type: 'item', value: toWire(item) }))
    }
    return undefined
  }

  #streamMessage(id: RequestId, type: 'input' | 'end' | 'cancel', data: Uint8Array | undefined): void {
    const open = this.#open.get(id)
    if (open === undefined) {
      if (!this.#recentlyClosed.includes(id))
        this.#error(
          null,
          new CrankError(ErrorCodes.protocolError, `${type} for request ${JSON.stringify(id)}, which is not open`, { details: { id } }),
        )
      return
    }
    if (type === 'cancel') {
      open.cancelled = true
      if (open.submit !== undefined) open.submit.cancelled = true
      open.submit?.handle?.cancel('cancelled by the control client')
      return
    }
    const submit = open.submit
    const input = submit?.input
    if (submit === undefined || input === undefined) {
      this.#error(null, new CrankError(ErrorCodes.protocolError, `${type} for a request that takes no input`, { details: { id } }))
      return
    }
    if (type === 'end') {
      input.end()
      return
    }
    const refused = input.push(data ?? new Uint8Array(0))
    if (refused !== undefined) {
      // Input that broke the protocol cannot be trusted: the job ends, and its result says why.
      input.fail(refused)
      submit.handle?.cancel(`the control client broke the protocol: ${refused.message}`)
    }
  }

  /**
   * The one error answering a request, or (id null) about a line that names no open request: the
   * request it mentions, if any, is in `details.id`. An open request is never answered twice.
   */
  #error(id: RequestId | null, err: unknown): void {
    const error: ErrorInfo = err instanceof CrankError ? err.toJSON() : toErrorInfo(err, ErrorCodes.internal)
    this.#send({ id, type: 'error', error })
  }

  /** Never throws: a node-side answer that is not JSON (a job store's BigInt, a cycle) becomes an `internal` error. */
  #send(msg: ServerMessage): void {
    if (!this.#connected) return
    let line: string
    try {
      line = encodeMessage(msg)
    } catch (err) {
      const error = { code: ErrorCodes.internal, message: `the answer cannot be sent as JSON: ${(err as Error).message}`, retryable: false }
      line = encodeMessage({ id: msg.id, type: 'error', error })
    }
    this.#socket.write(line)
    if (this.#socket.writableLength > MAX_UNREAD_BYTES) {
      this.#log.warn({ unread: this.#socket.writableLength }, 'control client does not read its answers; dropping it')
      this.#socket.destroy()
    }
  }

  /** One raw output chunk after its header; resolves once the socket has room again (or is gone): the client's reading paces the node. */
  #writeData(id: RequestId, data: Uint8Array): Promise<void> {
    if (!this.#connected) return Promise.resolve()
    this.#socket.cork()
    this.#socket.write(dataHeader(id, 'output', data.byteLength))
    const room = this.#socket.write(data)
    this.#socket.uncork()
    return room ? Promise.resolve() : this.#drained()
  }

  /** Writes and resolves once the socket has room again (or is gone). */
  #write(line: string): Promise<void> {
    if (!this.#connected) return Promise.resolve()
    return this.#socket.write(line) ? Promise.resolve() : this.#drained()
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.#socket.off('drain', done)
        this.#socket.off('close', done)
        resolve()
      }
      this.#socket.once('drain', done)
      this.#socket.once('close', done)
    })
  }

  #closed(): void {
    this.#connected = false
    const gone = new CrankError(ErrorCodes.connectionLost, 'the control client went away before the input ended')
    for (const open of this.#open.values()) {
      open.cancelled = true
      const submit = open.submit
      if (submit === undefined) continue
      submit.input?.fail(gone)
      if (!submit.detached) submit.handle?.cancel('the control client went away')
    }
  }
}

function protocolError(message: string): CrankError {
  return new CrankError(ErrorCodes.protocolError, message)
}
