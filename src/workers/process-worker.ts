/**
 * Starts a `process` runtime worker: a Node child process under the permission
 * model (see sandbox.ts), with a V8 heap cap, an environment stripped of the
 * controller's secrets, and its resident memory sampled from /proc.
 */
import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { AnyCapability } from '../capability.ts'
import { siblingModule } from '../sibling-module.ts'
import type { WorkerExit, WorkerHandle } from './handle.ts'
import type { ControlMessage, WorkerMessage } from './protocol.ts'
import { type SandboxOptions, sandboxFor } from './sandbox.ts'

const entry = siblingModule(import.meta.url, './process-entry')
const STDERR_TAIL = 4096
const PAGE_SIZE = 4096

export interface ProcessWorkerOptions extends SandboxOptions {
  /** Environment of the worker; the controller's own is never passed on. */
  env?: Record<string, string>
  /** Receives the worker's stdout/stderr output, a chunk at a time. */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void
}

export function startProcess(cap: AnyCapability, opts: ProcessWorkerOptions = {}): WorkerHandle {
  const { execArgv } = sandboxFor(cap, opts)
  const memoryMb = cap.resources?.memoryMb
  if (memoryMb !== undefined) execArgv.push(`--max-old-space-size=${memoryMb}`)
  const child = fork(entry, [cap.module ?? ''], {
    execPath: process.execPath,
    execArgv,
    env: opts.env ?? {},
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let stderrTail = ''
  const forward = (stream: 'stdout' | 'stderr') => (data: Buffer) => {
    const text = data.toString('utf8')
    if (stream === 'stderr') stderrTail = (stderrTail + text).slice(-STDERR_TAIL)
    if (opts.onOutput !== undefined && text.trim() !== '') opts.onOutput(text.trimEnd(), stream)
  }
  child.stdout?.on('data', forward('stdout'))
  child.stderr?.on('data', forward('stderr'))
  // A dead child's channel raises EPIPE on send; the exit handler reports it.
  child.on('error', () => {})
  const pid = child.pid ?? -1
  return {
    pid,
    send(msg: ControlMessage) {
      if (child.connected) child.send(msg)
    },
    onMessage(fn: (msg: WorkerMessage) => void) {
      child.on('message', (m) => fn(m as WorkerMessage))
    },
    onExit(fn: (exit: WorkerExit) => void) {
      // 'close' waits for stdio to drain, so the stderr tail is complete.
      child.once('close', (code, signal) => {
        const outOfMemory = /heap out of memory|Reached heap limit/.test(stderrTail)
        fn({ code, signal, outOfMemory, detail: stderrTail.trim().split('\n').slice(-3).join(' | ') })
      })
    },
    kill() {
      child.kill('SIGKILL')
    },
    rssBytes() {
      try {
        // statm's second field is resident pages.
        const resident = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1])
        return Number.isFinite(resident) ? resident * PAGE_SIZE : undefined
      } catch {
        return undefined
      }
    },
  }
}
