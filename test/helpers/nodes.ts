import { builtinCapabilities } from '../../capabilities/index.ts'
import type { AnyCapability } from '../../src/capability.ts'
import { type CrankNode, createNode, type NodeInit } from '../../src/node.ts'
import { enrol } from './trust.ts'

/** Starts `count` real, enrolled mesh members on loopback TCP (TLS + yamux); the first serves `capabilities`. */
export async function startNodes(
  count: number,
  capabilities: AnyCapability[] = builtinCapabilities,
  init: NodeInit = {},
): Promise<CrankNode[]> {
  const nodes: CrankNode[] = []
  for (let i = 0; i < count; i++) {
    const node = await createNode({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      logLevel: 'silent',
      mesh: { dht: false },
      ...(await enrol({ name: `node-${i}` })),
      ...init,
      capabilities: i === 0 ? capabilities : [],
    })
    await node.start()
    nodes.push(node)
  }
  return nodes
}

export async function stopNodes(nodes: CrankNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()))
}

export function patternBytes(size: number): Uint8Array {
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 8)) & 0xff
  return out
}
