/**
 * A protobufjs reader whose strict UTF-8 strings are decoded by Node. The
 * generated code reads every string field with `stringVerify()`, which in
 * protobufjs 8 is a JavaScript decoder that allocates per character run; every
 * job frame carries a few strings (job id, capability, range), so this showed
 * up in the job path's allocation profile. Invalid UTF-8 is still refused.
 */
import protobuf from 'protobufjs/minimal.js'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })
/** Strings up to this long are scanned for an all-ASCII fast path; longer ones go to the decoder at once. */
const ASCII_SCAN_BYTES = 256

export class NativeUtf8Reader extends protobuf.BufferReader {
  constructor(bytes: Uint8Array) {
    super(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  }

  override stringVerify(): string {
    const length = this.uint32()
    const start = this.pos
    const end = start + length
    if (end > this.len) throw new RangeError(`index out of range: ${start} + ${length} > ${this.len}`)
    this.pos = end
    if (length === 0) return ''
    // Job ids, capability names, versions and codes are ASCII: read them without a view per string.
    const buf = this.buf as Buffer
    if (length <= ASCII_SCAN_BYTES) {
      let i = start
      while (i < end && (buf[i] as number) < 0x80) i++
      if (i === end) return buf.toString('latin1', start, end)
    }
    return strictUtf8.decode(buf.subarray(start, end))
  }
}
