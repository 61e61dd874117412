import assert from 'node:assert/strict'
import type { Connection, Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import echo from '../capabilities/example.echo/index.ts'
import { framed } from '../scripts/fuzz/cases.ts'
import { HostilePeer } from '../scripts/fuzz/hostile-peer.ts'
import { LANE_MAX_JOBS } from '../src/jobs/limits.ts'
import { JOB_LANE_PROTOCOL, JOB_PROTOCOL } from '../src/jobs/messages.ts'
import { crank } from '../src/net/pb/job.js'
import type { CrankNode } from '../src/node.ts'
import { waitingCapability } from './helpers/capabilities.ts'
import { startNodes, stopNodes } from './helpers/nodes.ts'
import { enrol } from './helpers/trust.ts'
import { until } from './helpers/wait.ts'

const pb = crank.job.v1
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const aborted: string[] = []
const waiter = waitingCapability('test.wait', (jobId, code) => aborted.push(`${jobId}:${code}`))

/** The job streams and lanes open on the client's connection to `peer`, by protocol. */
function openStreams(node: CrankNode, peer: CrankNode): Record<string, number> {
  const out: Record<string, number> = {}
  for (const conn of node.libp2p.getConnections(peer.peerId))
    for (const s of conn.streams) if (s.protocol !== undefined) out[s.protocol] = (out[s.protocol] ?? 0) + 1
  return out
}

describe('job lanes: several small jobs on one stream', function () {
  this.timeout(60_000)
  let provider: CrankNode
  let client: CrankNode
  let route: string

  before(async () => {
    ;[provider, client] = await startNodes(2, [echo, waiter])
    route = provider.peerId.toString()
    await client.connect(provider.multiaddrs[0]!)
  })
  after(() => stopNodes([provider, client]))

  it('runs 64 concurrent collected jobs on one lane, each with its own result, and no job stream', async () => {
    const handles = Array.from({ length: 64 }, (_, i) => client.submit({ capability: 'example.echo', params: { echo: i }, route }))
    const results = await Promise.all(handles.map((h) => h.result))
    for (const [i, r] of results.entries()) assert.deepEqual((r.value as { echo: unknown }).echo, i)
    const open = openStreams(client, provider)
    assert.equal(open[JOB_LANE_PROTOCOL], 1, JSON.stringify(open))
    assert.equal(open[JOB_PROTOCOL] ?? 0, 0, JSON.stringify(open))
  })

  it('a burst of 300 jobs fills at most two lanes and sends the rest on job streams', async () => {
    const handles = Array.from({ length: 300 }, (_, i) => client.submit({ capability: 'example.echo', params: { echo: i }, route }))
    const results = await Promise.all(handles.map((h) => h.result))
    for (const [i, r] of results.entries()) assert.deepEqual((r.value as { echo: unknown }).echo, i)
    const open = openStreams(client, provider)
    assert.ok((open[JOB_LANE_PROTOCOL] ?? 0) <= 2, JSON.stringify(open))
  })

  it('cancelling one job on a lane ends it cancelled on both sides and leaves the others running', async () => {
    const slow = Array.from({ length: 3 }, () => client.submit({ capability: 'test.wait', params: { ms: 400 }, route }))
    const victim = client.submit({ capability: 'test.wait', params: { ms: 30_000 }, route })
    // The provider announces a job that is still running after a short while: then it runs there.
    for await (const e of victim) if (e.type === 'accepted') break
    victim.cancel('changed my mind')
    await assert.rejects(victim.result, (err: { state?: string }) => err.state === 'cancelled')
    await until('the provider aborted the victim', () => aborted.some((a) => a.startsWith(`${victim.id}:`)))
    for (const r of await Promise.all(slow.map((h) => h.result))) assert.deepEqual(r.value, { waited: 400 })
    const after = await client.submit({ capability: 'example.echo', params: { echo: 'next' }, route }).result
    assert.deepEqual((after.value as { echo: unknown }).echo, 'next')
  })

  it('a deadline on a lane job expires that job only', async () => {
    const other = client.submit({ capability: 'test.wait', params: { ms: 300 }, route })
    const late = client.submit({ capability: 'test.wait', params: { ms: 30_000 }, route, deadlineMs: 100 })
    await assert.rejects(late.result, (err: { state?: string }) => err.state === 'expired')
    assert.deepEqual((await other.result).value, { waited: 300 })
  })

  it('a job with input or streamed output takes a job stream of its own', async () => {
    const withInput = await client.submit({ capability: 'example.echo', params: { echo: 1 }, input: text('abc'), route }).result
    assert.equal(Buffer.from(withInput.output ?? new Uint8Array()).toString(), 'abc')
    assert.ok((openStreams(client, provider)[JOB_PROTOCOL] ?? 0) >= 1)
  })

  it('falls back to /crank/job/1.0.0 against a provider without lanes', async () => {
    const [old] = await startNodes(1, [echo])
    try {
      await old!.libp2p.unhandle(JOB_LANE_PROTOCOL)
      await client.connect(old!.multiaddrs[0]!)
      const results = await Promise.all(
        Array.from(
          { length: 10 },
          (_, i) => client.submit({ capability: 'example.echo', params: { echo: i }, route: old!.peerId.toString() }).result,
        ),
      )
      for (const [i, r] of results.entries()) assert.deepEqual((r.value as { echo: unknown }).echo, i)
      const open = openStreams(client, old!)
      assert.equal(open[JOB_LANE_PROTOCOL] ?? 0, 0, JSON.stringify(open))
      assert.ok((open[JOB_PROTOCOL] ?? 0) >= 1, JSON.stringify(open))
    } finally {
      await stopNodes([old!])
    }
  })
  it('a caller with jobs.lanesPerPeer 0 sends every job on a job stream of its own; 5 is refused at start', async () => {
    const [plain] = await startNodes(1, [], { jobs: { lanesPerPeer: 0 } })
    try {
      await plain!.connect(provider.multiaddrs[0]!)
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => plain!.submit({ capability: 'example.echo', params: { echo: i }, route }).result),
      )
      for (const [i, r] of results.entries()) assert.deepEqual((r.value as { echo: unknown }).echo, i)
      const open = openStreams(plain!, provider)
      assert.equal(open[JOB_LANE_PROTOCOL] ?? 0, 0, JSON.stringify(open))
      assert.ok((open[JOB_PROTOCOL] ?? 0) >= 1, JSON.stringify(open))
    } finally {
      await stopNodes([plain!])
    }
    await assert.rejects(startNodes(1, [], { jobs: { lanesPerPeer: 5 } }), (err: { code?: string; message?: string }) => {
      return err.code === 'invalid_config' && /lanesPerPeer/.test(err.message ?? '')
    })
  })
})

