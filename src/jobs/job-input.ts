import { CrankError, ErrorCodes } from '../errors.ts'
import { AsyncQueue } from './async-queue.ts'

/** The shapes of job input callers may pass, normalised to one async stream of bytes. */
export type JobInput = Uint8Array | string | AsyncIterable<Uint8Array> | Iterable<Uint8Array>

export async function* toByteStream(input: JobInput): AsyncGenerator<Uint8Array> {
  if (typeof input === 'string') {
    yield new TextEncoder().encode(input)
    return
  }
  if (input instanceof Uint8Array) {
    yield input
    return
  }
  for await (const chunk of input) {
    if (!(chunk instanceof Uint8Array)) {
      throw new CrankError(ErrorCodes.invalidOption, `input chunks must be Uint8Array, got ${chunk === null ? 'null' : typeof chunk}`)
    }
    yield chunk
  }
}

/** Already ended, so one serves every job (what is pushed after the end is dropped, and nobody can push: it is not exported). */
const NO_INPUT = new AsyncQueue<Uint8Array>({ highWaterMark: 0 })
NO_INPUT.end()

/**
 * The input of a job submitted without one. One shared ended queue rather than an async
 * generator per job: measured with local jobs at 64 in flight, a generator per job made about
 * 1 KB of every job outlive the young generation (promoted, then left for a major GC), where the
 * shared queue makes none.
 */
export function noInput(): AsyncIterable<Uint8Array> {
  return NO_INPUT
}
