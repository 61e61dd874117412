/**
 * A simulated node in its own OS process on loopback TCP: the parent side. The
 * child (child-node-main.ts) runs a real node; this adapter mirrors what it
 * knows from the events it sends, and forwards jobs to it.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { JobReport } from '../src/jobs/job-handle.ts'
import type { SimJob, SimNode, SimNodeSettings } from './sim-node.ts'

const MAIN = fileURLToPath(new URL('./child-node-main.ts', import.meta.url))

export type ParentMessage =
  | { type: 'init'; settings: Omit<SimNodeSettings, 'privateKey'> & { privateKey: Uint8Array } }
  | { type: 'submit'; id: number; job: SimJob }
  | { type: 'stop' }

export type ChildMessage =
  | { type: 'ready'; peerId: string; addr: string; startedAt: number }
  | { type: 'failed'; message: string }
  | { type: 'added'; peer: string; at: number }
  | { type: 'removed'; peer: string }
  | { type: 'report'; id: number; report: JobReport }

export async function childSimNode(s: SimNodeSettings): Promise<SimNode> {
  // Structured clone ('advanced') carries the Uint8Arrays of keys and job output as they are.
  const proc = fork(MAIN, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const learned = new Map<string, number>()
  const waiting = new Map<number, (r: JobReport) => void>()
  let nextId = 0
  let exited = false
  const exit = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  // A job handed to a process that died is reported, never left hanging.
  const exitedReport = (id: number): JobReport => ({
    jobId: `sim-${id}`,
    state: 'failed',
    error: { code: 'sim_process_exited', message: 'the node process exited', retryable: false },
    attempts: 0,
    durationMs: 0,
  })
  void exit.then(() => {
    exited = true
    for (const [id, done] of waiting) done(exitedReport(id))
    waiting.clear()
  })
  const ready = new Promise<{ peerId: string; addr: string; startedAt: number }>((resolve, reject) => {
    proc.on('message', (msg: ChildMessage) => {
      switch (msg.type) {
        case 'ready':
          resolve(msg)
          break
        case 'failed':
          reject(new Error(`sim node ${s.name} failed to start: ${msg.message}`))
          break
        case 'added':
          learned.set(msg.peer, msg.at)
          break
        case 'removed':
          learned.delete(msg.peer)
          break
        case 'report':
          waiting.get(msg.id)?.(msg.report)
          waiting.delete(msg.id)
          break
      }
    })
    void exit.then(() => reject(new Error(`sim node ${s.name} exited before it was ready`)))
  })
  send(proc, { type: 'init', settings: { ...s, privateKey: privateKeyToProtobuf(s.privateKey) } })
  const { peerId, addr, startedAt } = await ready
  return {
    startedAt,
    peerId,
    addr,
    provider: s.provider,
    learnedAt: (peer) => learned.get(peer),
    submit: (job) =>
      new Promise<JobReport>((resolve) => {
        const id = nextId++
        if (exited) return resolve(exitedReport(id))
        waiting.set(id, resolve)
        send(proc, { type: 'submit', id, job })
      }),
    kill: async () => {
      proc.kill('SIGKILL')
      await exit
    },
    stop: async () => {
      if (exited) return
      send(proc, { type: 'stop' })
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000)
      await exit
      clearTimeout(timer)
    },
  }
}

function send(proc: ChildProcess, msg: ParentMessage): void {
  if (proc.connected) proc.send(msg)
}
