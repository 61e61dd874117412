/**
 * A bounded async queue: producers await `push()` while the queue holds more
 * than `highWaterMark` units, consumers iterate. It is how backpressure travels
 * from a slow reader to the network (input to handlers, output to callers).
 */
export interface AsyncQueueOptions<T> {
  /** Units held before `push()` stops resolving at once. */
  highWaterMark: number
  /** Size of one item in units; defaults to 1 (count). */
  size?: (item: T) => number
}

/** What a push that did not have to wait returns: shared, since nothing is resolved later. */
const ROOM: Promise<void> = Promise.resolve()
/** Every iteration's end, shared (frozen: nobody may change what another reads). */
const DONE: Promise<IteratorResult<never>> = Promise.resolve(Object.freeze({ done: true, value: undefined }) as IteratorResult<never>)

export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = []
  private readonly size: (item: T) => number
  private readonly highWaterMark: number
  private held = 0
  private ended = false
  private failure: unknown = undefined
  private readonly readers: Array<() => void> = []
  private readonly writers: Array<() => void> = []

  constructor(opts: AsyncQueueOptions<T>) {
    this.highWaterMark = opts.highWaterMark
    this.size = opts.size ?? (() => 1)
  }

  get length(): number {
    return this.items.length
  }

  get isEnded(): boolean {
    return this.ended
  }

  /** Resolves once the queue is below its high-water mark again. Items pushed after `end()` are dropped. */
  push(item: T): Promise<void> {
    if (this.ended) return ROOM
    this.items.push(item)
    this.held += this.size(item)
    this.wake(this.readers)
    // Below the mark, as almost always: no promise of its own, no waiting.
    return this.held > this.highWaterMark ? this.untilRoom() : ROOM
  }

  private async untilRoom(): Promise<void> {
    while (this.held > this.highWaterMark && !this.ended) {
      await new Promise<void>((resolve) => this.writers.push(resolve))
    }
  }

  /** Ends the queue; with an error, iteration throws it after draining buffered items. */
  end(err?: unknown): void {
    if (this.ended) return
    this.ended = true
    this.failure = err
    this.wake(this.readers)
    this.wake(this.writers)
  }

  /** Ends the queue and discards what it holds. */
  abort(err?: unknown): void {
    this.items.length = 0
    this.held = 0
    this.end(err)
  }

  /**
   * Not async: an item already queued, or the end of a queue that ended cleanly, comes back
   * without an async function's promise (the end as one shared promise), which is every call on
   * a job without input.
   */
  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve(this.shift())
    if (this.ended && this.failure === undefined) return DONE
    return this.waitForItem()
  }

  private async waitForItem(): Promise<IteratorResult<T>> {
    while (this.items.length === 0) {
      if (this.ended) {
        if (this.failure !== undefined) throw this.failure
        return { done: true, value: undefined }
      }
      await new Promise<void>((resolve) => this.readers.push(resolve))
    }
    return this.shift()
  }

  private shift(): IteratorResult<T> {
    const item = this.items.shift() as T
    this.held -= this.size(item)
    if (this.held <= this.highWaterMark) this.wake(this.writers)
    return { done: false, value: item }
  }

  /** Leaving a loop early leaves the queue as it is (as it always has). */
  return(): Promise<IteratorResult<T>> {
    return DONE
  }

  /** The queue is its own iterator: no iterator object and closures per loop. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this
  }

  private wake(list: Array<() => void>): void {
    if (list.length === 0) return
    for (const fn of list.splice(0)) fn()
  }
}
