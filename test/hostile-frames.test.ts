import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Stream } from '@libp2p/interface'
import echo from '../capabilities/example.echo/index.ts'
import { framed, varint } from '../scripts/fuzz/cases.ts'
import { exchange, HostilePeer, JOB_PROTOCOL } from '../scripts/fuzz/hostile-peer.ts'
import { UNPROVEN_CONNECTION_FRAME_BUDGET_BYTES, UNPROVEN_JOB_STREAMS } from '../src/jobs/limits.ts'
import { crank } from '../src/net/pb/job.js'
import type { CrankNode } from '../src/node.ts'
import { waitingCapability } from './helpers/capabilities.ts'
import { startNodes, stopNodes } from './helpers/nodes.ts'
import { enrol } from './helpers/trust.ts'
import { until } from './helpers/wait.ts'

const pb = crank.job.v1
const FLOOD_BUDGET = 8 * 1024 * 1024
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const submit = (fields: Record<string, unknown>): Uint8Array =>
  framed(
    pb.ClientFrame.encode({
      submit: { jobId: `j-${Math.random()}`, capability: 'example.echo', paramsJson: text('{}'), ...fields },
    }).finish(),
  )

const stall = waitingCapability('test.stall')

describe('hostile frames from a plain js-libp2p peer', function () {
  this.timeout(240_000)
  let node: CrankNode
  let addr: string
  let member: HostilePeer
  let flooder: HostilePeer | undefined

  before(async () => {
    // A smaller connection budget than the default 64 MiB, so that the flood passes it quickly.
    ;[node] = await startNodes(1, [echo, stall], { jobs: { connectionFrameBudgetBytes: FLOOD_BUDGET } })
    addr = `${node.multiaddrs[0]!.toString().replace(/\/p2p\/.*$/, '')}/p2p/${node.peerId}`
    const id = await enrol({ name: 'plain-member' })
    member = await HostilePeer.create({ privateKey: id.privateKey, certificate: id.membership.certificate })
  })
  after(async () => {
    await member?.stop()
    await flooder?.stop()
    await stopNodes([node])
  })

  const ask = async (chunks: Uint8Array[], halfClose = false): Promise<string> =>
    exchange(await member.connect(addr), JOB_PROTOCOL, chunks, halfClose, 20_000)

  it('a Submit whose params nest 6,000 deep (12 KB) is rejected invalid_params, and the node serves on', async () => {
    const frame = submit({ paramsJson: text(`{"echo":${'['.repeat(6000)}${']'.repeat(6000)}}`) })
    assert.ok(frame.byteLength < 13_000)
    assert.equal(await ask([frame]), 'rejected:invalid_params')
    assert.equal(await ask([submit({ paramsJson: text('{"echo":[[["fine"]]]}') })]), 'result')
  })

  it('an invalid priority on the wire is refused with invalid_option', async () => {
    assert.equal(await ask([submit({ priority: 'urgent' })]), 'rejected:invalid_option')
  })

  it('a caller that half-closes after Submit still gets its result', async () => {
    assert.equal(await ask([submit({ capability: 'test.stall', paramsJson: text('{"ms":200}') })], true), 'result')
  })

  it('a half-close before InputEnd fails the job as incomplete input, with an answer', async () => {
    const jobId = 'incomplete'
    const chunk = framed(pb.ClientFrame.encode({ inputChunk: { jobId, data: new Uint8Array(100) } }).finish())
    assert.equal(await ask([submit({ jobId, hasInput: true }), chunk], true), 'error:protocol_error')
  })

  it(`a member's partial-frame flood stays within its connection's budget (${FLOOD_BUDGET / 2 ** 20} MiB here) and is released`, async () => {
    // A member of its own, on a fresh connection: the budget is per connection.
    const id = await enrol({ name: 'flooder' })
    flooder = await HostilePeer.create({ privateKey: id.privateKey, certificate: id.membership.certificate })
    const conn = await flooder.connect(addr)
    await node.membership.authorize(flooder.libp2p.peerId)
    const rssBefore = process.memoryUsage.rss()
    const streams: Stream[] = []
    const slice = new Uint8Array(300 * 1024)
    let resets = 0
    const why = new Set<string>()
    // 300 streams, each a 1 MiB frame of which 300 KiB arrive: 88 MiB if nothing pushed back.
    await Promise.all(
      Array.from({ length: 300 }, async () => {
        const s = await conn.newStream(JOB_PROTOCOL, { maxOutboundStreams: 4096 })
        streams.push(s)
        s.addEventListener('close', (evt) => {
          if (evt.error !== undefined) {
            resets++
            why.add(evt.error.message)
          }
        })
        try {
          s.send(varint(1024 * 1024))
          if (!s.send(slice)) await s.onDrain()
        } catch {
          // reset by the node: what the budget does past its bound
        }
      }),
    )
    await until(
      () => `a flood stream refused (budget holds ${node.frameBudget.held} bytes)`,
      () => resets > 0,
      150_000,
    )
    assert.ok(resets > 0, 'no stream was refused')
    assert.ok(node.frameBudget.peak <= FLOOD_BUDGET, `peak ${node.frameBudget.peak}`)
    console.log(
      `      flood: ${resets} of 300 streams reset (${[...why].join('; ')}); budget peak ${(node.frameBudget.peak / 2 ** 20).toFixed(1)} MiB; RSS +${((process.memoryUsage.rss() - rssBefore) / 2 ** 20).toFixed(0)} MiB`,
    )
    // A well-behaved member is served meanwhile, and closing the flood gives every byte back.
    assert.equal(await ask([submit({ paramsJson: text('{"echo":"still here"}') })]), 'result')
    for (const s of streams) s.abort(new Error('flood over'))
    await until(
      () => `the budget released (${node.frameBudget.held} bytes held)`,
      () => node.frameBudget.held === 0,
      30_000,
    )
  })

  it(`a stranger gets ${UNPROVEN_JOB_STREAMS} job streams and ${UNPROVEN_CONNECTION_FRAME_BUDGET_BYTES / 1024} KiB of buffer, no more`, async () => {
    const stranger = await HostilePeer.create({ privateKey: await generateKeyPair('Ed25519') })
    try {
      const conn = await stranger.connect(addr)
      let resets = 0
      const counted = new Set<unknown>()
      const sent: Promise<void>[] = []
      for (let i = 0; i < 12; i++) {
        const s = await conn.newStream(JOB_PROTOCOL, { maxOutboundStreams: 4096 }).catch(() => undefined)
        if (s === undefined) {
          resets++
          continue
        }
        const refused = (): void => {
          if (!counted.has(s)) resets++
          counted.add(s)
        }
        if (s.status !== 'open') refused()
        s.addEventListener('close', (evt) => {
          if (evt.error !== undefined) refused()
        })
        sent.push(
          (async () => {
            try {
              s.send(varint(1024 * 1024))
              if (!s.send(new Uint8Array(200 * 1024))) await s.onDrain({ signal: AbortSignal.timeout(2000) })
            } catch {
              // refused (reset), or held unread: both are the point
              if (s.status !== 'open') refused()
            }
          })(),
        )
      }
      await Promise.all(sent)
      await until(
        () => `streams past ${UNPROVEN_JOB_STREAMS} refused (${resets} so far)`,
        () => resets >= 12 - UNPROVEN_JOB_STREAMS,
        30_000,
      )
      assert.ok(resets >= 12 - UNPROVEN_JOB_STREAMS, `${resets} streams refused`)
      assert.ok(node.frameBudget.held <= UNPROVEN_CONNECTION_FRAME_BUDGET_BYTES, `held ${node.frameBudget.held}`)
    } finally {
      await stranger.stop()
    }
  })
})

describe('a job cancelled by a drain', function () {
  this.timeout(60_000)
  it('reaches its remote caller as cancelled, not connection_lost', async () => {
    const [provider, client] = await startNodes(2, [stall])
    try {
      const route = provider.multiaddrs[0]!.toString()
      const handle = client.submit({ capability: 'test.stall', params: { ms: 60_000 }, route })
      for await (const e of handle) if (e.type === 'accepted') break
      await provider.stop({ drainTimeoutMs: 50 })
      const report = await handle.outcome
      assert.equal(report.state, 'cancelled', JSON.stringify(report.error))
      assert.equal(report.error?.code, 'shutting_down')
    } finally {
      await stopNodes([provider!, client!])
    }
  })
})
