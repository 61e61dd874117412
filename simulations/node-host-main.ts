/**
 * Entry point of a simulation host process (`npm run sim -- --processes`): it runs one or more
 * simulated nodes, driven by the parent over the IPC channel (see HostRequest / HostEvent in
 * node-host.ts).
 */
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { sampleProcess } from './meter.ts'
import type { HostEvent, HostRequest } from './node-host.ts'
import { driveLoad } from './sim-load.ts'
import { dialAddr, startSimNode, submitSimJob } from './sim-node.ts'

const send = (msg: HostEvent): void => {
  process.send?.(msg)
}

// An orphan must not linger: the parent's death (or its kill of us) ends this process.
process.on('disconnect', () => process.exit(0))

const nodes = new Map<number, Awaited<ReturnType<typeof startSimNode>>>()

process.on('message', (msg: HostRequest) => {
  switch (msg.type) {
    case 'start': {
      const { privateKey, ...rest } = msg.settings
      // Timestamps come from this host's clock, which parent and children share.
      const watch = {
        added: (peer: string, at: number) => send({ type: 'added', node: msg.node, peer, at }),
        removed: (peer: string) => send({ type: 'removed', node: msg.node, peer }),
      }
      startSimNode({ ...rest, privateKey: privateKeyFromProtobuf(privateKey) }, watch).then(
        (s) => {
          nodes.set(msg.node, s)
          send({ type: 'ready', node: msg.node, peerId: s.node.peerId.toString(), addr: dialAddr(s.node, 'tcp'), startedAt: s.startedAt })
        },
        (err: unknown) => send({ type: 'failed', node: msg.node, message: (err as Error).message }),
      )
      break
    }
    case 'submit': {
      const s = nodes.get(msg.node)
      if (s !== undefined) void submitSimJob(s.node, msg.job).then((report) => send({ type: 'report', id: msg.id, report }))
      break
    }
    case 'sample': {
      const live = [...nodes.values()].filter((s) => s.node.libp2p.status === 'started')
      send({ type: 'sample', id: msg.id, sample: { process: sampleProcess(live.length), nodes: live.map((s) => s.sample()) } })
      break
    }
    case 'load': {
      const live = [...nodes.values()].filter((s) => s.node.libp2p.status === 'started').map((s) => s.node)
      void driveLoad(live, msg.plan).then((outcome) => send({ type: 'loaded', id: msg.id, outcome }))
      break
    }
    case 'kill':
      // One node among several: stop its transport without draining, as the in-process harness does.
      void nodes.get(msg.node)?.node.libp2p.stop()
      break
    case 'exit':
      void Promise.allSettled([...nodes.values()].map((s) => s.node.stop({ drainTimeoutMs: 0 }))).finally(() => process.exit(0))
      break
  }
})
