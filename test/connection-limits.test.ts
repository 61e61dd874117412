/**
 * Sockets that never handshake cannot lock members out: one address holds at most
 * maxPendingInboundPerAddress of the node's pending slots, and each for at most
 * inboundUpgradeTimeoutMs. Real TCP on loopback; the idle sockets come from 127.0.0.2, the
 * member from 127.0.0.1 (Linux routes all of 127/8 to the loopback interface).
 */
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import echo from '../capabilities/example.echo/index.ts'
import { DEFAULT_CONFIG } from '../src/config.ts'
import { composeGaters } from '../src/net/gaters.ts'
import { addressGroup } from '../src/net/pending-inbound.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import { enrol } from './helpers/trust.ts'
import { until } from './helpers/wait.ts'

const IDLE_SOCKETS = 200
const ATTACKER = '127.0.0.2'

/** Keeps `count` raw TCP sockets open to host:port from `from`, reopening each one the node drops, as a hostile client would. */
function holdIdleSockets(host: string, port: number, from: string, count: number) {
  const open = new Set<Socket>()
  let opened = 0
  let stopped = false
  const one = (): void => {
    if (stopped) return
    const s = connect({ host, port, localAddress: from })
    s.on('connect', () => opened++)
    s.on('error', () => {})
    s.on('close', () => {
      open.delete(s)
      // A short pause keeps the reopen loop from spinning this (shared) machine's CPU.
      if (!stopped) setTimeout(one, 20).unref()
    })
    open.add(s)
  }
  for (let i = 0; i < count; i++) one()
  return {
    opened: () => opened,
    stop: () => {
      stopped = true
      for (const s of open) s.destroy()
    },
  }
}

describe('connection limits: idle unhandshaken sockets', function () {
  this.timeout(60_000)
  let nodes: CrankNode[] = []
  let attack: ReturnType<typeof holdIdleSockets> | undefined
  afterEach(async () => {
    attack?.stop()
    attack = undefined
    await Promise.all(nodes.map((n) => n.stop({ drainTimeoutMs: 0 })))
    nodes = []
  })

  it(`with ${IDLE_SOCKETS} idle sockets held open from one address, a new member still connects and runs a job`, async () => {
    assert.ok(IDLE_SOCKETS > DEFAULT_CONFIG.maxPendingInbound, 'more idle sockets than the node has pending slots')
    const provider = await createNode({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      logLevel: 'silent',
      capabilities: [echo],
      mesh: { dht: false },
      ...(await enrol({ name: 'provider' })),
    })
    await provider.start()
    nodes.push(provider)
    const addr = provider.multiaddrs.find((a) => a.toString().includes('/tcp/'))!
    const port = Number(addr.getComponents().find((c) => c.name === 'tcp')!.value)
    attack = holdIdleSockets('127.0.0.1', port, ATTACKER, IDLE_SOCKETS)
    // Every socket has been opened once, and the refused ones have come back at least once more.
    await until('the idle sockets to be open', () => attack!.opened() >= IDLE_SOCKETS + 50)

    const member = await createNode({ listen: [], logLevel: 'silent', mesh: { dht: false }, ...(await enrol({ name: 'member' })) })
    await member.start()
    nodes.push(member)
    const r = await member.submit({ capability: 'example.echo@^1', route: addr.toString(), params: { echo: 'through' }, input: 'hi' })
      .result
    assert.equal(r.route?.peer, provider.peerId.toString())
    assert.deepEqual(r.value, { echo: 'through', bytes: 2, chunks: 1 })
    assert.ok(attack.opened() > IDLE_SOCKETS, 'the attack was still running')
  })
})

describe('pending-inbound address groups', () => {
  it('counts an IPv4 address on its own, an IPv6 address by its /64, and IPv4-mapped IPv6 as IPv4', () => {
    assert.equal(addressGroup('10.0.0.1'), '10.0.0.1')
    assert.equal(addressGroup('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64')
    assert.equal(addressGroup('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64')
    assert.equal(addressGroup('2001:db8::1'), '2001:db8:0:0::/64')
    assert.equal(addressGroup('::ffff:192.0.2.7'), '192.0.2.7')
  })
})

describe('composed connection gaters', () => {
  it('deny when any gater denies, keep an address only when every gater keeps it, and call every gater', async () => {
    const calls: string[] = []
    const g = composeGaters(
      {
        denyDialMultiaddr: () => {
          calls.push('a')
          return false
        },
        filterMultiaddrForPeer: () => true,
      },
      {
        denyDialMultiaddr: async () => {
          calls.push('b')
          return true
        },
      },
      undefined,
    )
    // biome-ignore lint/suspicious/noExplicitAny: the arguments are passed through untouched and unused here
    const none = undefined as any
    assert.equal(await g.denyDialMultiaddr?.(none), true)
    assert.deepEqual(calls, ['a', 'b'])
    assert.equal(await g.filterMultiaddrForPeer?.(none, none), true)
    assert.equal(g.denyInboundConnection, undefined, 'a hook nobody implements stays absent')
  })
})
