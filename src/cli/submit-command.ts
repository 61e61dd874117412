/**
 * `crank-node submit`: one job, its input streamed from a file or stdin and its output streamed to
 * a file or stdout, never held whole in memory. Through the data dir's running node when its
 * control socket answers; otherwise in this process as a client of the mesh (only the built-in the
 * job names is loaded), which it says on stderr. `--detach` needs the node: it prints the job id
 * and returns once the input is sent, while the node runs the job on.
 */
import { open } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { type Command, Option } from 'commander'
import { connectToNode } from '../control/control-client.ts'
import { type ControlJobEvent, type ControlSubmitParams, REPLAYABLE_INPUT_BYTES } from '../control/control-protocol.ts'
import { CrankError, ErrorCodes, type ErrorInfo } from '../errors.ts'
import { collect, type MeshFlags, meshLayers, meshOptions, positiveInt } from './cli-options.ts'
import { JobOutput } from './job-output.ts'
import { checkOutputPath } from './output-path.ts'
import { dataDirFrom } from './paths.ts'
import { ProgressLine } from './progress-line.ts'

interface SubmitFlags extends MeshFlags {
  params: string
  input?: string
  route?: string
  peer?: string
  gpu?: boolean
  tag?: string[]
  priority?: 'high' | 'normal' | 'low'
  deadline?: number
  attempts?: number
  output?: string
  json?: boolean
  detach?: boolean
  durable?: boolean
  idempotencyKey?: string
  progress: boolean
}

/** How one job ended, whichever way it ran. */
interface Outcome {
  jobId: string
  state: string
  value?: unknown
  error?: ErrorInfo
  outputBytes: number
}

/** Input chunks read from disk at a time (the control socket carries at most this much per message). */
const READ_CHUNK_BYTES = 256 * 1024

export function registerSubmitCommand(cli: Command): void {
  meshOptions(
    cli
      .command('submit')
      .description("run one job and print its result; through the data dir's node when it runs, else in this process as a client")
      .argument('<capability>', 'capability id, optionally with a version range: example.echo or example.echo@^1')
      .option('--params <json>', 'params as a JSON object', '{}')
      .option('--input <file>', "input file, streamed (any size), or '-' for stdin")
      .option(
        '--route <route>',
        'prefer-local | any | local | <peer id or multiaddr>; default prefer-local ("local" is the node; with no node running, this process and the built-in named)',
      )
      .option('--peer <multiaddr>', 'pin the job to this peer (same as --route <multiaddr>)')
      .option('--gpu', 'only providers that advertise a GPU')
      .option('--tag <tag>', 'only providers whose capability has this tag, repeatable', collect)
      .addOption(new Option('--priority <p>', 'queue priority on the provider').choices(['high', 'normal', 'low']))
      .option('--deadline <ms>', 'deadline in milliseconds', (v) => positiveInt(v, '--deadline'))
      .option('--attempts <n>', 'attempts on distinct providers for retryable failures', (v) => positiveInt(v, '--attempts'))
      .option('--output <file>', "stream the job's output bytes here, any size ('-' for stdout); the file appears only if the job succeeds")
      .option('--detach', 'needs a running node: print the job id and return once the input is sent; the node runs the job on')
      .option('--durable', 'needs a running node with a job store: written to disk before it starts, resumed if the node restarts')
      .option('--idempotency-key <key>', 'a second submit with this key gets the first job (needs a running node with a job store)')
      .option('--no-progress', 'no progress line on a terminal')
      .option('--json', 'print the whole job report as one JSON object'),
  ).action(async (capability: string, o: SubmitFlags) => {
    const params = parseParams(o.params)
    // Before the job runs: a job whose output cannot be kept should not run at all.
    if (o.output !== undefined && o.output !== '-') checkOutputPath(o.output)
    if (o.detach === true && o.output !== undefined)
      throw new CrankError(
        ErrorCodes.invalidOption,
        '--detach returns before the job ends: its output cannot be written here (drop --output)',
      )
    const input = o.input === undefined ? undefined : await openInput(o.input)
    const dataDir = dataDirFrom(o.dataDir)
    const request: ControlSubmitParams = {
      capability,
      params,
      route: o.peer ?? o.route ?? 'prefer-local',
      ...(o.deadline === undefined ? {} : { deadlineMs: o.deadline }),
      ...(o.attempts === undefined ? {} : { attempts: o.attempts }),
      ...(o.gpu === true ? { gpu: true } : {}),
      ...(o.tag === undefined ? {} : { tags: o.tag }),
      ...(o.priority === undefined ? {} : { priority: o.priority }),
      ...(o.durable === true ? { durable: true } : {}),
      ...(o.idempotencyKey === undefined ? {} : { idempotencyKey: o.idempotencyKey }),
    }
    const client = await connectToNode(dataDir)
    if (client === undefined && (o.durable === true || o.idempotencyKey !== undefined))
      throw new CrankError(
        ErrorCodes.notStarted,
        `${o.durable === true ? '--durable' : '--idempotency-key'} needs a running node, whose job store keeps the job: no node running in ${dataDir} (start it with crank-node start)`,
      )
    if (client === undefined && o.detach === true)
      throw new CrankError(
        ErrorCodes.notStarted,
        `--detach needs a running node: no node running in ${dataDir} (start it with crank-node start)`,
      )
    const progress =
      o.progress && process.stderr.isTTY === true && o.output !== '-'
        ? new ProgressLine(process.stderr, { inputTotal: input?.size })
        : undefined
    const output = new JobOutput(o.detach === true ? undefined : o.output)
    const events = {
      accepted: (jobId: string, by: string, version: string) => {
        progress?.clear()
        console.error(`crank-node: job ${jobId} accepted by ${by} (${capability} ${version})`)
      },
      event: (jobId: string, e: ControlJobEvent, self: string) => {
        if (e.type === 'accepted') events.accepted(jobId, e.peer === 'local' ? self : e.peer, e.version)
        else if (e.type === 'retry') {
          progress?.clear()
          console.error(`crank-node: ${e.peer} failed (${e.error.code}); retrying elsewhere`)
        } else progress?.progress(e)
      },
      output: (data: Uint8Array) => {
        progress?.output(data.byteLength)
        return output.write(data)
      },
    }
    let outcome: Outcome
    try {
      if (client !== undefined) {
        try {
          const detach =
            o.detach === true
              ? (jobId: string) => console.log(o.json === true ? JSON.stringify({ jobId, detached: true }) : jobId)
              : undefined
          const ran = await throughNode(client, request, input?.stream, input?.size, detach, events, progress)
          if (ran === undefined) return
          outcome = ran
        } finally {
          client.close()
        }
      } else {
        console.error(`crank-node: no node running in ${dataDir}: running in-process as a client`)
        outcome = await inProcess(o, dataDir, request, input === undefined ? undefined : await replayable(input), events)
      }
    } catch (err) {
      progress?.clear()
      await output.discard()
      throw err
    }
    progress?.clear()
    await report(o, outcome, output)
  })
}

