/**
 * The fuzz run: a target node in its own process, hostile plain-libp2p peers (an
 * enrolled member and a stranger) sending generated cases on every Crank protocol,
 * and a well-behaved member whose echo must keep working throughout. A target that
 * exits is a crash: it is counted, restarted, and the run goes on.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface, type Interface } from 'node:readline'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import echo from '../../capabilities/example.echo/index.ts'
import { type CrankNode, createNode } from '../../src/node.ts'
import { mulberry32 } from '../../src/random.ts'
import { EphemeralCA } from '../../src/trust/ephemeral-ca.ts'
import { type FuzzCase, gossipCase, jobCase, membershipCase, type Rng, snapshotAnswer, snapshotRequestCase } from './cases.ts'
import { exchange, HostilePeer, JOB_LANE_PROTOCOL, JOB_PROTOCOL, MEMBERSHIP_PROTOCOL, SNAPSHOT_PROTOCOL } from './hostile-peer.ts'

export interface FuzzOptions {
  cases: number
  seed?: number
  /** Cases in flight at once. */
  concurrency?: number
  /** How long a case waits for an answer before it counts as held. */
  answerTimeoutMs?: number
  /** Cases between two checks of the well-behaved member's echo. */
  echoEvery?: number
  onProgress?: (report: FuzzReport) => void
  /** Stops issuing cases; the run then ends normally and reports what it did. */
  signal?: AbortSignal
}

export interface FuzzReport {
  cases: number
  crashes: number
  /** The shapes of the cases that preceded each crash. */
  crashCases: string[]
  /** `protocol as identity: answer` → count. */
  answers: Record<string, number>
  echoChecks: number
  echoFailures: string[]
  /** Member identities burned (the target hung up on them and a fresh one was enrolled). */
  reenrolled: number
  rss: { startBytes: number; peakBytes: number; endBytes: number }
  /** Job frame bytes the target held at the end (its frame budget's balance). */
  endFrameBytes: number
  seconds: number
}

const MAX_FRAME_BYTES = 1024 * 1024 + 1024
const TARGET = new URL('./target-process.ts', import.meta.url).pathname

interface Target {
  proc: ChildProcess
  addr: string
  lines: Interface
  exited: boolean
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now()
  const rng: Rng = mulberry32(opts.seed ?? 1)
  const timeoutMs = opts.answerTimeoutMs ?? 300
  const echoEvery = opts.echoEvery ?? 250
  const ca = await EphemeralCA.create()
  const targetId = await ca.enrol({ name: 'fuzz-target' })
  const report: FuzzReport = {
    cases: 0,
    crashes: 0,
    crashCases: [],
    answers: {},
    echoChecks: 0,
    echoFailures: [],
    reenrolled: 0,
    rss: { startBytes: 0, peakBytes: 0, endBytes: 0 },
    endFrameBytes: 0,
    seconds: 0,
  }
  const recent: string[] = []

