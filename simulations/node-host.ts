/**
 * Simulated nodes in other OS processes on loopback TCP: the parent side. A host process
 * (node-host-main.ts) runs one or more real nodes; the SimNodes here mirror what each knows
 * from the events the host sends, and forward jobs to it. With one node per host a kill is a
 * SIGKILL of the whole process.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { JobReport } from '../src/jobs/job-handle.ts'
import type { NodeSample, ProcessSample } from './meter.ts'
import type { LoadOutcome, LoadPlan } from './sim-load.ts'
import type { SimJob, SimNode, SimNodeSettings } from './sim-node.ts'

const MAIN = fileURLToPath(new URL('./node-host-main.ts', import.meta.url))

export type HostRequest =
  | { type: 'start'; node: number; settings: Omit<SimNodeSettings, 'privateKey'> & { privateKey: Uint8Array } }
  | { type: 'submit'; node: number; id: number; job: SimJob }
  | { type: 'kill'; node: number }
  | { type: 'sample'; id: number }
  | { type: 'load'; id: number; plan: LoadPlan }
  | { type: 'exit' }

export type HostEvent =
  | { type: 'ready'; node: number; peerId: string; addr: string; startedAt: number }
  | { type: 'failed'; node: number; message: string }
  | { type: 'added'; node: number; peer: string; at: number }
  | { type: 'removed'; node: number; peer: string }
  | { type: 'report'; id: number; report: JobReport }
  | { type: 'sample'; id: number; sample: HostSample }
  | { type: 'loaded'; id: number; outcome: LoadOutcome }

/** A host process and its live nodes at one instant. */
export interface HostSample {
  process: ProcessSample
  nodes: NodeSample[]
}

export class NodeHost {
  readonly #proc: ChildProcess
  readonly #exit: Promise<void>
  #exited = false
  readonly #learned = new Map<number, Map<string, number>>()
  readonly #starting = new Map<
    number,
    { resolve: (v: { peerId: string; addr: string; startedAt: number }) => void; reject: (e: Error) => void }
  >()
  readonly #waiting = new Map<number, (r: JobReport) => void>()
  /** Samples and load runs asked for, by request id; an exited host answers undefined. */
  readonly #asked = new Map<number, (v: HostSample | LoadOutcome | undefined) => void>()
  #nextAsk = 0
  #nextNode = 0
  #nextJob = 0
  #nodes = 0

  constructor() {
    // Structured clone ('advanced') carries the Uint8Arrays of keys and job output as they are.
    this.#proc = fork(MAIN, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    this.#exit = new Promise<void>((resolve) => this.#proc.once('exit', () => resolve()))
    void this.#exit.then(() => {
      this.#exited = true
      for (const s of this.#starting.values()) s.reject(new Error('the sim host process exited before its node was ready'))
      for (const [id, done] of this.#waiting) done(exitedReport(id))
      this.#waiting.clear()
      for (const done of this.#asked.values()) done(undefined)
      this.#asked.clear()
    })
    this.#proc.on('message', (msg: HostEvent) => this.#onEvent(msg))
  }

  get size(): number {
    return this.#nodes
  }

  async start(s: SimNodeSettings): Promise<SimNode> {
    const node = this.#nextNode++
    this.#nodes++
    const learned = new Map<string, number>()
    this.#learned.set(node, learned)
    const ready = new Promise<{ peerId: string; addr: string; startedAt: number }>((resolve, reject) => {
      this.#starting.set(node, { resolve, reject })
    })
    this.#send({ type: 'start', node, settings: { ...s, privateKey: privateKeyToProtobuf(s.privateKey) } })
    const { peerId, addr, startedAt } = await ready
    return {
      peerId,
      addr,
      startedAt,
      provider: s.provider,
      learnedAt: (peer) => learned.get(peer),
      submit: (job) =>
        new Promise<JobReport>((resolve) => {
          const id = this.#nextJob++
          if (this.#exited) return resolve(exitedReport(id))
          this.#waiting.set(id, resolve)
          this.#send({ type: 'submit', node, id, job })
        }),
      kill: async () => {
        if (this.#nodes === 1) {
          this.#proc.kill('SIGKILL')
          await this.#exit
        } else this.#send({ type: 'kill', node })
      },
      stop: () => this.stop(),
    }
  }

  /** This process's counters and its nodes' (meter.ts); undefined once it has exited. */
  sample(): Promise<HostSample | undefined> {
    return this.#ask((id) => ({ type: 'sample', id })) as Promise<HostSample | undefined>
  }

  /** Runs `plan` on every node of this host (sim-load.ts); undefined if the process exits first. */
  load(plan: LoadPlan): Promise<LoadOutcome | undefined> {
    return this.#ask((id) => ({ type: 'load', id, plan })) as Promise<LoadOutcome | undefined>
  }

  #ask(request: (id: number) => HostRequest): Promise<HostSample | LoadOutcome | undefined> {
    if (this.#exited) return Promise.resolve(undefined)
    const id = this.#nextAsk++
    return new Promise((resolve) => {
      this.#asked.set(id, resolve)
      this.#send(request(id))
    })
  }

  /** Stops every node of this host and ends the process (idempotent). */
  async stop(): Promise<void> {
    if (this.#exited) return
    this.#send({ type: 'exit' })
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 5000)
    await this.#exit
    clearTimeout(timer)
  }

  #onEvent(msg: HostEvent): void {
    switch (msg.type) {
      case 'ready':
        this.#starting.get(msg.node)?.resolve(msg)
        this.#starting.delete(msg.node)
        break
      case 'failed':
        this.#starting.get(msg.node)?.reject(new Error(`sim node failed to start: ${msg.message}`))
        this.#starting.delete(msg.node)
        break
      case 'added':
        this.#learned.get(msg.node)?.set(msg.peer, msg.at)
        break
      case 'removed':
        this.#learned.get(msg.node)?.delete(msg.peer)
        break
      case 'report':
        this.#waiting.get(msg.id)?.(msg.report)
        this.#waiting.delete(msg.id)
        break
      case 'sample':
      case 'loaded':
        this.#asked.get(msg.id)?.(msg.type === 'sample' ? msg.sample : msg.outcome)
        this.#asked.delete(msg.id)
        break
    }
  }

  #send(msg: HostRequest): void {
    if (this.#proc.connected) this.#proc.send(msg)
  }
}

/** A job handed to a process that died is reported, never left hanging. */
function exitedReport(id: number): JobReport {
  return {
    jobId: `sim-${id}`,
    state: 'failed',
    error: { code: 'sim_process_exited', message: 'the sim host process exited', retryable: false },
    attempts: 0,
    durationMs: 0,
  }
}
