/**
 * The main thread's end of the job store's connection, which lives on its own thread
 * (job-store-thread.ts): node:sqlite is synchronous, and on the event loop its inserts, commits
 * and checkpoints cost a durable job as much as everything else on its path together.
 *
 * Writes are posted and answered later (`write`, `onWritten`). Everything else is a synchronous
 * call: the request is posted and the main thread sleeps (Atomics.wait) until the thread
 * answers, then takes the answer off the port with `receiveMessageOnPort`. Requests go over one
 * port in order, so a read sees every write posted before it, as it did when the store flushed
 * before reading. Calls are rare (the operator's reads, a keyed submit, retention), writes are
 * per job.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads'
import { CrankError } from '../errors.ts'
import { siblingModule } from '../sibling-module.ts'
import { isDiskFull } from './job-store-schema.ts'
import type { SqlValue, StoreReply, StoreRequest, StoreThreadData, WireError, WriteReply } from './job-store-wire.ts'
import { StoreErrorCodes } from './store-errors.ts'

/** A call the thread has not answered in this long is given up as `store_unavailable`. */
const CALL_TIMEOUT_MS = 30_000

const entry = siblingModule(import.meta.url, './job-store-thread')

type Call = Exclude<StoreRequest, { op: 'write' }>
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

export class StoreConnection {
  /** Told each write batch's outcome, in the order the batches were posted. */
  onWritten: (reply: WriteReply) => void = () => {}
  private readonly path: string
  private readonly worker: Worker
  private readonly port: MessagePort
  private readonly signal: Int32Array
  private nextId = 1
  private readonly answers = new Map<number, StoreReply & { t: 's' }>()
  private readonly acks: WriteReply[] = []
  private acking = false
  /** Writes posted and not yet answered, oldest first. */
  private readonly inFlightSeqs: number[] = []
  private failure: CrankError | undefined
  private closed = false

