/**
 * A node finds its mesh again by itself: it redials its seed until the seed is up, a restarted
 * seed rejoins from its address book, a restarted node whose seed is gone finds the members it
 * knew. Real nodes on the memory transport; the redial policy itself is checked with an
 * injected clock and randomness.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import pino from 'pino'
import echo from '../capabilities/example.echo/index.ts'
import { ADDRESS_BOOK_FILE } from '../src/net/address-book.ts'
import { type Clock, type DialTarget, Reconnector, redialDelay } from '../src/net/reconnector.ts'
import { type CrankNode, createNode, type NodeInit } from '../src/node.ts'
import type { Enrolment } from '../src/trust/ephemeral-ca.ts'
import { enrol } from './helpers/trust.ts'
import { until } from './helpers/wait.ts'

/** A clock whose time moves only when the test says so. */
class ManualClock implements Clock {
  t = 0
  readonly timers = new Map<number, { at: number; fn: () => void }>()
  #next = 0
  now = (): number => this.t
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.#next
    this.timers.set(id, { at: this.t + ms, fn })
    return id
  }
  clearTimeout = (h: unknown): void => {
    this.timers.delete(h as number)
  }
  /** Runs every timer due by now + ms, in order, letting promise callbacks settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms
    for (;;) {
      await new Promise((r) => setImmediate(r))
      const due = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
      if (due === undefined) break
      this.timers.delete(due[0])
      this.t = Math.max(this.t, due[1].at)
      due[1].fn()
    }
    this.t = end
    await new Promise((r) => setImmediate(r))
  }
}

function captureLog() {
  const lines: Array<{ msg: string; level: number }> = []
  const log = {
    info: (_o: object, msg: string) => lines.push({ msg, level: 30 }),
    warn: (_o: object, msg: string) => lines.push({ msg, level: 40 }),
    debug: () => {},
  }
  return { lines, log }
}

describe('reconnector: redial policy (injected clock and randomness)', () => {
  it('backs off exponentially with jitter, caps the delay, and stops dialling once enough members are connected', async () => {
    const clock = new ManualClock()
    const dials: number[] = []
    let reachable = false
    let members = 0
    const { lines, log } = captureLog()
    const seed: DialTarget = { key: 'seed', peer: 'seed', addrs: ['/memory/x'], bootstrap: true }
    const r = new Reconnector({
      minPeers: 1,
      baseDelayMs: 100,
      maxDelayMs: 800,
      maxParallel: 2,
      targets: () => [seed],
      members: () => members,
      isConnected: () => members > 0,
      isMember: () => members > 0,
      dial: async () => {
        dials.push(clock.now())
        if (!reachable) throw new Error('refused')
        members = 1
      },
      log,
      clock,
      random: () => 0, // no jitter: the full delay
    })
    r.start()
    await clock.advance(0)
    assert.deepEqual(dials, [0], 'the bootstrap peer is dialled at once')
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['isolated from the mesh: no member connected; redialling bootstrap peers and known members'],
    )
    await clock.advance(100 + 200 + 400 + 800 + 800)
    assert.deepEqual(dials, [0, 100, 300, 700, 1500, 2300], 'delays 100, 200, 400, then capped at 800')
    reachable = true
    await clock.advance(800)
    assert.equal(dials.length, 7)
    r.poke()
    await clock.advance(10_000)
    assert.equal(dials.length, 7, 'no dial while minPeers members are connected')
    assert.equal(r.status().state, 'joined')
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['isolated from the mesh: no member connected; redialling bootstrap peers and known members', 'joined the mesh'],
    )
    members = 0
    reachable = false
    r.poke()
    await clock.advance(0)
    assert.equal(r.status().state, 'isolated')
    assert.equal(lines.filter((l) => l.msg.startsWith('isolated')).length, 2, 'one line per change, not per dial')
    r.stop()
  })

  it('a peer that accepts the connection but never proves membership is redialled with backoff, not in a loop', async () => {
    const clock = new ManualClock()
    const dials: number[] = []
    const { log } = captureLog()
    const r = new Reconnector({
      minPeers: 3,
      baseDelayMs: 100,
      maxDelayMs: 800,
      maxParallel: 4,
      targets: () => [{ key: 'refuser', peer: 'refuser', addrs: ['/memory/r'], bootstrap: true }],
      members: () => 0,
      // Connected for a moment, then hung up on (a refused or revoked membership).
      isConnected: () => false,
      isMember: () => false,
      dial: async () => {
        dials.push(clock.now())
      },
      log,
      clock,
      random: () => 0,
    })
    r.start()
    await clock.advance(100 + 200 + 400)
    r.stop()
    assert.deepEqual(dials, [0, 100, 300, 700])
  })

  it('jitter moves each delay down by at most half', () => {
    for (const f of [1, 2, 3, 10]) {
      const full = Math.min(30_000, 1000 * 2 ** (f - 1))
      assert.equal(
        redialDelay(f, 1000, 30_000, () => 0),
        full,
      )
      assert.equal(
        redialDelay(f, 1000, 30_000, () => 0.5),
        full * 0.75,
      )
      assert.ok(redialDelay(f, 1000, 30_000, () => 0.999_999) > full / 2)
    }
    assert.equal(
      redialDelay(0, 1000, 30_000, () => 0.3),
      0,
    )
  })
})

describe('mesh reconnection (real nodes, memory transport)', function () {
  this.timeout(60_000)
  const HEARTBEAT = 1000
  let run = 0
  const started: CrankNode[] = []
  const dirs: string[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((n) => n.stop({ drainTimeoutMs: 0 })))
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })))
  })

  const addr = (name: string, who: Enrolment): string => `/memory/${name}/p2p/${peerIdFromPrivateKey(who.privateKey)}`
  const capture = () => {
    const lines: Array<{ msg: string }> = []
    return { lines, logger: pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as { msg: string }) }) }
  }
  async function start(who: Enrolment, listen: string, init: NodeInit = {}): Promise<CrankNode> {
    const node = await createNode({
      listen: [listen],
      logLevel: 'silent',
      ...who,
      ...init,
      mesh: { heartbeatMs: HEARTBEAT, dht: false, redialBaseMs: 100, redialMaxMs: 1000, ...init.mesh },
    })
    await node.start()
    started.push(node)
    return node
  }
  const stopped = async (node: CrankNode): Promise<void> => {
    started.splice(started.indexOf(node), 1)
    await node.stop({ drainTimeoutMs: 0 })
  }
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'crank-reconnect-'))
    dirs.push(d)
    return d
  }
  const knows = (n: CrankNode, peer: CrankNode): boolean => n.mesh.get(peer.peerId.toString()) !== undefined

  it('a node started before its seed joins once the seed comes up, and logs isolation and joining once each', async () => {
    const id = `late-${process.pid}-${++run}`
    const seedWho = await enrol({ name: 'seed' })
    const { lines, logger } = capture()
    const early = await start(await enrol({ name: 'early' }), `/memory/${id}-early`, { bootstrap: [addr(`${id}-seed`, seedWho)], logger })
    await until('the early node to say it is isolated', () => lines.some((l) => l.msg.startsWith('isolated from the mesh')))
    assert.equal(early.connectivity.status().state, 'isolated')
    // Several redials fail while the seed is down (each backs off); then the seed starts.
    const seed = await start(seedWho, `/memory/${id}-seed`, { capabilities: [echo] })
    await until('the early node to learn the seed as a provider', () => knows(early, seed))
    const r = await early.submit({ capability: 'example.echo@^1', params: { echo: 'late' }, input: 'x' }).result
    assert.equal(r.route?.peer, seed.peerId.toString())
    assert.equal(early.connectivity.status().state, 'joined')
    assert.equal(lines.filter((l) => l.msg.startsWith('isolated from the mesh')).length, 1)
    assert.equal(lines.filter((l) => l.msg === 'joined the mesh').length, 1)
  })

  it('a seed restarted while the mesh runs: the mesh is whole again within two heartbeats', async () => {
    const id = `restart-${process.pid}-${++run}`
    const seedWho = await enrol({ name: 'seed' })
    const seedDir = await tempDir()
    const seedInit: NodeInit = { dataDir: seedDir, capabilities: [echo] }
    let seed = await start(seedWho, `/memory/${id}-seed`, seedInit)
    const others: CrankNode[] = []
    for (let i = 0; i < 4; i++) {
      others.push(
        await start(await enrol({ name: `m${i}` }), `/memory/${id}-m${i}`, {
          bootstrap: [addr(`${id}-seed`, seedWho)],
          capabilities: i % 2 === 0 ? [echo] : [],
        }),
      )
    }
    const providers = () => [seed, others[0]!, others[2]!]
    const whole = (): boolean =>
      [seed, ...others].every((n) => providers().every((p) => p === n || knows(n, p))) &&
      others.every((n) => n.libp2p.getConnections(seed.peerId).length > 0)
    await until('the mesh to form', whole)
    await until("the seed's address book to hold every member", () => seed.connectivity.addressBook.size === others.length)
    await stopped(seed)
    await until('every member to notice the seed is gone', () => others.every((n) => n.libp2p.getConnections(seed.peerId).length === 0))
    const restartedAt = Date.now()
    seed = await start(seedWho, `/memory/${id}-seed`, seedInit)
    // Whole: connected again, the seed knows every provider, and every member holds a fresh advert from the seed.
    const fresh = (): boolean => others.every((n) => (n.mesh.get(seed.peerId.toString())?.receivedAt ?? 0) >= restartedAt)
    await until(
      () => `the mesh to be whole again (connected and known: ${whole()}, fresh seed adverts: ${fresh()})`,
      () => whole() && fresh(),
      2 * HEARTBEAT,
    )
    const r = await others[1]!.submit({ capability: 'example.echo@^1', route: seed.peerId.toString(), input: 'back' }).result
    assert.equal(r.route?.peer, seed.peerId.toString())
  })

  it('a restarted node with no reachable seed finds the mesh from its address book', async () => {
    const id = `book-${process.pid}-${++run}`
    const seedWho = await enrol({ name: 'seed' })
    const seed = await start(seedWho, `/memory/${id}-seed`)
    const bootstrap = [addr(`${id}-seed`, seedWho)]
    const a = await start(await enrol({ name: 'a' }), `/memory/${id}-a`, { bootstrap })
    const b = await start(await enrol({ name: 'b' }), `/memory/${id}-b`, { bootstrap, capabilities: [echo] })
    const dataDir = await tempDir()
    const cWho = await enrol({ name: 'c' })
    let c = await start(cWho, `/memory/${id}-c`, { bootstrap, dataDir })
    await until('c to know a and b in its address book', () =>
      [a, b].every((p) => c.connectivity.addressBook.get(p.peerId.toString()) !== undefined),
    )
    await stopped(c)
    const book = JSON.parse(await readFile(join(dataDir, ADDRESS_BOOK_FILE), 'utf8')) as { members: Array<{ peer: string }> }
    assert.ok(book.members.some((m) => m.peer === b.peerId.toString()))
    await stopped(seed)
    const { lines, logger } = capture()
    c = await start(cWho, `/memory/${id}-c`, { bootstrap, dataDir, logger })
    await until('the restarted node to learn b as a provider', () => knows(c, b))
    assert.equal(c.libp2p.getConnections(seed.peerId).length, 0, 'the seed is down')
    const r = await c.submit({ capability: 'example.echo@^1', params: { echo: 'found' }, input: 'y' }).result
    assert.equal(r.route?.peer, b.peerId.toString())
    assert.ok(lines.some((l) => l.msg === 'joined the mesh'))
  })
})
