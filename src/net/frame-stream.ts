/**
 * Varint-length-prefixed frames over a libp2p MessageStream, with real
 * backpressure in both directions.
 *
 * We don't use `lpStream` from @libp2p/utils here: its reader appends every
 * incoming message to an unbounded buffer (aborting the stream past 4 MiB), so a
 * slow consumer could never push back on the sender. This reader pauses the
 * stream instead, which stops yamux window updates and so stops the remote.
 */
import type { Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { CrankError, ErrorCodes } from '../errors.ts'
import type { ConnectionAccount } from './frame-budget.ts'

export interface FrameReaderOptions {
  /** Largest frame accepted; a longer length prefix ends the stream with `frame_too_large`. */
  maxFrameBytes: number
  /** Decoded-but-unconsumed bytes held before the stream is paused. */
  highWaterMark: number
  /** The connection's share of the node's frame budget (see frame-budget.ts); absent: unbudgeted. */
  account?: ConnectionAccount
  /** Resolves whether the peer proved membership; asked when an unproven peer's account is full. */
  whenProven?: () => Promise<boolean>
}

/**
 * Takes frames as they arrive, in place of iterating. `frame` may return a promise to hold the
 * next frame back until it settles (backpressure: the stream is paused while frames pile up).
 * `end` is called once when the stream has ended or failed and every frame before that was taken.
 */
export interface FrameConsumer {
  frame(bytes: Uint8Array): void | Promise<void>
  end(error: CrankError | undefined): void
}

const MAX_VARINT_BYTES = 5 // up to 2^35: far beyond any frame we accept
/** Bytes a stream may hold unsent before writers wait. */
const WRITE_HIGH_WATER_MARK = 256 * 1024

export class FrameReader implements AsyncIterable<Uint8Array> {
  private readonly stream: Stream
  private readonly opts: FrameReaderOptions
  private readonly pending = new Uint8ArrayList()
  private readonly frames: Uint8Array[] = []
  private heldBytes = 0
  private ended = false
  private failure: CrankError | undefined
  private wake: (() => void) | undefined
  /** Bytes charged to the account: what `pending` and `frames` hold, until released. */
  private accounted = 0
  private released = false
  /** Bytes that arrived while an unproven peer's account was full, kept in order until its proof. */
  private deferred: Array<Uint8Array | Uint8ArrayList> | undefined
  /** Who takes frames now, instead of an iterator (see `consume`). */
  private consumer: FrameConsumer | undefined
  /** A consumer's frame is still being handled: the next waits. */
  private busy = false
  private delivering = false

  constructor(stream: Stream, opts: FrameReaderOptions) {
    this.stream = stream
    this.opts = opts
    stream.addEventListener('message', (evt) => this.onData(evt.data))
    stream.addEventListener('remoteCloseWrite', () => this.onEnd())
    stream.addEventListener('close', (evt) => {
      this.onEnd(evt.error)
      this.releaseAll()
    })
  }

  /** The error that ended the stream, if it did not end cleanly. */
  get error(): CrankError | undefined {
    return this.failure
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.consumer !== undefined) throw new Error('FrameReader: next() while a consumer takes the frames')
    while (this.frames.length === 0) {
      if (this.failure !== undefined) throw this.failure
      if (this.ended) return { done: true, value: undefined }
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
    }
    return { done: false, value: this.take() }
  }

  /**
   * Hands frames to `consumer` as they arrive, from the stream's own data event: no promise and
   * no iterator result per frame, as iterating costs. Frames already buffered are handed over at
   * once. The consumer keeps them until `release(consumer)`; frames that arrive meanwhile wait.
   */
  consume(consumer: FrameConsumer): void {
    if (this.consumer !== undefined) throw new Error('FrameReader: a consumer already takes the frames')
    this.consumer = consumer
    this.deliver()
  }

  /** Stops handing frames to `consumer`; those that arrive wait for the next consumer or iterator. */
  release(consumer: FrameConsumer): void {
    if (this.consumer === consumer) this.consumer = undefined
  }

  /**
   * Hands every frame to `onFrame` (through `consume`) until the stream ends: resolves at a clean
   * end, rejects with the stream's error, or with the first error `onFrame` throws, after which it
   * takes no more frames. A promise `onFrame` returns holds the next frame back, as in `consume`.
   */
  readAll(onFrame: (bytes: Uint8Array) => void | Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const consumer: FrameConsumer = {
        frame: (bytes) => {
          try {
            return onFrame(bytes)
          } catch (err) {
            this.release(consumer)
            reject(err)
            return undefined
          }
        },
        end: (error) => (error === undefined ? resolve() : reject(error)),
      }
      this.consume(consumer)
    })
  }

  private take(): Uint8Array {
    const frame = this.frames.shift() as Uint8Array
    this.heldBytes -= frame.byteLength
    this.settle()
    if (this.heldBytes <= this.opts.highWaterMark / 2 && this.stream.readStatus === 'paused') this.stream.resume()
    return frame
  }

  /**
   * Re-entrant calls return at once: taking a frame may resume the stream, which can dispatch
   * its buffered data synchronously; the loop already running hands those frames over in order.
   */
  private deliver(): void {
    if (this.delivering) return
    this.delivering = true
    try {
      this.deliverLoop()
    } finally {
      this.delivering = false
    }
  }

  private deliverLoop(): void {
    while (!this.busy) {
      const consumer = this.consumer
      if (consumer === undefined) return
      if (this.frames.length === 0) {
        if (this.failure !== undefined || this.ended) {
          this.consumer = undefined
          consumer.end(this.failure)
        }
        return
      }
      const held = consumer.frame(this.take())
      if (held !== undefined) {
        this.busy = true
        const next = (): void => {
          this.busy = false
          this.deliver()
        }
        // A consumer reports its own failures; a rejection here only means "go on".
        held.then(next, next)
      }
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return { next: () => this.next(), return: async () => ({ done: true, value: undefined }) }
  }

  private onData(data: Uint8Array | Uint8ArrayList): void {
    if (this.failure !== undefined || this.ended) return
    if (this.deferred !== undefined) {
      this.deferred.push(data)
      return
    }
    const account = this.opts.account
    if (account !== undefined && !this.released) {
      const r = account.reserve(data.byteLength)
      if (r === 'refuse') {
        const err = new CrankError(ErrorCodes.bufferFull, 'frame buffer budget exhausted on this connection or node', { retryable: true })
        this.fail(err)
        this.stream.abort(err)
        return
      }
      if (r === 'wait') {
        this.deferUntilProven(data)
        return
      }
      this.accounted += data.byteLength
    }
    if (this.pending.byteLength === 0) {
      if (!this.takeWhole(data)) return
    } else {
      this.pending.append(data)
      if (!this.takePending()) return
    }
    if (this.heldBytes > this.opts.highWaterMark && this.stream.readStatus === 'readable') this.stream.pause()
    this.settle()
    this.notify()
  }

  /**
   * The common case, a chunk that starts on a frame boundary: its whole frames are taken as views
   * of the chunk, with no copy and no list; only a trailing partial frame goes to `pending`.
   * Returns false when the stream failed.
   */
  private takeWhole(data: Uint8Array | Uint8ArrayList): boolean {
    const chunk = data instanceof Uint8Array ? data : data.subarray()
    let off = 0
    while (off < chunk.byteLength) {
      const length = readVarint(chunk, off)
      if (length === INCOMPLETE) break
      if (!this.checkLength(length)) return false
      const start = off + varintBytes
      if (chunk.byteLength < start + length) break
      this.frames.push(chunk.subarray(start, start + length))
      this.heldBytes += length
      off = start + length
    }
    if (off < chunk.byteLength) this.pending.append(chunk.subarray(off))
    return true
  }

  /** Frames that span chunks, gathered in `pending` and copied out whole. Returns false when the stream failed. */
  private takePending(): boolean {
    for (;;) {
      const length = readVarint(this.pending, 0)
      if (length === INCOMPLETE) return true
      if (!this.checkLength(length)) return false
      const prefix = varintBytes
      if (this.pending.byteLength < prefix + length) return true
      const frame = this.pending.subarray(prefix, prefix + length)
      this.pending.consume(prefix + length)
      this.frames.push(frame)
      this.heldBytes += frame.byteLength
    }
  }

  private checkLength(length: number): boolean {
    if (length === INVALID) {
      this.fail(new CrankError(ErrorCodes.malformedFrame, 'frame length prefix is not a valid varint'))
      return false
    }
    if (length > this.opts.maxFrameBytes) {
      this.fail(new CrankError(ErrorCodes.frameTooLarge, `frame of ${length} bytes exceeds the ${this.opts.maxFrameBytes}-byte limit`))
      return false
    }
    return true
  }

  /** Stops reading an unproven peer's stream until its membership is proven; then reads on, or fails. */
  private deferUntilProven(data: Uint8Array | Uint8ArrayList): void {
    this.deferred = [data]
    if (this.stream.readStatus === 'readable') this.stream.pause()
    const proof = this.opts.whenProven?.() ?? Promise.resolve(false)
    proof
      .catch(() => false)
      .then((proven) => {
        const held = this.deferred ?? []
        this.deferred = undefined
        if (!proven) {
          const err = new CrankError(ErrorCodes.notMember, 'peer did not prove membership', { retryable: false })
          this.fail(err)
          this.stream.abort(err)
          return
        }
        for (const chunk of held) this.onData(chunk)
        if (this.deferred === undefined && this.heldBytes <= this.opts.highWaterMark && this.stream.readStatus === 'paused')
          this.stream.resume()
      })
  }

  /** Gives back to the account what was consumed or dropped. */
  private settle(): void {
    const account = this.opts.account
    if (account === undefined || this.released) return
    const now = this.pending.byteLength + this.heldBytes
    if (now < this.accounted) {
      account.release(this.accounted - now)
      this.accounted = now
    }
  }

  private releaseAll(): void {
    if (this.released) return
    this.released = true
    this.deferred = undefined
    this.opts.account?.release(this.accounted)
    this.accounted = 0
  }

  private onEnd(err?: Error): void {
    if (this.ended) return
    this.ended = true
    if (this.failure === undefined) {
      if (err !== undefined) this.failure = new CrankError(ErrorCodes.connectionLost, `stream closed: ${err.message}`, { retryable: true })
      else if (this.pending.byteLength > 0)
        this.failure = new CrankError(ErrorCodes.malformedFrame, `stream ended inside a frame (${this.pending.byteLength} bytes left)`)
    }
    this.notify()
  }

  private fail(err: CrankError): void {
    this.failure = err
    this.pending.consume(this.pending.byteLength)
    this.settle()
    this.notify()
  }

  private notify(): void {
    if (this.consumer !== undefined) this.deliver()
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}

/** Bytes of the prefix that the last `readVarint` read (a field, so no object per frame). */
let varintBytes = 0
const INCOMPLETE = -1
const INVALID = -2

/** The frame length at `from`, with its prefix size in `varintBytes`; or INCOMPLETE, or INVALID. */
function readVarint(buf: Uint8Array | Uint8ArrayList, from: number): number {
  let value = 0
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (from + i >= buf.byteLength) return INCOMPLETE
    const byte = buf instanceof Uint8Array ? (buf[from + i] as number) : buf.get(from + i)
    value += (byte & 0x7f) * 2 ** (7 * i)
    if ((byte & 0x80) === 0) {
      varintBytes = i + 1
      return value
    }
  }
  return INVALID
}

