/**
 * Typed encode/decode for the job protocol frames generated from
 * protocols/job.proto. Decoding failures become `malformed_frame` errors.
 */
import { CrankError, ErrorCodes } from '../errors.ts'
import { crank } from '../net/pb/job.js'
import { NativeUtf8Reader } from '../net/pb-reader.ts'
import { delimitedSize, FlatWriter, varintSize } from '../net/pb-writer.ts'
import { decodeBoundedJson, encodeBoundedJson } from './json-bounds.ts'

export const JOB_PROTOCOL = '/crank/job/1.0.0'

/**
 * Several small jobs in flight on one stream, demultiplexed by job id (see protocols/README.md):
 * the same frames as JOB_PROTOCOL, for jobs without input whose output the caller collects.
 */
export const JOB_LANE_PROTOCOL = '/crank/job-lane/1.0.0'

/**
 * The Submit meta entry that carries a durable job's replay key (its job id): a provider that
 * already ran that job for this caller answers from its store instead of running it again.
 */
export const REPLAY_KEY_META = 'idempotency-key'

/** Longest replay key a provider accepts; a longer one is ignored (the job runs as a plain one). */
export const MAX_REPLAY_KEY_LENGTH = 256

const pb = crank.job.v1
export type ClientFrame = crank.job.v1.ClientFrame
export type ServerFrame = crank.job.v1.ServerFrame
export type SubmitFrame = crank.job.v1.Submit

export type ClientFrameInit = ConstructorParameters<typeof pb.ClientFrame>[0]
export type ServerFrameInit = ConstructorParameters<typeof pb.ServerFrame>[0]

// The generated static encoders read plain objects as they are: no message instance is made per frame.
export function encodeClientFrame(frame: ClientFrameInit): Uint8Array {
  const submit = frame?.submit
  if (submit != null && submit.meta == null && submit.$unknowns == null) return encodeSubmit(submit)
  return pb.ClientFrame.encode(frame as crank.job.v1.IClientFrame).finish()
}

export function encodeServerFrame(frame: ServerFrameInit): Uint8Array {
  const result = frame?.result
  if (result != null && result.$unknowns == null) return encodeResult(result)
  return pb.ServerFrame.encode(frame as crank.job.v1.IServerFrame).finish()
}

// The two frames of every remote job, written in one pass (see pb-writer.ts). Like the generated
// encoder, fields holding their default value are left out.

/** UTF-8 length of a string field, 0 when absent or empty (then it is not written). */
function strLen(s: string | null | undefined): number {
  return s == null || s === '' ? 0 : Buffer.byteLength(s)
}

function strSize(len: number): number {
  return len === 0 ? 0 : delimitedSize(len)
}

function bytesSize(b: Uint8Array | null | undefined): number {
  return b == null || b.byteLength === 0 ? 0 : delimitedSize(b.byteLength)
}

function encodeSubmit(m: crank.job.v1.Submit.$Properties): Uint8Array {
  const jobId = strLen(m.jobId)
  const capability = strLen(m.capability)
  const range = strLen(m.versionRange)
  const priority = strLen(m.priority)
  const deadline = m.deadlineMs == null || m.deadlineMs === 0 ? 0 : 1 + varintSize(m.deadlineMs >>> 0)
  const hasInput = m.hasInput === true ? 2 : 0
  const body = strSize(jobId) + strSize(capability) + strSize(range) + bytesSize(m.paramsJson) + deadline + hasInput + strSize(priority)
  const w = new FlatWriter(delimitedSize(body)).header(0x0a, body)
  if (jobId > 0) w.string(0x0a, m.jobId as string, jobId)
  if (capability > 0) w.string(0x12, m.capability as string, capability)
  if (range > 0) w.string(0x1a, m.versionRange as string, range)
  if (m.paramsJson != null && m.paramsJson.byteLength > 0) w.bytes(0x22, m.paramsJson)
  if (deadline > 0) w.varint(0x28).varint(m.deadlineMs as number)
  if (hasInput > 0) w.varint(0x30).varint(1)
  if (priority > 0) w.string(0x42, m.priority as string, priority)
  return w.finish()
}

function encodeResult(m: crank.job.v1.Result.$Properties): Uint8Array {
  const jobId = strLen(m.jobId)
  const version = strLen(m.capabilityVersion)
  const body = strSize(jobId) + bytesSize(m.resultJson) + strSize(version)
  const w = new FlatWriter(delimitedSize(body)).header(0x2a, body)
  if (jobId > 0) w.string(0x0a, m.jobId as string, jobId)
  if (m.resultJson != null && m.resultJson.byteLength > 0) w.bytes(0x12, m.resultJson)
  if (version > 0) w.string(0x1a, m.capabilityVersion as string, version)
  return w.finish()
}

/**
 * A decoded frame and which message it carries. The generated `frame` property is a getter that
 * scans the object's keys on every read: it is read once here, and callers switch on `kind`.
 */
export interface Decoded<F, K> {
  kind: K
  frame: F
}

export function decodeClientFrame(bytes: Uint8Array): Decoded<ClientFrame, NonNullable<ClientFrame['frame']>> {
  const frame = decode(() => pb.ClientFrame.decode(new NativeUtf8Reader(bytes)))
  const kind = frame.frame
  if (kind === undefined || kind === null) throw new CrankError(ErrorCodes.malformedFrame, 'client frame carries no message')
  return { kind, frame }
}

export function decodeServerFrame(bytes: Uint8Array): Decoded<ServerFrame, NonNullable<ServerFrame['frame']>> {
  const frame = decode(() => pb.ServerFrame.decode(new NativeUtf8Reader(bytes)))
  const kind = frame.frame
  if (kind === undefined || kind === null) throw new CrankError(ErrorCodes.malformedFrame, 'server frame carries no message')
  return { kind, frame }
}

function decode<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw new CrankError(ErrorCodes.malformedFrame, `frame does not decode: ${(err as Error).message}`)
  }
}

/** JSON bytes of a value, bounded in depth and size (see json-bounds.ts); refusals carry `code`. */
export function encodeJson(value: unknown, what: string, code: string): Uint8Array {
  return encodeBoundedJson(value, what, code)
}

/** Parses JSON bytes after bounding their depth and size; refusals carry `code`. */
export function decodeJson(bytes: Uint8Array, what: string, code: string = ErrorCodes.malformedFrame): unknown {
  return decodeBoundedJson(bytes, what, code)
}
