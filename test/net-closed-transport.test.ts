import assert from 'node:assert/strict'
import type { Libp2p } from '@libp2p/interface'
import type { NetServices } from '../src/net/libp2p.ts'
import { plainNet } from './helpers/plain-net.ts'

/** The muxer and transport behind a connection: libp2p keeps them off its public types. */
interface ConnectionInternals {
  muxer: { send(data: Uint8Array): boolean }
  maConn: { close(): Promise<void>; status: string }
}

const node = (name: string): Promise<Libp2p<NetServices>> => plainNet(`/memory/closed-transport-${name}`)

describe('a muxer whose transport has closed', () => {
  let a: Libp2p<NetServices>
  let b: Libp2p<NetServices>
  after(async () => {
    await a?.stop()
    await b?.stop()
  })

  // yamux sends a new stream's SYN from a microtask; a frame sent there after the transport
  // closed used to throw where nothing could catch it, and the process died.
  it('drops a late frame instead of throwing', async () => {
    a = await node('a')
    b = await node('b')
    const conn = (await a.dial(b.getMultiaddrs()[0]!)) as unknown as ConnectionInternals
    assert.equal(conn.maConn.status, 'open')
    await conn.maConn.close()
    assert.notEqual(conn.maConn.status, 'open')
    assert.equal(conn.muxer.send(new Uint8Array(12)), true)
  })
})
