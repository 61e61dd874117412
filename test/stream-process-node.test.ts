import assert from 'node:assert/strict'
import type { StreamProcessResult } from '../capabilities/stream.process/index.ts'
import cap from '../capabilities/stream.process/index.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import { corpusChunks, rssSampler, spamRecords } from './stream-process-records.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Counts newline-terminated records in streamed output without holding it. */
function countLines(chunk: Uint8Array): number {
  let n = 0
  for (const b of chunk) if (b === 10) n++
  return n
}

// Open mesh: membership is tested in the trust suites; here the subject is the data path.
describe('stream.process through a remote node (memory transport, TLS + yamux)', function () {
  this.timeout(60_000)
  let provider: CrankNode
  let client: CrankNode
  let route: string

  before(async () => {
    const tag = `${process.pid}-${Date.now()}`
    provider = await createNode({
      capabilities: [cap],
      transports: ['memory'],
      listen: [`/memory/stream-provider-${tag}`],
      logLevel: 'silent',
      trust: { openMesh: true },
    })
    client = await createNode({
      transports: ['memory'],
      listen: [`/memory/stream-client-${tag}`],
      logLevel: 'silent',
      trust: { openMesh: true },
    })
    await provider.start()
    await client.start()
    route = (await client.connect(provider.multiaddrs[0]!)).toString()
  })
  after(async () => {
    await client?.stop()
    await provider?.stop()
  })

  it('100k records: every spam record out, progress events, memory flat', async () => {
    const N = 100_000
    const spamPerCycle = spamRecords().filter((r) => r.spam).length
    const corpusSize = spamRecords().length
    const expected =
      Math.floor(N / corpusSize) * spamPerCycle +
      spamRecords()
        .slice(0, N % corpusSize)
        .filter((r) => r.spam).length
    const rss = rssSampler()
    const handle = client.submit({
      capability: 'stream.process',
      params: {
        pipeline: [
          { op: 'filter', where: 'spam' },
          { op: 'project', fields: ['seq', 'bytes'] },
        ],
        progressEvery: 20_000,
      },
      input: corpusChunks(N),
      route,
      output: 'stream',
    })
    let out = 0
    let progress = 0
    for await (const e of handle) {
      if (e.type === 'output') out += countLines(e.data)
      if (e.type === 'progress') progress++
    }
    const result = await handle.result
    const mem = rss.stop()
    console.log(`      100k remote: ${result.durationMs} ms, RSS MiB ${JSON.stringify(mem)}`)
    const value = result.value as StreamProcessResult
    assert.equal(result.route?.peer, provider.peerId.toString())
    assert.equal(value.recordsIn, N)
    assert.equal(value.recordsOut, expected)
    assert.equal(out, expected)
    assert.ok(progress >= 3, `${progress} progress events`)
    // ~12 MiB of input went through; held whole it would show as several times that.
    assert.ok(mem.peakMiB - mem.beforeMiB < 120, `RSS grew ${mem.peakMiB - mem.beforeMiB} MiB`)
  })

  it('a CSV sent without format: "csv" fails remotely with no_valid_records and a hint, and succeeds with it', async () => {
    const rows = spamRecords().slice(0, 300)
    const csv = ['id,group,bytes', ...rows.map((r) => [r.id, r.group, r.bytes].join(','))].join('\r\n')
    const input = () => new TextEncoder().encode(csv)
    const wrong = client.submit({ capability: 'stream.process', params: { pipeline: [] }, input: input(), route })
    const report = await wrong.outcome
    assert.equal(report.state, 'failed')
    assert.equal(report.error?.code, 'no_valid_records')
    assert.match(report.error?.message ?? '', /format: "csv"/)
    const right = client.submit({
      capability: 'stream.process',
      params: { format: 'csv', csv: { cast: true }, pipeline: [{ op: 'filter', where: 'bytes > 5000' }] },
      input: input(),
      route,
    })
    const value = (await right.result).value as StreamProcessResult
    assert.equal(value.recordsIn, rows.length)
    assert.equal(value.malformed, 0)
    assert.equal(value.recordsOut, rows.filter((r) => r.bytes > 5000).length)
  })

  // Remotely more buffers sit between producer and consumer, each bounded: the client's event queue
  // (1 MiB) and frame reader (2 MiB), yamux windows (1 MiB each way), stream write buffers (256 KiB)
  // and the provider's input queue (1 MiB). So the bound is a fixed size, not a share of the input.
  const aheadLimit = { local: 50_408_308 / 8, remote: 16 * 1024 * 1024 }
  for (const where of ['local', 'remote'] as const) {
    it(`a stalled consumer stalls the producer at a bounded distance (${where} route), and the job finishes once it reads again`, async () => {
      const N = 250_000 // about 48 MiB of NDJSON
      let pulled = 0
      let total = 0
      for await (const c of corpusChunks(N)) total += c.byteLength
      const node = where === 'local' ? provider : client
      const rss = rssSampler()
      const handle = node.submit({
        capability: 'stream.process',
        params: { pipeline: [{ op: 'filter', where: 'seq >= 0' }] },
        input: corpusChunks(N, 64 * 1024, (b) => {
          pulled += b
        }),
        route: where === 'local' ? 'local' : route,
        output: 'stream',
      })
      let out = 0
      let pulledWhileStalled = -1
      for await (const e of handle) {
        if (e.type !== 'output') continue
        out += countLines(e.data)
        if (pulledWhileStalled === -1) {
          // Stop reading until the producer has stopped too (no pull for 10 polls), or it has sent everything.
          let last = -1
          let still = 0
          while (still < 10 && pulled < total) {
            await sleep(50)
            still = pulled === last ? still + 1 : 0
            last = pulled
          }
          pulledWhileStalled = pulled
        }
      }
      const result = await handle.result
      const mem = rss.stop()
      console.log(
        `      stalled consumer (${where}): producer stopped after ${(pulledWhileStalled / 1048576).toFixed(1)} of ${(total / 1048576).toFixed(1)} MiB; RSS MiB ${JSON.stringify(mem)}`,
      )
      assert.ok(
        pulledWhileStalled < aheadLimit[where],
        `producer ran ${pulledWhileStalled} of ${total} bytes ahead of a consumer that read one chunk`,
      )
      assert.equal(pulled, total, 'the producer resumed and finished once the consumer read again')
      assert.equal(out, N)
      assert.equal((result.value as StreamProcessResult).recordsOut, N)
    })
  }
})
