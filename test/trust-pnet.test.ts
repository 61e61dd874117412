import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import echo from '../capabilities/example.echo/index.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import { enrol } from './helpers/trust.ts'

describe('optional pre-shared network key (@libp2p/pnet) under TLS', function () {
  this.timeout(20_000)
  const dir = mkdtempSync(join(tmpdir(), 'crank-pnet-'))
  const nodes: CrankNode[] = []
  after(() => Promise.all(nodes.map((n) => n.stop({ drainTimeoutMs: 0 }))))

  async function node(name: string, keyFile: string, capabilities = [echo]): Promise<CrankNode> {
    const n = await createNode({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      logLevel: 'silent',
      mesh: { dht: false },
      trust: { swarmKeyFile: join(dir, keyFile) },
      ...(await enrol({ name })),
      capabilities,
    })
    await n.start()
    nodes.push(n)
    return n
  }

  it('members with the same key run jobs; a member holding another key cannot even connect', async () => {
    const a = await node('a', 'swarm.key')
    const b = await node('b', 'swarm.key', [])
    const r = await b.submit({ capability: 'example.echo', params: { echo: 'psk' }, route: a.multiaddrs[0]!.toString() }).result
    assert.deepEqual(r.value, { echo: 'psk', bytes: 0, chunks: 0 })
    const outsider = await node('c', 'other.key', [])
    await assert.rejects(outsider.connect(a.multiaddrs[0]!), { code: 'peer_unreachable' })
  })
})