interface EventPrinter {
  event(jobId: string, e: ControlJobEvent, self: string): void
  output(data: Uint8Array): Promise<void>
}

/** Through the node's control socket; undefined when detached (the job id has been printed). */
async function throughNode(
  client: import('../control/control-client.ts').ControlClient,
  request: ControlSubmitParams,
  input: AsyncIterable<Uint8Array> | undefined,
  /** Known for a regular file: the node gathers a small input whole, so that the job can be retried elsewhere. */
  inputSize: number | undefined,
  /** Detached: prints the job id. */
  detach: ((jobId: string) => void) | undefined,
  events: EventPrinter,
  progress: ProgressLine | undefined,
): Promise<Outcome | undefined> {
  let jobId = ''
  let self = 'the node'
  let jobMade = (): void => {}
  const made = new Promise<void>((resolve) => {
    jobMade = resolve
  })
  const call = client.submit(
    {
      ...request,
      ...(inputSize === undefined ? {} : { inputSize }),
      output: detach === undefined,
      ...(detach === undefined ? {} : { detach: true }),
    },
    {
      ...(input === undefined ? {} : { input }),
      onJob: (id, node) => {
        jobId = id
        self = `this data dir's node ${node.name} (…${node.peerId.slice(-10)})`
        jobMade()
      },
      onEvent: (e) => events.event(jobId, e, self),
      onOutput: (data) => events.output(data),
      onInputSent: (bytes) => progress?.inputSent(bytes),
    },
  )
  if (detach !== undefined) {
    // The id as soon as the node has it; the input must still reach the node before we may leave.
    await Promise.race([made, call.result])
    detach(jobId)
    await Promise.race([call.inputSent, call.result])
    return undefined
  }
  // Ctrl-C cancels the job on the node (and wherever it runs) instead of killing us mid-stream.
  process.once('SIGINT', () => call.cancel())
  process.once('SIGTERM', () => call.cancel())
  return call.result
}

