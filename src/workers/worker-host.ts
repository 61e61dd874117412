/**
 * The inside of a worker (thread or child process): imports the capability's
 * module, then runs each job through the same executor the inline runtime uses,
 * with its input, output and cancellation bridged over the channel.
 */
import pino, { type Logger } from 'pino'
import type { AnyCapability, JobContext } from '../capability.ts'
import { type ExecuteRequest, executeJob } from '../controller/executor.ts'
import { CrankError, ErrorCodes, toErrorInfo } from '../errors.ts'
import { sandboxError } from './errors.ts'
import { type ControlMessage, INPUT_WINDOW, OUTPUT_WINDOW, type WorkerMessage } from './protocol.ts'

export interface HostChannel {
  post(msg: WorkerMessage): void
  onMessage(fn: (msg: ControlMessage) => void): void
}

interface HostedJob {
  abort: AbortController
  input: InputQueue
  outstanding: number
  /** Wakes a `write()` waiting for output room. */
  room?: () => void
}

export async function runHost(moduleUrl: string, channel: HostChannel, ids: { pid: number; threadId: number }): Promise<boolean> {
  let cap: AnyCapability
  try {
    const mod = (await import(moduleUrl)) as { default?: AnyCapability }
    if (typeof mod.default?.handler !== 'function' || typeof mod.default.key !== 'string') {
      throw new CrankError(ErrorCodes.invalidConfig, `${moduleUrl} has no capability as its default export`)
    }
    cap = mod.default
  } catch (err) {
    channel.post({ t: 'boot-failed', error: toErrorInfo(sandboxError(err), ErrorCodes.invalidConfig) })
    return false
  }
  const base = pino(
    { base: { worker: ids.threadId !== 0 ? `thread-${ids.threadId}` : `pid-${ids.pid}` } },
    {
      write: (line: string) => channel.post({ t: 'log', line }),
    },
  )
  const jobs = new Map<string, HostedJob>()
  const hosted = withSandboxErrors(cap)

  channel.onMessage((msg) => {
    switch (msg.t) {
      case 'start': {
        const job: HostedJob = {
          abort: new AbortController(),
          input: new InputQueue((n) => channel.post({ t: 'credit', jobId: msg.jobId, n })),
          outstanding: 0,
        }
        jobs.set(msg.jobId, job)
        void startJob(msg, job, base.child({ jobId: msg.jobId }, { level: msg.logLevel }))
        break
      }
      case 'input':
        jobs.get(msg.jobId)?.input.push(msg.chunk)
        break
      case 'input-end':
        jobs.get(msg.jobId)?.input.end()
        break
      case 'input-error':
        jobs.get(msg.jobId)?.input.fail(new CrankError(msg.error.code, msg.error.message, { retryable: msg.error.retryable }))
        break
      case 'output-ack': {
        const job = jobs.get(msg.jobId)
        if (job === undefined) break
        job.outstanding -= msg.n
        job.room?.()
        break
      }
      case 'cancel': {
        const job = jobs.get(msg.jobId)
        if (job === undefined) break
        const reason = new CrankError(msg.reason.code, msg.reason.message, { retryable: msg.reason.retryable })
        job.abort.abort(reason)
        // A handler blocked on input or on output room wakes up to the cancel too.
        job.input.fail(reason)
        job.room?.()
        break
      }
      case 'ping': {
        const mem = process.memoryUsage()
        channel.post({ t: 'pong', seq: msg.seq, rss: mem.rss, heapUsed: mem.heapUsed })
        break
      }
    }
  })

  async function startJob(msg: Extract<ControlMessage, { t: 'start' }>, job: HostedJob, log: Logger): Promise<void> {
    const { jobId } = msg
    let release: Promise<unknown> = Promise.resolve()
    const cap: AnyCapability = {
      ...hosted,
      handler: (ctx: JobContext) => {
        const running = hosted.handler(ctx)
        release = Promise.resolve(running).catch(() => undefined)
        return running
      },
    }
    const req: ExecuteRequest = {
      jobId,
      capability: cap,
      params: msg.params,
      input: job.input,
      ...(msg.deadline === undefined ? {} : { deadline: msg.deadline }),
      ...(msg.caller === undefined ? {} : { caller: msg.caller }),
      signal: job.abort.signal,
      validateOutput: msg.validateOutput,
      log,
      sink: {
        progress: (update) => channel.post({ t: 'progress', jobId, update }),
        output: async (chunk) => {
          while (job.outstanding >= OUTPUT_WINDOW) {
            job.abort.signal.throwIfAborted()
            await new Promise<void>((resolve) => {
              job.room = resolve
            })
          }
          job.abort.signal.throwIfAborted()
          job.outstanding++
          channel.post({ t: 'output', jobId, chunk })
        },
      },
    }
    const outcome = await executeJob(req)
    channel.post({ t: 'done', jobId, outcome })
    // A handler that ignores its signal still holds the worker: say when it lets go.
    await release
    jobs.delete(jobId)
    channel.post({ t: 'released', jobId })
  }
  channel.post({ t: 'ready', key: cap.key, pid: ids.pid, threadId: ids.threadId })
  return true
}

function withSandboxErrors(cap: AnyCapability): AnyCapability {
  return {
    ...cap,
    handler: async (ctx: JobContext) => {
      try {
        return await cap.handler(ctx)
      } catch (err) {
        throw sandboxError(err)
      }
    },
  }
}

/** Input chunks received from the controller, consumed by the handler; each chunk taken returns one credit. */
class InputQueue implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = []
  private ended = false
  private error: unknown
  private wake: (() => void) | undefined
  private readonly credit: (n: number) => void

  constructor(credit: (n: number) => void) {
    this.credit = credit
  }

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk)
    this.notify()
  }

  end(): void {
    this.ended = true
    this.notify()
  }

  fail(err: unknown): void {
    this.error = err
    this.ended = true
    this.notify()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let taken = 0
    for (;;) {
      const chunk = this.chunks.shift()
      if (chunk !== undefined) {
        // Credits go back in batches: one message per half window, not per chunk.
        if (++taken >= INPUT_WINDOW / 2) {
          this.credit(taken)
          taken = 0
        }
        yield chunk
        continue
      }
      if (taken > 0) {
        this.credit(taken)
        taken = 0
      }
      if (this.error !== undefined) throw this.error
      if (this.ended) return
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
    }
  }
}
