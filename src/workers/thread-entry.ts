/** Entry of a `thread` runtime worker: the host, spoken to over the parent port. */
import { parentPort, threadId, workerData } from 'node:worker_threads'
import { transferable, type WorkerMessage } from './protocol.ts'
import { runHost } from './worker-host.ts'

const port = parentPort
if (port === null) throw new Error('thread-entry.ts must run in a worker thread')
const { module } = workerData as { module: string }

function post(msg: WorkerMessage): void {
  if (msg.t !== 'output') {
    port?.postMessage(msg)
    return
  }
  const { chunk, transfer } = transferable(msg.chunk)
  port?.postMessage({ ...msg, chunk }, transfer)
}

await runHost(module, { post, onMessage: (fn) => port.on('message', fn) }, { pid: process.pid, threadId })
