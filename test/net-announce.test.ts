import assert from 'node:assert/strict'
import { connect, createServer, type Server } from 'node:net'
import echo from '../capabilities/example.echo/index.ts'
import { type CrankNode, createNode } from '../src/index.ts'
import { enrol } from './helpers/trust.ts'

/** A free loopback port: bound, read, released. */
async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as { port: number }
  await new Promise((resolve) => s.close(resolve))
  return port
}

describe('announce addresses (NAT, containers)', () => {
  let forwarder: Server
  let provider: CrankNode
  let client: CrankNode
  let forwarded = 0

  after(async () => {
    await client?.stop({ drainTimeoutMs: 0 })
    await provider?.stop({ drainTimeoutMs: 0 })
    forwarder?.close()
  })

  it('a node advertises its announce address, not its listen address, and peers reach it there', async () => {
    // The forwarder stands in for a NAT's port mapping: only it knows the node's real port.
    const listenPort = await freePort()
    forwarder = createServer((inbound) => {
      forwarded++
      const upstream = connect(listenPort, '127.0.0.1')
      inbound.pipe(upstream).pipe(inbound)
      inbound.on('error', () => upstream.destroy())
      upstream.on('error', () => inbound.destroy())
    })
    await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve))
    const publicPort = (forwarder.address() as { port: number }).port

    provider = await createNode({
      ...(await enrol({ name: 'behind-nat' })),
      listen: [`/ip4/127.0.0.1/tcp/${listenPort}`],
      announce: [`/ip4/127.0.0.1/tcp/${publicPort}`],
      capabilities: [echo],
      logLevel: 'silent',
      mesh: { dht: false },
    })
    client = await createNode({ ...(await enrol({ name: 'outside' })), listen: [], logLevel: 'silent', mesh: { dht: false } })
    await provider.start()
    await client.start()

    const announced = provider.multiaddrs.map((ma) => ma.toString())
    assert.ok(announced.length > 0)
    for (const addr of announced) assert.ok(addr.includes(`/tcp/${publicPort}/`), `announced ${addr}`)

    const { value } = await client.submit({ capability: 'example.echo', params: { echo: 'via nat' }, route: announced[0]! }).result
    assert.deepEqual((value as { echo: string }).echo, 'via nat')
    assert.ok(forwarded > 0, 'the client dialled the announced address')
  })
})
