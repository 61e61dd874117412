/**
 * The gateway in front of a node that serves nothing itself: two enrolled nodes on loopback TCP,
 * jobs submitted over HTTP run on the other, and the mesh routes show the provider, its peer
 * connection and its membership; the node is ready once it has joined.
 */
import assert from 'node:assert/strict'
import echo from '../capabilities/example.echo/index.ts'
import { type BuiltGateway, buildGateway } from '../src/gateway/server.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import { enrol } from './helpers/trust.ts'
import { until } from './helpers/wait.ts'

describe('HTTP gateway: a job through the mesh', function () {
  this.timeout(60_000)
  let provider: CrankNode
  let front: CrankNode
  let gw: BuiltGateway

  before(async () => {
    provider = await createNode({
      name: 'provider',
      listen: ['/ip4/127.0.0.1/tcp/0'],
      logLevel: 'silent',
      mesh: { dht: false },
      ...(await enrol({ name: 'provider' })),
      capabilities: [echo],
    })
    await provider.start()
    front = await createNode({
      name: 'front',
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [provider.multiaddrs[0]!.toString()],
      logLevel: 'silent',
      mesh: { dht: false },
      ...(await enrol({ name: 'front' })),
    })
    await front.start()
    await until("the provider's advert", () => front.mesh.get(provider.peerId.toString()) !== undefined, 30_000)
    gw = await buildGateway(front, { listen: '127.0.0.1:0' })
  })

  after(async () => {
    await gw?.close()
    await Promise.all([front?.stop(), provider?.stop()])
  })

  it('runs a submitted job on the provider and streams its output back', async () => {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/v1/jobs?wait=true',
      payload: {
        capability: 'example.echo@^1',
        params: { echo: 'remote' },
        input: { base64: Buffer.from('over the mesh').toString('base64') },
      },
    })
    assert.equal(res.statusCode, 200, res.body)
    const job = res.json()
    assert.equal(job.state, 'succeeded')
    assert.equal(job.peer, provider.peerId.toString())
    assert.deepEqual(job.result, { echo: 'remote', bytes: 13, chunks: 1 })
    assert.equal((await gw.app.inject({ method: 'GET', url: job.links.output })).body, 'over the mesh')
  })

  it('refuses invalid params the provider checked, as a problem document', async () => {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { capability: 'example.echo', params: { progressEvery: -1 } },
    })
    assert.equal(res.statusCode, 422, res.body)
    assert.equal(res.json().code, 'invalid_params')
  })

  it('shows the provider in capabilities, mesh, peers and members, and is ready', async () => {
    const peer = provider.peerId.toString()
    const caps = (await gw.app.inject({ method: 'GET', url: '/v1/capabilities' })).json() as {
      capabilities: Array<{ id: string; version: string; providers: Array<{ peer: string; name: string; self: boolean; ageMs: number }> }>
    }
    const echoCap = caps.capabilities.find((c) => c.id === 'example.echo')
    assert.equal(echoCap?.version, '1.0.0')
    assert.deepEqual(
      echoCap?.providers.map((p) => [p.peer, p.name, p.self]),
      [[peer, 'provider', false]],
    )
    assert.ok((echoCap?.providers[0]?.ageMs ?? -1) >= 0)
    const mesh = (await gw.app.inject({ method: 'GET', url: '/v1/mesh' })).json() as {
      nodes: Array<{ peer: string; self: boolean; capabilities: string[]; connected: boolean; member: boolean }>
    }
    assert.deepEqual(
      mesh.nodes.map((n) => [n.self, n.capabilities]),
      [
        [true, []],
        [false, ['example.echo@1.0.0']],
      ],
    )
    assert.equal(mesh.nodes[1]?.connected, true)
    assert.equal(mesh.nodes[1]?.member, true)
    const peers = (await gw.app.inject({ method: 'GET', url: '/v1/peers' })).json() as {
      peers: Array<{ peer: string; member: boolean; name: string }>
    }
    assert.ok(peers.peers.some((p) => p.peer === peer && p.member && p.name === 'provider'))
    const members = (await gw.app.inject({ method: 'GET', url: '/v1/members' })).json() as {
      openMesh: boolean
      members: Array<{ peerId: string; name: string }>
    }
    assert.equal(members.openMesh, false)
    assert.ok(members.members.some((m) => m.peerId === peer && m.name === 'provider'))
    const ready = await gw.app.inject({ method: 'GET', url: '/readyz' })
    assert.equal(ready.statusCode, 200, ready.body)
    assert.deepEqual(ready.json(), { ready: true, checks: { started: true, member: true, notIsolated: true } })
  })
})
