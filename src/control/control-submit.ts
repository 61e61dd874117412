/**
 * `submit` on the control socket: one job on the node, its input read from the client against
 * credit, its events and output written back as fast as the client reads them. A job that is not
 * detached is cancelled when its client leaves; a detached one runs on, its output counted and
 * dropped (a job store, when the node has one, is what keeps results for later).
 */
import { CrankError, ErrorCodes } from '../errors.ts'
import type { JobHandle } from '../jobs/job-handle.ts'
import type { UncheckedSubmitOptions } from '../jobs/submit-options.ts'
import type { CrankNode, SubmitOptions } from '../node.ts'
import {
  type ControlSubmitParams,
  type ControlSubmitResult,
  MAX_CHUNK_BYTES,
  REPLAYABLE_INPUT_BYTES,
  type RequestId,
  type ServerMessage,
} from './control-protocol.ts'
import { CreditedInput } from './credited-input.ts'
import type { SocketJob } from './node-views.ts'

/** What a submit needs from its connection. */
export interface SubmitChannel {
  readonly id: RequestId
  send(msg: ServerMessage): void
  /** Writes one output chunk and resolves when the socket can take more. */
  sendOutput(data: Uint8Array): Promise<void>
  isConnected(): boolean
}

/** The open request, as its connection sees it: input to feed, a cancel, and whether it outlives the client. */
export interface OpenSubmit {
  input: CreditedInput | undefined
  handle: JobHandle | undefined
  detached: boolean
  /** The client cancelled before the job existed (while its input was being gathered). */
  cancelled: boolean
}

const BOOLEAN_FLAGS = ['input', 'output', 'detach'] as const

function checkParams(params: unknown): ControlSubmitParams {
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    throw new CrankError(ErrorCodes.invalidOption, 'submit params must be an object with at least a capability')
  for (const flag of BOOLEAN_FLAGS) {
    const v = (params as Record<string, unknown>)[flag]
    if (v !== undefined && typeof v !== 'boolean') throw new CrankError(ErrorCodes.invalidOption, `submit ${flag} must be a boolean`)
  }
  const size = (params as Record<string, unknown>).inputSize
  if (size !== undefined && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0))
    throw new CrankError(ErrorCodes.invalidOption, 'submit inputSize must be a whole number of bytes')
  return params as ControlSubmitParams
}

export async function runSubmit(
  node: CrankNode,
  channel: SubmitChannel,
  params: unknown,
  open: OpenSubmit,
  jobs: Set<SocketJob>,
  log: { info(obj: object, msg: string): void },
): Promise<ControlSubmitResult> {
  const p = checkParams(params)
  const input =
    p.input === true
      ? new CreditedInput((bytes) => channel.isConnected() && channel.send({ id: channel.id, type: 'credit', bytes }))
      : undefined
  open.input = input
  open.detached = p.detach === true
  const small = input !== undefined && p.inputSize !== undefined && p.inputSize <= REPLAYABLE_INPUT_BYTES
  const source = small ? await gather(input, p.inputSize ?? 0) : input
  // The node's own option check is the authority: everything but the byte plumbing goes to it as sent.
  const {
    input: _input,
    inputSize: _size,
    output: wantOutput,
    detach: _detach,
    ...options
  } = p as ControlSubmitParams & UncheckedSubmitOptions
  const handle = node.submit({ ...(options as SubmitOptions), ...(source === undefined ? {} : { input: source }), output: 'stream' })
  open.handle = handle
  if (open.cancelled) handle.cancel('cancelled by the control client')
  const job: SocketJob = {
    jobId: handle.id,
    capability: typeof p.capability === 'string' ? p.capability : '',
    startedAt: Date.now(),
    detached: open.detached,
    inputBytes: source instanceof Uint8Array ? source.byteLength : 0,
    outputBytes: 0,
  }
  if (input !== undefined) input.onChunk = (bytes) => (job.inputBytes += bytes)
  jobs.add(job)
  channel.send({ id: channel.id, type: 'job', jobId: handle.id, node: node.peerId.toString(), name: node.config.name })
  try {
    for await (const e of handle) {
      if (e.type === 'output') {
        job.outputBytes += e.data.byteLength
        if (wantOutput === true && channel.isConnected()) {
          for (let at = 0; at < e.data.byteLength && channel.isConnected(); at += MAX_CHUNK_BYTES)
            await channel.sendOutput(e.data.subarray(at, at + MAX_CHUNK_BYTES))
        }
      } else if (channel.isConnected()) channel.send({ id: channel.id, type: 'event', event: e })
    }
    const { output: _bytes, ...report } = await handle.outcome
    if (open.detached) log.info({ job: handle.id, capability: job.capability, state: report.state }, 'detached job ended')
    return { ...report, outputBytes: job.outputBytes, node: node.peerId.toString() }
  } finally {
    jobs.delete(job)
  }
}

/** A small input, whole: the job gets bytes it can replay on another provider. */
async function gather(input: CreditedInput, size: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of input) {
    total += chunk.byteLength
    if (total > size) throw new CrankError(ErrorCodes.invalidOption, `input is longer than the ${size} bytes its inputSize announced`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}