  const startTarget = async (): Promise<Target> => {
    const proc = spawn(process.execPath, [TARGET], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: {
        ...process.env,
        CRANK_FUZZ_TARGET: JSON.stringify({
          key: Buffer.from(privateKeyToProtobuf(targetId.privateKey)).toString('base64'),
          ca: targetId.membership.ca,
          certificate: targetId.membership.certificate,
        }),
      },
    })
    const lines = createInterface({ input: proc.stdout! })
    const first = await new Promise<{ peerId: string; addr: string }>((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`fuzz target exited at start with ${code}`)))
      lines.once('line', (line) => resolve(JSON.parse(line) as { peerId: string; addr: string }))
    })
    const t: Target = { proc, lines, addr: `${first.addr.replace(/\/p2p\/.*$/, '')}/p2p/${first.peerId}`, exited: false }
    proc.once('exit', () => {
      t.exited = true
    })
    return t
  }
  const rssOf = (t: Target): Promise<{ rss: number; frameBytes: number } | undefined> =>
    new Promise((resolve) => {
      if (t.exited) return resolve(undefined)
      const timer = setTimeout(() => resolve(undefined), 5000)
      t.lines.once('line', (line) => {
        clearTimeout(timer)
        resolve(JSON.parse(line) as { rss: number; frameBytes: number })
      })
      t.proc.stdin?.write('rss\n')
    })

  let target = await startTarget()
  report.rss.startBytes = (await rssOf(target))?.rss ?? 0

  const snapshotRng = mulberry32((opts.seed ?? 1) + 7)
  const newMember = async (): Promise<HostilePeer> => {
    const id = await ca.enrol({ name: `fuzz-member-${report.reenrolled}` })
    return HostilePeer.create({
      privateKey: id.privateKey,
      certificate: id.membership.certificate,
      snapshot: () => snapshotAnswer(snapshotRng).chunks,
    })
  }
  const newStranger = async (): Promise<HostilePeer> => HostilePeer.create({ privateKey: await generateKeyPair('Ed25519') })
  let member = await newMember()
  let burner = await newMember()
  let stranger = await newStranger()

  const goodId = await ca.enrol({ name: 'fuzz-good-member' })
  const good: CrankNode = await createNode({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    logLevel: 'silent',
    mesh: { dht: false },
    capabilities: [echo],
    ...goodId,
  })
  await good.start()

  const checkEcho = async (): Promise<void> => {
    report.echoChecks++
    const expected = report.echoChecks
    const handle = good.submit({ capability: 'example.echo', params: { echo: expected }, route: target.addr, deadlineMs: 20_000 })
    const outcome = await handle.outcome
    const value = outcome.value as { echo?: unknown } | undefined
    if (outcome.state !== 'succeeded' || value?.echo !== expected) {
      report.echoFailures.push(`after ${report.cases} cases: ${outcome.state} ${outcome.error?.code ?? ''} ${outcome.error?.message ?? ''}`)
    }
  }

  const runCase = async (): Promise<void> => {
    const asMember = rng() < 0.6
    const r = rng()
    const c: FuzzCase =
      r < 0.7
        ? jobCase(rng, MAX_FRAME_BYTES)
        : r < 0.8
          ? membershipCase(rng)
          : r < 0.87
            ? snapshotRequestCase(rng)
            : r < 0.9
              ? { protocol: 'snapshot-serve', shape: 'reconnect', chunks: [], halfClose: false }
              : gossipCase(rng)
    const who = asMember || c.protocol === 'snapshot-serve' ? 'member' : 'stranger'
    // A third of the job cases go to the lane protocol, which reads the same frames under stricter rules.
    const onLane = c.protocol === 'job' && rng() < 1 / 3
    const protocolName = onLane ? 'job-lane' : c.protocol
    recent.push(`${protocolName}/${c.shape}`)
    if (recent.length > 16) recent.shift()
    // Garbage Hellos get a member refused and hung up on, and asking for a snapshot means
    // reconnecting: both go out on a member identity of their own, so the member fuzzing the
    // other protocols keeps its connection (and the cases in flight on it).
    const burns = who === 'member' && (c.protocol === 'membership' || c.protocol === 'snapshot-serve')
    const peer = burns ? burner : who === 'member' ? member : stranger
    let answer: string
    try {
      const conn = await peer.connect(target.addr)
      if (c.protocol === 'job') answer = await exchange(conn, onLane ? JOB_LANE_PROTOCOL : JOB_PROTOCOL, c.chunks, c.halfClose, timeoutMs)
      else if (c.protocol === 'membership') answer = await exchange(conn, MEMBERSHIP_PROTOCOL, c.chunks, c.halfClose, timeoutMs)
      else if (c.protocol === 'snapshot-request') answer = await exchange(conn, SNAPSHOT_PROTOCOL, c.chunks, c.halfClose, timeoutMs)
      else if (c.protocol === 'snapshot-serve') {
        // A fresh connection is identified afresh: a target without a snapshot asks us for one.
        await peer.disconnect()
        await peer.connect(target.addr)
        answer = 'reconnected'
      } else {
        await peer.publish(c.chunks[0]!)
        answer = 'published'
      }
    } catch (err) {
      answer = `connect-failed(${(err as Error).name})`
      // The target hung up on this identity (a garbage Hello may get a member refused): enrol a new one.
      if (burns) {
        const old = burner
        burner = await newMember()
        report.reenrolled++
        void old.stop()
      } else if (who === 'member') {
        const old = member
        member = await newMember()
        report.reenrolled++
        void old.stop()
      } else {
        const old = stranger
        stranger = await newStranger()
        void old.stop()
      }
    }
    const key = `${protocolName} as ${who}: ${answer}`
    report.answers[key] = (report.answers[key] ?? 0) + 1
    report.cases++
  }

  const concurrency = opts.concurrency ?? 4
  let issued = 0
  let nextEcho = echoEvery
  let nextRss = 1000
  let restarting: Promise<void> | undefined
  const recover = (): Promise<void> => {
    restarting ??= (async () => {
      report.crashes++
      report.crashCases.push(recent.join(', '))
      target = await startTarget()
    })().finally(() => {
      restarting = undefined
    })
    return restarting
  }
  // A pool, not batches: a case that is held until its timeout does not stall the others.
  const worker = async (): Promise<void> => {
    while (issued < opts.cases && opts.signal?.aborted !== true) {
      issued++
      if (restarting !== undefined) await restarting
      await runCase()
      if (target.exited) {
        await recover()
        continue
      }
      if (report.cases >= nextEcho) {
        nextEcho += echoEvery
        await checkEcho()
      }
      if (report.cases >= nextRss) {
        nextRss += 1000
        const rss = await rssOf(target)
        if (rss !== undefined) report.rss.peakBytes = Math.max(report.rss.peakBytes, rss.rss)
        opts.onProgress?.(report)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => worker()))
  await checkEcho()
  if (target.exited) {
    report.crashes++
    report.crashCases.push(recent.join(', '))
  } else {
    // Let held streams be reset and the budget settle before the last reading.
    await Promise.all([member.stop(), burner.stop(), stranger.stop()])
    await new Promise((resolve) => setTimeout(resolve, 500))
    const end = await rssOf(target)
    report.rss.endBytes = end?.rss ?? 0
    report.rss.peakBytes = Math.max(report.rss.peakBytes, report.rss.endBytes)
    report.endFrameBytes = end?.frameBytes ?? -1
  }
  await good.stop({ drainTimeoutMs: 0 })
  await member.stop()
  await burner.stop()
  await stranger.stop()
  target.proc.kill('SIGTERM')
  await new Promise((resolve) => (target.exited ? resolve(undefined) : target.proc.once('exit', resolve)))
  report.seconds = (Date.now() - started) / 1000
  return report
}

/** Peak resident set of a process, from /proc (Linux); 0 elsewhere. */
export function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? 0 : Number(m[1]) * 1024
  } catch {
    return 0
  }
}
