/**
 * A protobufjs reader whose strict UTF-8 strings are decoded by Node. The
 * generated code reads every string field with `stringVerify()`, which in
 * protobufjs 8 is a JavaScript decoder that allocates per character run; every
 * job frame carries a few strings (job id, capability, range), so this showed
 * up in the job path's allocation profile. Invalid UTF-8 is still refused.
 */
import protobuf from 'protobufjs/minimal.js'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

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
    return length === 0 ? '' : strictUtf8.decode(this.buf.subarray(start, end))
  }
}
