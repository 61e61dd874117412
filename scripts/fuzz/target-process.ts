/**
 * The fuzz target: one real Crank node (example.echo, enrolled in the harness's
 * CA) in its own OS process, so that a crash, an unhandled rejection included,
 * shows as an exit the harness can count instead of taking the harness down.
 * Prints one JSON line with its address once started; `rss` on stdin prints its RSS.
 */
import { createInterface } from 'node:readline'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import echo from '../../capabilities/example.echo/index.ts'
import { createNode } from '../../src/node.ts'

interface TargetSpec {
  key: string
  ca: string
  certificate: string
}

const spec = JSON.parse(process.env.CRANK_FUZZ_TARGET ?? '{}') as TargetSpec
const node = await createNode({
  name: 'fuzz-target',
  listen: ['/ip4/127.0.0.1/tcp/0'],
  logLevel: 'silent',
  capabilities: [echo],
  privateKey: privateKeyFromProtobuf(Buffer.from(spec.key, 'base64')),
  membership: { ca: spec.ca, certificate: spec.certificate },
})
await node.start()
console.log(JSON.stringify({ peerId: node.peerId.toString(), addr: `${node.multiaddrs[0]!.toString()}` }))
createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line === 'rss') console.log(JSON.stringify({ rss: process.memoryUsage.rss(), frameBytes: node.frameBudget.held }))
  })
  // The harness went away (killed, crashed): no one is left to fuzz us.
  .on('close', () => process.exit(0))
process.on('SIGTERM', () => {
  node.stop({ drainTimeoutMs: 0 }).then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