/** Bytes of the unsigned LEB128 prefix of a frame of `n` bytes. */
function varintLength(n: number): number {
  let len = 1
  for (let v = n; v >= 0x80; v = Math.floor(v / 0x80)) len++
  return len
}

/** Writes the prefix of `n` at `at`; returns where the body starts. */
function writeVarint(n: number, into: Uint8Array, at: number): number {
  let v = n
  let i = at
  while (v >= 0x80) {
    into[i++] = (v % 0x80) | 0x80
    v = Math.floor(v / 0x80)
  }
  into[i++] = v
  return i
}

/** The unsigned LEB128 length prefix of a frame. */
export function encodeVarint(n: number): Uint8Array {
  const out = new Uint8Array(varintLength(n))
  writeVarint(n, out, 0)
  return out
}

/** Frames up to this size are copied behind their prefix into one buffer; larger ones are sent as they are. */
const COPY_FRAME_BYTES = 16 * 1024

/** One buffer of prefixed frames when they are small, else a list that does not copy the large bodies. */
function framed(bodies: Uint8Array[]): Uint8Array | Uint8ArrayList {
  let total = 0
  let large = false
  for (const b of bodies) {
    total += varintLength(b.byteLength) + b.byteLength
    if (b.byteLength > COPY_FRAME_BYTES) large = true
  }
  if (large) {
    const list = new Uint8ArrayList()
    for (const b of bodies) list.append(encodeVarint(b.byteLength), b)
    return list
  }
  const out = Buffer.allocUnsafe(total)
  let at = 0
  for (const b of bodies) {
    at = writeVarint(b.byteLength, out, at)
    out.set(b, at)
    at += b.byteLength
  }
  return out
}

