/**
 * A submit's input on the node's side of the control socket: chunks the client sends against
 * credit, read by the job as one byte stream. The node grants a window up front and grants again
 * what the job has read, so a client can never make the node hold more than the window, and a
 * job that reads slowly slows the client down instead of filling memory.
 */
import { CrankError, ErrorCodes } from '../errors.ts'
import { INPUT_WINDOW_BYTES } from './control-protocol.ts'

export class CreditedInput implements AsyncIterable<Uint8Array> {
  readonly #chunks: Uint8Array[] = []
  readonly #window: number
  readonly #grant: (bytes: number) => void
  /** Bytes the client may still send without a new grant. */
  #allowance: number
  /** Bytes read by the job since the last grant. */
  #readSinceGrant = 0
  #ended = false
  #failure: CrankError | undefined
  #wake: (() => void) | undefined
  /** Told the size of each chunk accepted (the node's job list counts input bytes). */
  onChunk: ((bytes: number) => void) | undefined

  constructor(grant: (bytes: number) => void, window = INPUT_WINDOW_BYTES) {
    this.#grant = grant
    this.#window = window
    this.#allowance = window
    grant(window)
  }

  /** A chunk from the client; an error when it sends past its credit or after the end. */
  push(chunk: Uint8Array): CrankError | undefined {
    if (this.#ended) return new CrankError(ErrorCodes.protocolError, 'input after its end')
    if (chunk.byteLength > this.#allowance)
      return new CrankError(
        ErrorCodes.protocolError,
        `input of ${chunk.byteLength} bytes exceeds the ${this.#allowance} bytes of credit left`,
      )
    this.#allowance -= chunk.byteLength
    this.#chunks.push(chunk)
    this.onChunk?.(chunk.byteLength)
    this.#wakeReader()
    return undefined
  }

  end(): void {
    this.#ended = true
    this.#wakeReader()
  }

  /**
   * The input cannot be completed (the client left before its end, or broke the protocol): the job
   * reading it fails rather than see a truncated stream. Input that already ended is whole: no-op.
   */
  fail(err: CrankError): void {
    if (this.#ended) return
    this.#ended = true
    this.#chunks.length = 0
    this.#failure = err
    this.#wakeReader()
  }

  get ended(): boolean {
    return this.#ended
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      const chunk = this.#chunks.shift()
      if (chunk !== undefined) {
        this.#readSinceGrant += chunk.byteLength
        // Grants in halves of the window: one credit message per couple of megabytes, not per chunk.
        if (!this.#ended && this.#readSinceGrant >= this.#window / 2) {
          this.#allowance += this.#readSinceGrant
          this.#grant(this.#readSinceGrant)
          this.#readSinceGrant = 0
        }
        yield chunk
        continue
      }
      if (this.#failure !== undefined) throw this.#failure
      if (this.#ended) return
      await new Promise<void>((resolve) => {
        this.#wake = resolve
      })
    }
  }

  #wakeReader(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }
}