/** No node runs from the data dir: this process joins the mesh as a client and submits from here. */
async function inProcess(
  o: SubmitFlags,
  dataDir: string,
  request: ControlSubmitParams,
  input: AsyncIterable<Uint8Array> | Uint8Array | undefined,
  events: EventPrinter,
): Promise<Outcome> {
  const { withMeshClient } = await import('./mesh-client.ts')
  const layers = await meshLayers(o)
  const route = request.route ?? 'prefer-local'
  const pinned = !['local', 'prefer-local', 'any'].includes(route)
  const meshKnown = (layers.bootstrap?.length ?? 0) + (o.bootstrap?.length ?? 0) > 0
  const client = {
    dataDir,
    pinned,
    layers: pinned ? { ...(layers.trust === undefined ? {} : { trust: layers.trust }) } : layers,
    // Pinned: the configured mesh is not joined, but --bootstrap peers given on the command line
    // are dialled so that the client learns the mesh's current CRL before it trusts the pinned peer.
    bootstrap: o.bootstrap ?? [],
    waitMs: o.wait,
    ...(route === 'local' || (!pinned && !meshKnown) ? { builtin: request.capability } : {}),
  }
  return withMeshClient(client, async (node) => {
    const { input: _flag, ...options } = request
    const handle = node.submit({ ...options, ...(input === undefined ? {} : { input }), output: 'stream' })
    process.once('SIGINT', () => handle.cancel('cancelled from the command line'))
    process.once('SIGTERM', () => handle.cancel('cancelled from the command line'))
    let outputBytes = 0
    let writeError: unknown
    for await (const e of handle) {
      if (e.type !== 'output') events.event(handle.id, e, 'this process')
      else if (writeError === undefined) {
        outputBytes += e.data.byteLength
        await events.output(e.data).catch((err: unknown) => {
          writeError = err
          handle.cancel('the output could not be written')
        })
      }
    }
    if (writeError !== undefined) throw writeError
    const { output: _none, ...r } = await handle.outcome
    return { ...r, outputBytes }
  })
}

async function report(o: SubmitFlags, r: Outcome, output: JobOutput): Promise<void> {
  if (r.state === 'succeeded') await output.commit()
  else await output.discard()
  if (o.json === true) console.log(JSON.stringify(r))
  else if (r.state === 'succeeded') {
    if (o.output === undefined && r.outputBytes > 0) console.error(`(${r.outputBytes} output bytes; use --output FILE to keep them)`)
    if (o.output !== '-') console.log(JSON.stringify(r.value, null, 2))
  } else {
    console.error(`crank-node: job ${r.state}: ${r.error?.code}: ${r.error?.message}`)
    if (o.output !== undefined && o.output !== '-' && r.outputBytes > 0)
      console.error(`(${r.outputBytes} output bytes of the failed job discarded; ${o.output} not written)`)
  }
  process.exitCode = r.state === 'succeeded' ? 0 : 1
}

function parseParams(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new CrankError(ErrorCodes.invalidParams, `--params is not JSON: ${(err as Error).message}`)
  }
}

/**
 * A small file whole (bytes can be sent again to another provider after a failed attempt; a stream
 * cannot), a larger one or stdin as the stream it is.
 */
async function replayable(input: { stream: AsyncIterable<Uint8Array>; size?: number }): Promise<AsyncIterable<Uint8Array> | Uint8Array> {
  if (input.size === undefined || input.size > REPLAYABLE_INPUT_BYTES) return input.stream
  const chunks: Uint8Array[] = []
  for await (const chunk of input.stream) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** The input as a stream of chunks (never read whole), and its size when it is a regular file. */
async function openInput(file: string): Promise<{ stream: AsyncIterable<Uint8Array>; size?: number }> {
  if (file === '-') return { stream: process.stdin }
  const fail = (err: NodeJS.ErrnoException): CrankError =>
    new CrankError(ErrorCodes.invalidParams, `cannot read --input ${file}: ${err.code ?? err.message}`)
  const fh = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw fail(err)
  })
  const stat = await fh.stat()
  if (stat.isDirectory()) {
    await fh.close()
    throw fail(Object.assign(new Error('is a directory'), { code: 'EISDIR' }))
  }
  const stream: Readable = fh.createReadStream({ highWaterMark: READ_CHUNK_BYTES })
  return { stream, ...(stat.isFile() ? { size: stat.size } : {}) }
}
