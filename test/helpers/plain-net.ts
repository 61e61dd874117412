import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { createNet, type NetServices } from '../../src/net/libp2p.ts'

/**
 * A libp2p node on the memory transport with Crank's network stack and nothing of Crank on top
 * (no membership, no job protocol): a stranger, or a bare connection to poke at.
 */
export async function plainNet(listen: string, opts: { privateKey?: PrivateKey; dht?: boolean } = {}): Promise<Libp2p<NetServices>> {
  const { libp2p } = await createNet({
    privateKey: opts.privateKey ?? (await generateKeyPair('Ed25519')),
    listen: [listen],
    transports: ['memory'],
    maxStreamsPerConnection: 64,
    maxConnections: 50,
    maxPendingInbound: 64,
    maxPendingInboundPerAddress: 64,
    inboundUpgradeTimeoutMs: 5000,
    maxPubsubMessageBytes: 64 * 1024,
    dht: opts.dht ?? false,
  })
  return libp2p
}
