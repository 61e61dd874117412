/** Starts a `thread` runtime worker: a worker_threads isolate capped by V8 resource limits. */
import { Worker } from 'node:worker_threads'
import type { AnyCapability } from '../capability.ts'
import { siblingModule } from '../sibling-module.ts'
import type { WorkerExit, WorkerHandle } from './handle.ts'
import { type ControlMessage, transferable, type WorkerMessage } from './protocol.ts'

const entry = siblingModule(import.meta.url, './thread-entry')

export function startThread(cap: AnyCapability): WorkerHandle {
  const memoryMb = cap.resources?.memoryMb
  const worker = new Worker(entry, {
    workerData: { module: cap.module },
    ...(memoryMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: memoryMb } }),
    stdout: false,
    stderr: false,
  })
  let lastError: Error | undefined
  worker.on('error', (err) => {
    lastError = err
  })
  return {
    pid: process.pid,
    send(msg: ControlMessage) {
      if (msg.t !== 'input') {
        worker.postMessage(msg)
        return
      }
      // Job input belongs to the caller, who may submit the same buffer again: copy, never detach it.
      const { chunk, transfer } = transferable(msg.chunk, false)
      worker.postMessage({ ...msg, chunk }, transfer)
    },
    onMessage(fn: (msg: WorkerMessage) => void) {
      worker.on('message', fn)
    },
    onExit(fn: (exit: WorkerExit) => void) {
      worker.once('exit', (code) => {
        const outOfMemory = (lastError as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY'
        fn({ code, signal: null, outOfMemory, detail: lastError?.message ?? '' })
      })
    },
    kill() {
      void worker.terminate()
    },
    // Threads share the controller's heap space accounting; their cap is V8's resourceLimits.
    rssBytes: () => undefined,
  }
}
