import assert from 'node:assert/strict'
import type { Stream } from '@libp2p/interface'
import echo from '../capabilities/example.echo/index.ts'
import { JOB_PROTOCOL } from '../src/jobs/messages.ts'
import { crank } from '../src/net/pb/job.js'
import type { CrankNode } from '../src/node.ts'
import { waitingCapability } from './helpers/capabilities.ts'
import { patternBytes, startNodes, stopNodes } from './helpers/nodes.ts'

/** Records what the provider's handler saw, so tests can check the far side of a job. */
const seen = { aborted: [] as string[] }
const waiter = waitingCapability('test.wait', (jobId, code) => seen.aborted.push(`${jobId}:${code}`))

describe('job protocol between two real nodes (TCP + TLS + yamux)', () => {
  let provider: CrankNode
  let client: CrankNode
  let route: string

  before(async () => {
    ;[provider, client] = await startNodes(2, [echo, waiter])
    route = provider.multiaddrs[0]!.toString()
  })
  after(() => stopNodes([provider, client]))

  it('streams 1 MiB through example.echo and back byte for byte', async () => {
    const data = patternBytes(1024 * 1024)
    const handle = client.submit({
      capability: 'example.echo',
      params: { echo: { tag: 'x' }, progressEvery: 256 * 1024 },
      input: data,
      route,
    })
    const events: string[] = []
    const consumed = (async () => {
      for await (const e of handle) events.push(e.type)
    })()
    const result = await handle.result
    await consumed
    assert.deepEqual(result.value, { echo: { tag: 'x' }, bytes: data.byteLength, chunks: 16 })
    assert.ok(result.output !== undefined && Buffer.from(result.output).equals(Buffer.from(data)), 'output differs from input')
    assert.equal(result.route?.peer, provider.peerId.toString())
    assert.ok(events.includes('accepted'), `events: ${events}`)
    assert.ok(events.includes('progress'), `events: ${events}`)
  })

  it('streams output to the caller with backpressure in stream mode', async () => {
    const data = patternBytes(3 * 1024 * 1024 + 17)
    const handle = client.submit({ capability: 'example.echo', input: data, route, output: 'stream' })
    let received = 0
    for await (const e of handle) {
      if (e.type === 'output') received += e.data.byteLength
    }
    const result = await handle.result
    assert.equal(received, data.byteLength)
    assert.equal(result.output, undefined)
  })

  it('cancel mid-job fires the handler signal and both sides end cancelled', async () => {
    const handle = client.submit({ capability: 'test.wait', params: { ms: 60_000 }, route })
    // The provider announces a job once it has been running a while: then the handler is waiting.
    const events = handle[Symbol.asyncIterator]()
    for (let e = await events.next(); e.done !== true && e.value.type !== 'accepted'; e = await events.next()) {}
    handle.cancel()
    const report = await handle.outcome
    assert.equal(report.state, 'cancelled')
    const far = await provider.journal.waitFor(handle.id)
    assert.equal(far.state, 'cancelled')
    assert.ok(seen.aborted.includes(`${handle.id}:cancelled`), `handler saw: ${seen.aborted}`)
  })

  it('a deadline that passes ends the job expired on both sides', async () => {
    const handle = client.submit({ capability: 'test.wait', params: { ms: 60_000 }, route, deadlineMs: 150 })
    const report = await handle.outcome
    assert.equal(report.state, 'expired')
    assert.equal(report.error?.code, 'deadline_exceeded')
    assert.equal((await provider.journal.waitFor(handle.id)).state, 'expired')
  })

  it('an unknown capability is rejected with unknown_capability', async () => {
    const report = await client.submit({ capability: 'no.such', route }).outcome
    assert.equal(report.state, 'failed')
    assert.equal(report.error?.code, 'unknown_capability')
    assert.match(report.error?.message ?? '', /no provider of no\.such/)
    await assert.rejects(client.submit({ capability: 'no.such', route }).result, { name: 'JobFailedError', code: 'unknown_capability' })
  })

  it('params that violate the schema give invalid_params naming the field', async () => {
    const report = await client.submit({ capability: 'test.wait', params: { ms: 'soon' }, route }).outcome
    assert.equal(report.error?.code, 'invalid_params')
    assert.match(report.error?.message ?? '', /params\/ms must be integer/)
    const missing = await client.submit({ capability: 'test.wait', params: {}, route }).outcome
    assert.match(missing.error?.message ?? '', /params\/ms/)
  })

  it('a version range the provider cannot satisfy is rejected', async () => {
    const report = await client.submit({ capability: 'example.echo@^2', route }).outcome
    assert.equal(report.error?.code, 'unknown_capability')
    assert.match(report.error?.message ?? '', /has 1\.0\.0/)
  })

  it('declared handler errors arrive typed, with their retryable flag', async () => {
    const report = await client.submit({ capability: 'example.echo', params: { failWith: 'echo_failed' }, route }).outcome
    assert.equal(report.state, 'failed')
    assert.deepEqual(report.error, { code: 'echo_failed', message: 'failing as asked', retryable: false })
  })

  it('reuses one stream for sequential jobs to the same peer', async () => {
    const conn = client.libp2p.getConnections(provider.peerId)[0]!
    const before = conn.streams.filter((s) => s.protocol === JOB_PROTOCOL).length
    for (let i = 0; i < 20; i++) await client.submit({ capability: 'example.echo', params: { echo: i }, route }).result
    const after = conn.streams.filter((s) => s.protocol === JOB_PROTOCOL).length
    assert.ok(after <= Math.max(before, 1), `job streams grew from ${before} to ${after}`)
  })

  it('a fast job answers with its terminal frame alone, naming the version; a slow one is announced', async () => {
    /** Sends one Submit on a fresh stream, closes our side, and returns the kinds of frame that came back. */
    const framesFor = async (capability: string, params: unknown): Promise<crank.job.v1.ServerFrame[]> => {
      const s = await client.libp2p.dialProtocol(provider.peerId, JOB_PROTOCOL)
      const body = crank.job.v1.ClientFrame.encode({
        submit: { jobId: `raw-${capability}`, capability, paramsJson: Buffer.from(JSON.stringify(params)) },
      }).finish()
      s.send(Buffer.concat([Buffer.from([body.length]), body]))
      await s.close()
      const parts: Buffer[] = []
      for await (const chunk of s) parts.push(Buffer.from(chunk.subarray()))
      const bytes = Buffer.concat(parts)
      const frames: crank.job.v1.ServerFrame[] = []
      for (let i = 0; i < bytes.length; ) {
        let len = 0
        let shift = 0
        while ((bytes[i]! & 0x80) !== 0) {
          len |= (bytes[i++]! & 0x7f) << shift
          shift += 7
        }
        len |= bytes[i++]! << shift
        frames.push(crank.job.v1.ServerFrame.decode(bytes.subarray(i, i + len)))
        i += len
      }
      return frames
    }
    const fast = await framesFor('example.echo', { echo: 1 })
    assert.deepEqual(
      fast.map((f) => f.frame),
      ['result'],
    )
    assert.equal(fast[0]!.result?.capabilityVersion, '1.0.0')
    const slow = await framesFor('test.wait', { ms: 200 })
    assert.deepEqual(
      slow.map((f) => f.frame),
      ['accepted', 'result'],
    )
    // Through the API, both kinds of job still tell the caller which version accepted them.
    for (const [capability, params] of [
      ['example.echo', { echo: 1 }],
      ['test.wait', { ms: 50 }],
    ] as const) {
      const handle = client.submit({ capability, params, route })
      const accepted: string[] = []
      for await (const e of handle) if (e.type === 'accepted') accepted.push(e.version)
      assert.deepEqual(accepted, ['1.0.0'], capability)
    }
  })

  describe('malformed frames end only their stream', () => {
    async function rawStream(): Promise<Stream> {
      return client.libp2p.dialProtocol(provider.peerId, JOB_PROTOCOL)
    }
    async function readAll(stream: Stream): Promise<Buffer> {
      const parts: Buffer[] = []
      try {
        for await (const chunk of stream) parts.push(Buffer.from(chunk.subarray()))
      } catch {
        // a reset is an acceptable way to end a broken stream
      }
      return Buffer.concat(parts)
    }
    function errorCodeIn(bytes: Buffer): string | undefined {
      if (bytes.length === 0) return undefined
      let len = 0
      let shift = 0
      let i = 0
      for (; i < bytes.length; i++) {
        len |= (bytes[i]! & 0x7f) << shift
        shift += 7
        if ((bytes[i]! & 0x80) === 0) break
      }
      const frame = crank.job.v1.ServerFrame.decode(bytes.subarray(i + 1, i + 1 + len))
      return frame.error?.code ?? undefined
    }
    async function stillServes(): Promise<void> {
      const r = await client.submit({ capability: 'example.echo', params: { echo: 'ok' }, input: 'still here', route }).result
      assert.equal(Buffer.from(r.output!).toString(), 'still here')
    }

    it('random bytes', async () => {
      const s = await rawStream()
      s.send(Uint8Array.from([0x05, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x07, 0x01, 0x02]))
      await s.close()
      assert.equal(errorCodeIn(await readAll(s)), 'malformed_frame')
      await stillServes()
    })

    it('a truncated frame', async () => {
      const s = await rawStream()
      const frame = crank.job.v1.ClientFrame.encode({ submit: { jobId: 'j1', capability: 'example.echo' } }).finish()
      s.send(Uint8Array.from([frame.length, ...frame.subarray(0, frame.length - 3)]))
      await s.close()
      assert.equal(errorCodeIn(await readAll(s)), 'malformed_frame')
      await stillServes()
    })

    it('a frame over the size limit', async () => {
      const s = await rawStream()
      // Length prefix of 64 MiB; the server must refuse before buffering it.
      s.send(Uint8Array.from([0x80, 0x80, 0x80, 0x20, 0x00]))
      assert.equal(errorCodeIn(await readAll(s)), 'frame_too_large')
      await stillServes()
    })
  })
})
