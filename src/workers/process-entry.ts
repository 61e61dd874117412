/**
 * Entry of a `process` runtime worker, started by the controller under Node's
 * permission model. It talks only to its controller over the IPC channel
 * (`serialization: 'advanced'`, so Uint8Arrays cross as raw bytes), and exits
 * when that channel goes away: a worker never outlives its controller.
 */
import type { ControlMessage, WorkerMessage } from './protocol.ts'
import { runHost } from './worker-host.ts'

const module = process.argv[2]
if (process.send === undefined || module === undefined) {
  process.stderr.write('process-entry.ts must be forked by the controller with the capability module as its argument\n')
  process.exit(2)
}
process.on('disconnect', () => process.exit(0))

function post(msg: WorkerMessage): void {
  process.send?.(msg)
}

// A boot failure is reported over the channel; the controller then ends this process.
await runHost(module, { post, onMessage: (fn) => process.on('message', (m) => fn(m as ControlMessage)) }, { pid: process.pid, threadId: 0 })
