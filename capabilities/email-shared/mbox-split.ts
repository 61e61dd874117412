/**
 * Incremental mbox splitting: turns a byte stream into one buffer per message
 * without ever holding more than one message (plus one input chunk) in memory,
 * so a mailbox of any size can be streamed through a job.
 */

/** One message cut from the stream. */
export interface SplitMessage {
  /** 0-based position of the message in the input. */
  index: number
  /** The message bytes (without the mbox `From ` envelope line); absent when oversize. */
  bytes?: Buffer
  /** The mbox envelope line (`From sender date`), when there was one. */
  envelope?: string
  /** Bytes the message occupied in the input, envelope line included. */
  size: number
  /** True when the message exceeded `maxMessageBytes`; its bytes were dropped as they streamed past. */
  oversize: boolean
  /** True when no further message follows. */
  last: boolean
}

export interface SplitOptions {
  maxMessageBytes: number
  /**
   * `mbox`: split on every line that starts with `From `.
   * `rfc822`: the whole input is one message; a leading envelope line is still removed.
   * `auto`: `mbox` when the input starts with `From `, else `rfc822`.
   */
  format: 'auto' | 'mbox' | 'rfc822'
}

const SEPARATOR = Buffer.from('\nFrom ')
const FROM = Buffer.from('From ')
// Bytes kept back from each chunk so a separator split across two chunks is still found.
const HOLD = SEPARATOR.length - 1

/** Splits `input` into messages; yields each one as soon as the separator after it (or the end) is seen. */
export async function* splitMessages(input: AsyncIterable<Uint8Array>, opts: SplitOptions): AsyncGenerator<SplitMessage> {
  let parts: Buffer[] = []
  let size = 0
  let oversize = false
  let held: Buffer = Buffer.alloc(0)
  let started = false
  let splitting = opts.format === 'mbox'
  let index = 0

  const add = (piece: Buffer): void => {
    if (piece.length === 0) return
    size += piece.length
    if (oversize) return
    if (size > opts.maxMessageBytes) {
      // Drop what we held: memory stays bounded by the limit, the rest only counts.
      oversize = true
      parts = []
      return
    }
    parts.push(piece)
  }
  const finish = (): Omit<SplitMessage, 'last'> => {
    const msg: Omit<SplitMessage, 'last'> = { index: index++, size, oversize }
    if (!oversize) {
      let bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts, size)
      if (bytes.subarray(0, FROM.length).equals(FROM)) {
        const eol = bytes.indexOf(10)
        const line = (eol < 0 ? bytes : bytes.subarray(0, eol)).toString('latin1').replace(/\r$/, '')
        msg.envelope = line
        bytes = eol < 0 ? Buffer.alloc(0) : bytes.subarray(eol + 1)
      }
      msg.bytes = bytes
    }
    parts = []
    size = 0
    oversize = false
    return msg
  }

  for await (const chunk of input) {
    if (chunk.length === 0) continue
    let data: Buffer = held.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([held, chunk])
    if (!started) {
      // Decide the format on the first bytes; wait until we have enough to tell.
      if (data.length < FROM.length && opts.format === 'auto') {
        held = Buffer.from(data)
        continue
      }
      started = true
      if (opts.format === 'auto') splitting = data.subarray(0, FROM.length).equals(FROM)
    }
    let segStart = 0
    if (splitting) {
      let at = data.indexOf(SEPARATOR)
      while (at >= 0) {
        add(data.subarray(segStart, at + 1))
        segStart = at + 1
        // A separator follows, so this message is not the last one.
        yield { ...finish(), last: false }
        at = data.indexOf(SEPARATOR, segStart)
      }
    }
    const keep = Math.max(segStart, data.length - HOLD)
    add(data.subarray(segStart, keep))
    // Copy the held tail: the chunk's buffer may be reused by the producer.
    held = Buffer.from(data.subarray(keep))
    data = held
  }
  if (!started && held.length === 0) return
  add(held)
  yield { ...finish(), last: true }
}