describe('job lanes against a hostile caller', function () {
  this.timeout(60_000)
  let node: CrankNode
  let addr: string
  let member: HostilePeer

  before(async () => {
    ;[node] = await startNodes(1, [echo, waiter])
    addr = `${node.multiaddrs[0]!.toString().replace(/\/p2p\/.*$/, '')}/p2p/${node.peerId}`
    const id = await enrol({ name: 'lane-member' })
    member = await HostilePeer.create({ privateKey: id.privateKey, certificate: id.membership.certificate })
  })
  after(async () => {
    await member?.stop()
    await stopNodes([node])
  })

  const submit = (jobId: string, fields: Record<string, unknown> = {}): Uint8Array =>
    framed(
      pb.ClientFrame.encode({
        submit: { jobId, capability: 'test.wait', paramsJson: text('{"ms":30000}'), ...fields },
      }).finish(),
    )

  /** Sends `chunks` on a fresh lane; resolves with every server frame until the lane ends. */
  async function lane(conn: Connection, chunks: Uint8Array[]): Promise<{ frames: crank.job.v1.ServerFrame[]; reset: boolean }> {
    const stream: Stream = await conn.newStream(JOB_LANE_PROTOCOL, { signal: AbortSignal.timeout(5000) })
    const got = new Uint8ArrayList()
    const frames: crank.job.v1.ServerFrame[] = []
    return new Promise((resolve) => {
      stream.addEventListener('message', (evt) => {
        got.append(evt.data)
        for (;;) {
          let len = 0
          let shift = 0
          let i = 0
          for (; i < got.byteLength && i < 5; i++) {
            const b = got.get(i)
            len += (b & 0x7f) * 2 ** shift
            shift += 7
            if ((b & 0x80) === 0) break
          }
          if (i >= got.byteLength || got.byteLength < i + 1 + len) return
          frames.push(pb.ServerFrame.decode(got.subarray(i + 1, i + 1 + len)))
          got.consume(i + 1 + len)
        }
      })
      stream.addEventListener('close', (evt) => resolve({ frames, reset: evt.error !== undefined }))
      for (const c of chunks) stream.send(c)
    })
  }

  /** The first server frame on a fresh lane (small frames only: a one-byte length prefix); the lane is then reset. */
  async function firstFrame(conn: Connection, chunks: Uint8Array[]): Promise<crank.job.v1.ServerFrame> {
    const stream: Stream = await conn.newStream(JOB_LANE_PROTOCOL, { signal: AbortSignal.timeout(5000) })
    const got = new Uint8ArrayList()
    const frame = await new Promise<crank.job.v1.ServerFrame>((resolve, reject) => {
      stream.addEventListener('message', (evt) => {
        got.append(evt.data)
        if (got.byteLength > 1 && got.byteLength >= 1 + got.get(0)) resolve(pb.ServerFrame.decode(got.subarray(1, 1 + got.get(0))))
      })
      stream.addEventListener('close', () => reject(new Error('lane closed before an answer')))
      for (const c of chunks) stream.send(c)
    })
    stream.abort(new Error('case over'))
    return frame
  }

  const laneError = (frames: crank.job.v1.ServerFrame[]): string | undefined =>
    frames.find((f) => f.frame === 'error' && f.error?.jobId === '')?.error?.code ?? undefined

  it(`a Submit past ${LANE_MAX_JOBS} jobs in flight ends the lane with protocol_error and aborts its jobs`, async () => {
    const conn = await member.connect(addr)
    const ids = Array.from({ length: LANE_MAX_JOBS + 1 }, (_, i) => `flood-${i}`)
    const { frames } = await lane(conn, [Buffer.concat(ids.map((id) => submit(id)))])
    assert.equal(laneError(frames), 'protocol_error')
    await until('the lane jobs were aborted', () => aborted.filter((a) => a.startsWith('flood-')).length === LANE_MAX_JOBS)
  })

  it('a job id twice in flight on one lane is a protocol_error', async () => {
    const { frames } = await lane(await member.connect(addr), [submit('twice'), submit('twice')])
    assert.equal(laneError(frames), 'protocol_error')
  })

  it('input frames on a lane are a protocol_error; a Cancel for an unknown job is ignored', async () => {
    const chunk = framed(pb.ClientFrame.encode({ inputChunk: { jobId: 'x', data: new Uint8Array(10) } }).finish())
    assert.equal(laneError((await lane(await member.connect(addr), [chunk])).frames), 'protocol_error')
    const cancel = framed(pb.ClientFrame.encode({ cancel: { jobId: 'nobody', reason: 'x' } }).finish())
    const quick = submit('quick', { capability: 'example.echo', paramsJson: text('{"echo":7}') })
    const frame = await firstFrame(await member.connect(addr), [cancel, quick])
    assert.equal(frame.frame, 'result')
    assert.equal(frame.result?.jobId, 'quick')
  })

  it('a frame over the size limit ends the lane with frame_too_large, and the node serves on', async () => {
    const huge = new Uint8Array(8)
    huge.set([0xff, 0xff, 0xff, 0xff, 0x0f])
    const { frames } = await lane(await member.connect(addr), [huge])
    assert.equal(laneError(frames), 'frame_too_large')
    const next = await firstFrame(await member.connect(addr), [
      submit('after', { capability: 'example.echo', paramsJson: text('{"echo":1}') }),
    ])
    assert.equal(next.frame, 'result')
    const result = await node.submit({ capability: 'example.echo', params: { echo: 2 }, route: 'local' }).result
    assert.deepEqual((result.value as { echo: unknown }).echo, 2)
  })
})
