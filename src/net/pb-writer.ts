/**
 * Protobuf encoding of a small flat message straight into one buffer of its exact size.
 *
 * protobufjs's Writer builds a linked list of operation objects (one per field, plus a fork and
 * a state object per nested message) and then copies them into the buffer; for the two frames
 * every remote job sends (Submit, Result) that list cost more than the bytes it produced. Here a
 * message is measured first (`size*` functions), then written field by field in one pass. The
 * output is byte for byte what the generated encoder writes for the same fields (tested).
 */

/** Bytes of the unsigned varint `n` (uint32 and below). */
export function varintSize(n: number): number {
  if (n < 0x80) return 1
  if (n < 0x4000) return 2
  if (n < 0x200000) return 3
  if (n < 0x10000000) return 4
  return 5
}

/** Bytes of a length-delimited field (tag below 16) whose body is `len` bytes. */
export function delimitedSize(len: number): number {
  return 1 + varintSize(len) + len
}

/** A cursor over a buffer sized in advance. */
export class FlatWriter {
  readonly buf: Buffer
  private at = 0

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size)
  }

  varint(n: number): this {
    let v = n >>> 0
    while (v >= 0x80) {
      this.buf[this.at++] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    this.buf[this.at++] = v
    return this
  }

  /** A string field of `byteLength` UTF-8 bytes (measured by the caller, who needed it for the size). */
  string(tag: number, s: string, byteLength: number): this {
    this.buf[this.at++] = tag
    this.varint(byteLength)
    if (byteLength > 0) this.at += this.buf.write(s, this.at, byteLength, 'utf8')
    return this
  }

  bytes(tag: number, b: Uint8Array): this {
    this.buf[this.at++] = tag
    this.varint(b.byteLength)
    this.buf.set(b, this.at)
    this.at += b.byteLength
    return this
  }

  /** A length-delimited field's header; its body follows. */
  header(tag: number, len: number): this {
    this.buf[this.at++] = tag
    return this.varint(len)
  }

  /** The buffer, checked to be exactly full: a size that disagrees with the writes is a bug here. */
  finish(): Buffer {
    if (this.at !== this.buf.byteLength) throw new Error(`encoded ${this.at} bytes into a buffer sized ${this.buf.byteLength}`)
    return this.buf
  }
}
