/**
 * The control socket's wire format: one JSON object per line, both ways, every message naming the
 * request it belongs to. A request is `{id, method, params}`; the node answers with exactly one
 * `result` or `error` for it, after any number of streamed messages (a submit's `job`, `event`,
 * `output` and `credit`; a streamed `jobs.*` answer's `item`s).
 *
 * Job bytes do not go through JSON: an `input` or `output` line says `"bytes": n` and the next n
 * bytes on the socket are the chunk itself, raw (n at most MAX_CHUNK_BYTES). Base64 in JSON cost
 * a third more bytes and most of the CPU of a file streamed through the socket. Input is sent only
 * against credit the node grants, and the node writes output only as fast as the client reads it,
 * so neither side holds more than a window of a job's bytes.
 */
import type { ErrorInfo } from '../errors.ts'

/** The socket's name in the data dir. */
export const CONTROL_SOCKET_FILE = 'control.sock'
/** A longer line is answered `frame_too_large` and the connection is closed (it cannot be resynchronised cheaply). */
export const MAX_LINE_BYTES = 1024 * 1024
/** Raw bytes carried by one `input` or `output` message. */
export const MAX_CHUNK_BYTES = 256 * 1024
/** Input bytes the node lets a client send ahead of what the job has read. */
export const INPUT_WINDOW_BYTES = 4 * 1024 * 1024
/**
 * An input of at most this many bytes, announced by its size, is gathered whole before the job
 * starts, so that a failed attempt can be retried elsewhere (a stream cannot be replayed). It fits
 * the credit window, so gathering it never waits on the job.
 */
export const REPLAYABLE_INPUT_BYTES = INPUT_WINDOW_BYTES
/** Requests one connection may have open at once. */
export const MAX_REQUESTS_PER_CONNECTION = 16
/** Connections the node serves at once; more are answered `buffer_full` and closed. */
export const MAX_CONNECTIONS = 64
/**
 * How long the CLI waits for the answer to a one-shot request (status, caps, peers, members,
 * explain) before it gives up: a node that is wedged or starved must not hang an operator's shell.
 */
export const CALL_TIMEOUT_MS = 30_000
/** Longest request id (a string id) accepted. */
export const MAX_ID_LENGTH = 128
/** Linux's sun_path holds 108 bytes with the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107

export type RequestId = number | string

/** The methods a node answers; `jobs.<name>` is forwarded to the node's job store (see jobs-forwarding.ts). */
export const CONTROL_METHODS = ['status', 'caps', 'peers', 'members', 'explain', 'submit'] as const
export type ControlMethod = (typeof CONTROL_METHODS)[number]

export interface ControlRequest {
  id: RequestId
  method: string
  params?: unknown
}

/** What a client sends for a request already open: submit input, its end, or a cancel. */
export type ClientStreamMessage =
  /** Followed on the socket by `bytes` raw bytes of input. */
  { id: RequestId; type: 'input'; bytes: number } | { id: RequestId; type: 'end' } | { id: RequestId; type: 'cancel' }

export type ClientMessage = ControlRequest | ClientStreamMessage

/** Job events as the socket carries them: `output` travels in its own message. */
export type ControlJobEvent =
  | { type: 'accepted'; peer: string; version: string }
  | { type: 'progress'; done: number; total?: number; message?: string }
  | { type: 'retry'; attempt: number; peer: string; error: ErrorInfo }

export type ServerMessage =
  | { id: RequestId; type: 'result'; value?: unknown }
  | { id: RequestId | null; type: 'error'; error: ErrorInfo }
  /** A submit's job id, sent as soon as the node has made the job, with the node's name and peer id. */
  | { id: RequestId; type: 'job'; jobId: string; node: string; name: string }
  | { id: RequestId; type: 'event'; event: ControlJobEvent }
  /** Followed on the socket by `bytes` raw bytes of output. */
  | { id: RequestId; type: 'output'; bytes: number }
  /** The client may send this many more input bytes. */
  | { id: RequestId; type: 'credit'; bytes: number }
  /** One element of a streamed `jobs.*` answer. */
  | { id: RequestId; type: 'item'; value: unknown }

/** What `submit` takes: the node's SubmitOptions that travel as JSON, and how the bytes flow. */
export interface ControlSubmitParams {
  capability: string
  version?: string
  params?: unknown
  route?: string
  gpu?: boolean
  tags?: string[]
  attempts?: number
  priority?: 'high' | 'normal' | 'low'
  deadlineMs?: number
  jobId?: string
  /** Written to the node's job store before it starts, and resumed if the node restarts. */
  durable?: boolean
  /** A second submit with the same key gets the first job (needs the node's job store). */
  idempotencyKey?: string
  /** Input follows as `input` messages and one `end`. */
  input?: boolean
  /** The input's size when known (a regular file): one of at most REPLAYABLE_INPUT_BYTES is gathered and can be retried. */
  inputSize?: number
  /** Send the job's output back; without it the node counts the bytes and drops them. */
  output?: boolean
  /** The job outlives this connection: the node keeps running it after the client leaves. */
  detach?: boolean
}

