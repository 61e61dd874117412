/**
 * The control socket's pieces on their own: the frame reader fed awkward splits, the input credit,
 * the progress line, and the `jobs.*` hook forwarding to a job store on a real node and socket.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import echo from '../capabilities/example.echo/index.ts'
import { ProgressLine } from '../src/cli/progress-line.ts'
import { type ControlClient, connectToNode, jobsThroughNode } from '../src/control/control-client.ts'
import { dataHeader, FrameReader, MAX_CHUNK_BYTES } from '../src/control/control-protocol.ts'
import { ControlServer } from '../src/control/control-server.ts'
import { CreditedInput } from '../src/control/credited-input.ts'
import { CrankError } from '../src/errors.ts'
import { type CrankNode, createNode } from '../src/node.ts'

function feed(reader: FrameReader, bytes: Buffer, step: number) {
  const frames = []
  for (let at = 0; at < bytes.byteLength; at += step) {
    const r = reader.push(bytes.subarray(at, at + step))
    frames.push(...r.frames)
    if (r.fatal !== undefined) return { frames, fatal: r.fatal }
  }
  return { frames, fatal: undefined }
}

describe('control protocol: frames, credit, progress', () => {
  it('reads lines and raw chunks whatever the split, and reports bad lines without losing the next', () => {
    const chunk = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff))
    const wire = Buffer.concat([
      Buffer.from('{"id":1,"method":"status"}\n'),
      Buffer.from('not json\n'),
      Buffer.from('[1,2]\n'),
      Buffer.from(dataHeader(7, 'input', chunk.byteLength)),
      chunk,
      Buffer.from('\n{"id":"é","type":"end"}\n'),
    ])
    for (const step of [1, 3, 64, wire.byteLength]) {
      const { frames, fatal } = feed(new FrameReader(), wire, step)
      assert.equal(fatal, undefined)
      assert.deepEqual(
        frames.map((f) => ('bad' in f ? 'bad' : (f.msg.type ?? f.msg.method))),
        ['status', 'bad', 'bad', 'input', 'end'],
        `split every ${step} bytes`,
      )
      const input = frames[3]!
      assert.ok(!('bad' in input) && input.data !== undefined && Buffer.from(input.data).equals(chunk))
      const end = frames[4]!
      assert.ok(!('bad' in end) && end.msg.id === 'é')
    }
  })

  it('an overlong line or an impossible chunk size is fatal', () => {
    const long = feed(new FrameReader(1024), Buffer.alloc(2000, 0x61), 100)
    assert.match(long.fatal ?? '', /longer than 1024 bytes/)
    const huge = feed(new FrameReader(), Buffer.from(`{"id":1,"type":"input","bytes":${MAX_CHUNK_BYTES + 1}}\n`), 7)
    assert.match(huge.fatal ?? '', /must announce 0 to/)
    const negative = feed(new FrameReader(), Buffer.from('{"id":1,"type":"output","bytes":-1}\n'), 100)
    assert.match(negative.fatal ?? '', /must announce/)
  })

  it('input past its credit is refused, and credit comes back as the job reads', async () => {
    const grants: number[] = []
    const input = new CreditedInput((b) => grants.push(b), 8)
    assert.deepEqual(grants, [8])
    assert.equal(input.push(new Uint8Array(6)), undefined)
    assert.ok(input.push(new Uint8Array(3)) instanceof CrankError, 'a ninth byte before any grant')
    const it = input[Symbol.asyncIterator]()
    assert.equal((await it.next()).value?.byteLength, 6)
    assert.deepEqual(grants, [8, 6])
    assert.equal(input.push(new Uint8Array(8)), undefined)
    input.end()
    assert.equal((await it.next()).value?.byteLength, 8)
    assert.equal((await it.next()).done, true)
  })

  it('input cut off before its end fails the reader instead of looking complete', async () => {
    const input = new CreditedInput(() => {}, 1024)
    input.push(new Uint8Array(10))
    input.fail(new CrankError('connection_lost', 'gone'))
    await assert.rejects(
      (async () => {
        for await (const _ of input);
      })(),
      /gone/,
    )
    const whole = new CreditedInput(() => {}, 1024)
    whole.push(new Uint8Array(10))
    whole.end()
    whole.fail(new CrankError('connection_lost', 'gone after the end'))
    let n = 0
    for await (const c of whole) n += c.byteLength
    assert.equal(n, 10)
  })

  it('the progress line shows the job’s own progress, else input against its size', () => {
    let now = 0
    const out: string[] = []
    const line = new ProgressLine({ write: (t: string) => out.push(t), columns: 200 }, { inputTotal: 4 * 1048576, now: () => now })
    now = 1000
    line.inputSent(1048576)
    assert.match(out.at(-1)!, /\[#{6}-{18}\]\s+25%\s+in 1\.0 MiB\/4\.0 MiB/)
    now = 2000
    line.progress({ done: 3, total: 4, message: 'echoing' })
    assert.match(out.at(-1)!, /75%.*echoing/)
    now = 2050
    line.output(1048576)
    assert.equal(out.length, 2, 'redrawn at most every 100 ms')
    line.clear()
    assert.equal(out.at(-1), '\r\x1b[K')
  })
})

describe('control client: a node that never answers', () => {
  it('a one-shot call gives up with deadline_exceeded, and a late answer is dropped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crank-control-mute-'))
    const sockets: Socket[] = []
    let received: () => void = () => {}
    const gotRequest = new Promise<void>((resolve) => (received = resolve))
    // Stands in for a wedged node: it takes the connection and the request, and says nothing.
    const mute = createServer((socket) => {
      sockets.push(socket)
      socket.once('data', () => received())
    })
    await new Promise<void>((resolve) => mute.listen(join(dir, 'control.sock'), resolve))
    const client = (await connectToNode(dir))!
    try {
      const call = client.call('status', undefined, 200)
      await gotRequest
      await assert.rejects(
        call,
        (err: CrankError) => err.code === 'deadline_exceeded' && /did not answer status within 200 ms/.test(err.message),
      )
      // The answer arriving after the give-up changes nothing and breaks nothing.
      sockets[0]!.write('{"id":1,"type":"result","value":{}}\n')
      const second = client.call('caps', undefined, 200)
      await assert.rejects(second, (err: CrankError) => err.code === 'deadline_exceeded')
    } finally {
      client.close()
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => mute.close(() => resolve()))
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('control socket: jobs.* goes to the node’s job store', function () {
  this.timeout(60_000)
  let dir: string
  let node: CrankNode
  let server: ControlServer
  let client: ControlClient

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crank-control-jobs-'))
    node = await createNode({ listen: [], logLevel: 'silent', trust: { openMesh: true } })
    await node.start()
    server = await ControlServer.listen({ node, dataDir: dir, log: node.log })
    client = (await connectToNode(dir))!
  })

  after(async () => {
    client?.close()
    await server?.close()
    await node?.stop({ drainTimeoutMs: 0 })
    await rm(dir, { recursive: true, force: true })
  })

  it('without a store, jobs.* answers not_supported', async () => {
    await assert.rejects(client.jobs('list', []), (err: CrankError) => err.code === 'not_supported' && /no job store/.test(err.message))
  })

  it('with a store, values (bytes too) and streamed items cross; other methods are not_supported', async () => {
    const storeDir = await mkdtemp(join(tmpdir(), 'crank-control-store-'))
    const withStore = await createNode({
      listen: [],
      logLevel: 'silent',
      dataDir: storeDir,
      capabilities: [echo],
      trust: { openMesh: true },
    })
    await withStore.start()
    const sockDir = await mkdtemp(join(tmpdir(), 'crank-control-jobs2-'))
    const server2 = await ControlServer.listen({ node: withStore, dataDir: sockDir, log: withStore.log })
    const client2 = (await connectToNode(sockDir))!
    try {
      const api = jobsThroughNode(client2)
      // Its first item resolves it; a round trip after it means the node has subscribed.
      const following = api.changes!() as Promise<AsyncIterable<{ id: string; state: string }>>
      await api.list!()
      const ids: string[] = []
      for (let i = 0; i < 3; i++) {
        const h = withStore.submit({ capability: 'example.echo', input: new Uint8Array([i, 1, 255]), durable: true })
        ids.push(h.id)
        await h.result
      }
      const ended = new Set<string>()
      for await (const change of await following) {
        if (change.state === 'succeeded') ended.add(change.id)
        if (ended.size === 3) break
      }
      assert.deepEqual([...ended].sort(), [...ids].sort())
      assert.deepEqual(await api.output!(ids[2]), new Uint8Array([2, 1, 255]))
      const listed = (await api.list!({ state: 'succeeded' })) as { id: string }[]
      assert.deepEqual(listed.map((j) => j.id).sort(), [...ids].sort())
      await assert.rejects(api.get!('no-such-job'), (err: CrankError) => err.code === 'unknown_job')
      // Only the JobsApi crosses: not what every object has, and not the store's lifecycle.
      for (const name of ['constructor', 'stop', 'start', 'nope']) {
        await assert.rejects(api[name]!(), (err: CrankError) => err.code === 'not_supported' && /no method/.test(err.message), name)
      }
      assert.ok(Array.isArray(await api.list!()), 'the connection is still good after all of that')
    } finally {
      client2.close()
      await server2.close()
      await withStore.stop({ drainTimeoutMs: 0 })
      await rm(storeDir, { recursive: true, force: true })
      await rm(sockDir, { recursive: true, force: true })
    }
  })
})
