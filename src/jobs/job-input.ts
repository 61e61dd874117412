import { CrankError, ErrorCodes } from '../errors.ts'

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

export async function* noInput(): AsyncGenerator<Uint8Array> {}