/** A submit's `result`: the job's report, with the output byte count instead of the bytes. */
export interface ControlSubmitResult {
  jobId: string
  state: 'succeeded' | 'failed' | 'cancelled' | 'expired'
  value?: unknown
  error?: ErrorInfo
  route?: { peer: string; reason: string }
  attempts: number
  durationMs: number
  outputBytes: number
  /** The peer id of the node that took the job from the socket. */
  node: string
}

export function isRequestId(v: unknown): v is RequestId {
  return (typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH)
}

/** One message as a line. */
export function encodeMessage(msg: ServerMessage | ClientMessage): string {
  return `${JSON.stringify(msg)}\n`
}

/** The line that announces a raw chunk of `bytes` bytes of input or output. */
export function dataHeader(id: RequestId, type: 'input' | 'output', bytes: number): string {
  return `{"id":${JSON.stringify(id)},"type":"${type}","bytes":${bytes}}\n`
}

/** Deepest nesting `toWire` / `fromWire` follow; JSON from a job store is never near it. */
const MAX_DEPTH = 64

/**
 * A `jobs.*` value made JSON-safe: each Uint8Array becomes `{"$base64": "..."}` (a job's output in
 * a store's answer), which `fromWire` turns back into bytes on the other side; a Date becomes its
 * epoch milliseconds.
 */
export function toWire(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new RangeError(`value nests deeper than ${MAX_DEPTH} levels`)
  if (value instanceof Uint8Array) return { $base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') }
  if (value instanceof Date) return value.getTime()
  if (Array.isArray(value)) return value.map((v) => toWire(v, depth + 1))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v, depth + 1)]))
  }
  return value
}

export function fromWire(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new RangeError(`value nests deeper than ${MAX_DEPTH} levels`)
  if (Array.isArray(value)) return value.map((v) => fromWire(v, depth + 1))
  if (typeof value === 'object' && value !== null) {
    const b64 = (value as { $base64?: unknown }).$base64
    if (typeof b64 === 'string' && Object.keys(value).length === 1) return new Uint8Array(Buffer.from(b64, 'base64'))
    // fromEntries defines own properties: a "__proto__" key stays a key.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromWire(v, depth + 1)]))
  }
  return value
}

/** What a FrameReader makes of the bytes: a message (with its raw chunk, for input and output), or a line that is not one. */
export type Frame = { msg: Record<string, unknown>; data?: Uint8Array } | { bad: string }

/**
 * Reads the socket's messages: JSON lines of at most `maxLineBytes`, and after an `input` or
 * `output` line, the raw chunk it announces. A line that is not a JSON object comes out as `bad`
 * (the next line is still read); an overlong line or a chunk header with an impossible size is
 * `fatal`, since the stream cannot be resynchronised after it.
 */
export class FrameReader {
  readonly #maxLineBytes: number
  #parts: Buffer[] = []
  #held = 0
  /** The header of the raw chunk being read, and how many of its bytes are still to come. */
  #raw: { msg: Record<string, unknown>; left: number } | undefined

  constructor(maxLineBytes = MAX_LINE_BYTES) {
    this.#maxLineBytes = maxLineBytes
  }

  push(chunk: Buffer): { frames: Frame[]; fatal?: string } {
    const frames: Frame[] = []
    let at = 0
    while (at < chunk.byteLength) {
      const raw = this.#raw
      if (raw !== undefined) {
        const take = Math.min(raw.left, chunk.byteLength - at)
        this.#parts.push(chunk.subarray(at, at + take))
        at += take
        raw.left -= take
        if (raw.left === 0) {
          const data = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts)
          this.#parts = []
          this.#raw = undefined
          frames.push({ msg: raw.msg, data })
        }
        continue
      }
      const nl = chunk.indexOf(10, at)
      const end = nl === -1 ? chunk.byteLength : nl
      if (this.#held + (end - at) > this.#maxLineBytes)
        return { frames, fatal: `a control message line is longer than ${this.#maxLineBytes} bytes` }
      if (nl === -1) {
        this.#parts.push(chunk.subarray(at))
        this.#held += chunk.byteLength - at
        break
      }
      const tail = chunk.subarray(at, nl)
      const line = (this.#parts.length === 0 ? tail : Buffer.concat([...this.#parts, tail])).toString('utf8')
      this.#parts = []
      this.#held = 0
      at = nl + 1
      if (line.length === 0) continue
      const frame = parseLine(line)
      if ('bad' in frame) {
        frames.push(frame)
        continue
      }
      const type = frame.msg.type
      if (type !== 'input' && type !== 'output') {
        frames.push(frame)
        continue
      }
      const bytes = frame.msg.bytes
      if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0 || bytes > MAX_CHUNK_BYTES)
        return { frames, fatal: `an ${type} message must announce 0 to ${MAX_CHUNK_BYTES} bytes` }
      if (bytes === 0) frames.push({ msg: frame.msg, data: new Uint8Array(0) })
      else this.#raw = { msg: frame.msg, left: bytes }
    }
    return { frames }
  }
}

function parseLine(line: string): Frame {
  let msg: unknown
  try {
    msg = JSON.parse(line)
  } catch {
    return { bad: 'a control message must be one JSON object per line' }
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return { bad: 'a control message must be a JSON object' }
  return { msg: msg as Record<string, unknown> }
}
