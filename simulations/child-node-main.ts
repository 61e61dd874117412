/**
 * Entry point of one simulated node in its own OS process (`npm run sim -- --processes`).
 * The parent drives it over the IPC channel: see ChildMessage / ParentMessage in child-node.ts.
 */
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import type { ChildMessage, ParentMessage } from './child-node.ts'
import { dialAddr, startSimNode, submitSimJob } from './sim-node.ts'

const send = (msg: ChildMessage): void => {
  process.send?.(msg)
}

// An orphan must not linger: the parent's death (or its kill of us) ends this process.
process.on('disconnect', () => process.exit(0))

let started: Awaited<ReturnType<typeof startSimNode>> | undefined

process.on('message', (msg: ParentMessage) => {
  switch (msg.type) {
    case 'init': {
      const { privateKey, ...rest } = msg.settings
      startSimNode({ ...rest, privateKey: privateKeyFromProtobuf(privateKey) }).then(
        (s) => {
          started = s
          // Timestamps come from this host's clock, which parent and children share.
          s.node.mesh.on('added', (peer) => send({ type: 'added', peer, at: Date.now() }))
          s.node.mesh.on('removed', (peer) => send({ type: 'removed', peer }))
          for (const [peer, at] of s.learned) send({ type: 'added', peer, at })
          send({ type: 'ready', peerId: s.node.peerId.toString(), addr: dialAddr(s.node, 'tcp'), startedAt: s.startedAt })
        },
        (err: unknown) => {
          send({ type: 'failed', message: (err as Error).message })
          process.exit(1)
        },
      )
      break
    }
    case 'submit':
      if (started === undefined) return
      void submitSimJob(started.node, msg.job).then((report) => send({ type: 'report', id: msg.id, report }))
      break
    case 'stop':
      void (started?.node.stop({ drainTimeoutMs: 0 }) ?? Promise.resolve()).finally(() => process.exit(0))
      break
  }
})