/**
 * What a write that went out at once returns: shared, since nothing waits on it. A caller may
 * compare against it to skip waiting on a frame that is already with the stream.
 */
export const SENT: Promise<void> = Promise.resolve()

interface QueuedFrame {
  frame: Uint8Array | (() => Uint8Array | undefined)
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * Serialises frame writes and coalesces those made in the same tick into one
 * `send()`: an Accepted and a Result produced together cost one yamux frame.
 * A write resolves once the stream has room again (backpressure).
 */
export class FrameWriter {
  private readonly stream: Stream
  private queue: QueuedFrame[] = []
  /** The promise that the frames queued by `writeSoon` since the last flush share. */
  private soon: { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } | undefined
  private scheduled = false
  private draining = false

  constructor(stream: Stream) {
    this.stream = stream
  }

  /** A function argument is encoded when its turn comes, so coalesced updates send their latest value. */
  write(frame: Uint8Array | (() => Uint8Array | undefined)): Promise<void> {
    // Nothing ahead of it and the stream has room: send now, with no queue entry and no new promise.
    // (A function is a coalescing update: it always waits for the tick's batch.)
    if (
      frame instanceof Uint8Array &&
      this.queue.length === 0 &&
      !this.scheduled &&
      !this.draining &&
      this.stream.writeStatus === 'writable'
    ) {
      try {
        if (this.stream.send(framed([frame]))) return SENT
      } catch (err) {
        return Promise.reject(err)
      }
      this.draining = true
      return this.waitForRoom().then(
        () => this.drained(),
        (err: unknown) => {
          this.drainFailed(err)
          throw err
        },
      )
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, resolve, reject })
      if (!this.scheduled && !this.draining) {
        this.scheduled = true
        queueMicrotask(() => this.flush())
      }
    })
  }

  /**
   * Queues `frame` to go out at the end of this turn of the event loop (setImmediate), in one
   * `send()` with every other frame written until then. For a stream that several jobs share:
   * each `send()` costs a yamux frame, a window update and a TLS record whatever its size, and
   * the jobs a burst of data events finishes all write within the same turn. The frames of one
   * batch share one promise.
   */
  writeSoon(frame: Uint8Array): Promise<void> {
    let batch = this.soon
    if (batch === undefined) {
      let resolve!: () => void
      let reject!: (err: unknown) => void
      const promise = new Promise<void>((res, rej) => {
        resolve = res
        reject = rej
      })
      batch = { promise, resolve, reject }
      this.soon = batch
    }
    this.queue.push({ frame, resolve: batch.resolve, reject: batch.reject })
    if (!this.scheduled && !this.draining) {
      this.scheduled = true
      setImmediate(() => this.flush())
    }
    return batch.promise
  }

  /**
   * `drain` fires on every yamux window update, not when the buffer is empty: keep waiting until
   * what we have queued is below the high-water mark, or a fast producer grows it without bound.
   */
  private async waitForRoom(): Promise<void> {
    await this.stream.onDrain()
    while (this.stream.writeBufferLength > WRITE_HIGH_WATER_MARK && this.stream.writeStatus === 'writable') {
      // onDrain() resolves at once when the stream isn't flagged as needing drain: wait for the event itself.
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.removeEventListener('drain', done)
          this.stream.removeEventListener('close', done)
          resolve()
        }
        this.stream.addEventListener('drain', done)
        this.stream.addEventListener('close', done)
      })
    }
  }

  private flush(): void {
    this.scheduled = false
    const batch = this.queue
    this.queue = []
    // Frames queued from now on wait for the next flush, with a promise of their own.
    this.soon = undefined
    if (batch.length === 0) return
    if (this.stream.writeStatus !== 'writable') {
      const err = new CrankError(ErrorCodes.connectionLost, `stream is ${this.stream.status}`, { retryable: true })
      for (const q of batch) q.reject(err)
      return
    }
    const bodies: Uint8Array[] = []
    for (const q of batch) {
      const bytes = typeof q.frame === 'function' ? q.frame() : q.frame
      if (bytes !== undefined) bodies.push(bytes)
    }
    let room: boolean
    try {
      room = bodies.length === 0 || this.stream.send(framed(bodies))
    } catch (err) {
      for (const q of batch) q.reject(err)
      return
    }
    if (room) {
      for (const q of batch) q.resolve()
      return
    }
    this.draining = true
    this.waitForRoom().then(
      () => {
        for (const q of batch) q.resolve()
        this.drained()
      },
      (err: unknown) => {
        for (const q of batch) q.reject(err)
        this.drainFailed(err)
      },
    )
  }

  private drained(): void {
    this.draining = false
    if (this.queue.length > 0) this.flush()
  }

  private drainFailed(err: unknown): void {
    this.draining = false
    this.soon = undefined
    for (const q of this.queue.splice(0)) q.reject(err)
  }
}