  /** Starts the thread and opens the database there; throws its typed error (corrupt, locked, …). */
  constructor(path: string, synchronous: 'normal' | 'full') {
    this.path = path
    const { port1, port2 } = new MessageChannel()
    this.port = port1
    const shared = new SharedArrayBuffer(4)
    this.signal = new Int32Array(shared)
    const data: StoreThreadData & { port: MessagePort } = { signal: shared, path, synchronous, port: port2 }
    this.worker = new Worker(entry, { workerData: data, transferList: [port2], stdout: false, stderr: false })
    this.port.on('message', (m: StoreReply) => this.receive(m))
    // Neither keeps the process alive on its own: only writes in flight do (see `write`). After
    // the listener, which refs the port.
    this.worker.unref()
    this.port.unref()
    this.worker.on('error', (err) => this.fail(err))
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`the job store's thread exited (code ${code})`))
    })
    try {
      this.call({ op: 'open' })
    } catch (err) {
      this.closed = true
      void this.worker.terminate()
      throw err
    }
  }

  /** Posts a batch of rows; its outcome reaches `onWritten`. */
  write(seq: number, kinds: Uint8Array, args: SqlValue[]): void {
    if (this.failure !== undefined || this.closed) {
      const error = { message: this.failure?.message ?? 'the job store is closed' }
      queueMicrotask(() => this.ack({ t: 'w', seq, error }))
      return
    }
    // A write in flight keeps the process alive until its commit is known, as a pending fs write would.
    if (this.inFlightSeqs.push(seq) === 1) this.port.ref()
    this.port.postMessage({ op: 'write', seq, kinds, args } satisfies StoreRequest)
  }

  get<T>(sql: string, ...args: SqlValue[]): T | undefined {
    return this.call({ op: 'get', sql, args }) as T | undefined
  }

  all<T>(sql: string, ...args: SqlValue[]): T[] {
    return this.call({ op: 'all', sql, args }) as T[]
  }

  run(sql: string, ...args: SqlValue[]): number {
    return this.call({ op: 'run', sql, args }) as number
  }

  /** Inserts a keyed job unless its key is held: the new rowid, or the id of the job that holds the key. */
  claim(args: SqlValue[]): { rowid?: number; holder?: string } {
    return this.call({ op: 'claim', args }) as { rowid?: number; holder?: string }
  }

  /** Deletes these jobs where they have ended; returns how many rows went. */
  deleteEnded(ids: string[]): number {
    return this.call({ op: 'deleteEnded', ids }) as number
  }

  /** The hashes of every (caller, idempotency key) the served table can answer (see answerKeyHash). */
  answerKeys(): Int32Array {
    return this.call({ op: 'answerKeys' }) as Int32Array
  }

  /** Waits for every write posted so far, closes the database, and stops the thread. */
  close(): void {
    if (this.closed) return
    try {
      if (this.failure === undefined) this.call({ op: 'close' })
    } finally {
      this.closed = true
      this.port.close()
      void this.worker.terminate()
    }
  }

  /** A synchronous round trip to the thread; its error is rethrown as a typed CrankError. */
  private call(req: DistributiveOmit<Call, 'id'>): unknown {
    if (this.failure !== undefined) throw this.failure
    if (this.closed) throw new CrankError(StoreErrorCodes.storeUnavailable, `job store ${this.path} is closed`)
    const id = this.nextId++
    let seen = Atomics.load(this.signal, 0)
    this.port.postMessage({ ...req, id } as Call)
    const deadline = performance.now() + CALL_TIMEOUT_MS
    for (;;) {
      this.drain()
      const answer = this.answers.get(id)
      if (answer !== undefined) {
        this.answers.delete(id)
        if (answer.ok) return answer.value
        throw this.errorOf(answer.error)
      }
      const left = deadline - performance.now()
      if (left <= 0) {
        this.fail(new Error(`the job store's thread did not answer within ${CALL_TIMEOUT_MS / 1000} s`))
        throw this.failure
      }
      Atomics.wait(this.signal, 0, seen, Math.min(left, 1000))
      seen = Atomics.load(this.signal, 0)
    }
  }

  /** Takes every answer already sent off the port, in order. */
  private drain(): void {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) this.receive(m.message)
  }

  private receive(m: StoreReply): void {
    if (m.t === 's') this.answers.set(m.id, m)
    else this.ack(m)
  }

  private ack(reply: WriteReply): void {
    const i = this.inFlightSeqs.indexOf(reply.seq)
    if (i !== -1) {
      this.inFlightSeqs.splice(i, 1)
      if (this.inFlightSeqs.length === 0) this.port.unref()
    }
    this.acks.push(reply)
    // Told in order and never re-entered: a listener's own call may drain later acks, which wait their turn here.
    if (this.acking) return
    this.acking = true
    try {
      for (let next = this.acks.shift(); next !== undefined; next = this.acks.shift()) this.onWritten(next)
    } finally {
      this.acking = false
    }
  }

  /** The thread is gone: every write in flight fails, and so does every later call. */
  private fail(err: Error): void {
    if (this.failure !== undefined) return
    this.failure = new CrankError(StoreErrorCodes.storeUnavailable, `job store ${this.path}: ${err.message}`, { cause: err })
    for (const seq of [...this.inFlightSeqs]) this.ack({ t: 'w', seq, error: { message: err.message } })
  }

  private errorOf(e: WireError): CrankError {
    if (e.crankCode !== undefined) return new CrankError(e.crankCode, e.message, e.details === undefined ? {} : { details: e.details })
    return storeError(this.path, e)
  }
}

/** A typed error for a failed store operation, from an error node:sqlite (or the thread) threw. */
export function storeError(path: string, err: unknown): CrankError {
  if (err instanceof CrankError) return err
  const message = (err as { message?: string }).message ?? String(err)
  if (isDiskFull(err)) return new CrankError(StoreErrorCodes.storeFull, `job store ${path}: the disk is full: ${message}`)
  return new CrankError(StoreErrorCodes.storeUnavailable, `job store ${path}: ${message}`)
}
