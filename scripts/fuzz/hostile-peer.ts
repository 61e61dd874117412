/**
 * A plain js-libp2p peer, built with createLibp2p and nothing of Crank's
 * networking: the kind of client an attacker writes. It speaks Crank's wire
 * formats only through the generated protobuf code. A member presents its
 * certificate in the membership Hello exchange by hand; a stranger presents none.
 */
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Connection, Libp2p, PrivateKey, Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { lpStream } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { Uint8ArrayList } from 'uint8arraylist'
import { crank as jobPb } from '../../src/net/pb/job.js'
import { crank as membershipPb } from '../../src/net/pb/membership.js'

export const MEMBERSHIP_PROTOCOL = '/crank/membership/1.0.0'
export const SNAPSHOT_PROTOCOL = '/crank/adverts/snapshot/1.0.0'
export const JOB_PROTOCOL = '/crank/job/1.0.0'
export const JOB_LANE_PROTOCOL = '/crank/job-lane/1.0.0'
export const ADVERT_TOPIC = 'crank/adverts/1'

const Hello = membershipPb.membership.v1.Hello

export interface HostilePeerOptions {
  privateKey: PrivateKey
  /** PEM membership certificate; absent for a stranger. */
  certificate?: string
  /** What to answer when the target asks this peer for an advert snapshot. */
  snapshot?: () => Uint8Array[]
}

function derOf(pem: string): Uint8Array {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
}

export class HostilePeer {
  readonly libp2p: Libp2p
  private readonly hello: Uint8Array
  private readonly helloReply: Uint8Array
  private conn: Connection | undefined

  private constructor(libp2p: Libp2p, certificate: Uint8Array) {
    this.libp2p = libp2p
    this.hello = Hello.encode({ certificate, crl: new Uint8Array(), reply: true }).finish()
    this.helloReply = Hello.encode({ certificate, crl: new Uint8Array(), reply: false }).finish()
  }

  static async create(opts: HostilePeerOptions): Promise<HostilePeer> {
    const libp2p = await createLibp2p({
      privateKey: opts.privateKey,
      addresses: { listen: [] },
      transports: [tcp()],
      connectionEncrypters: [tls()],
      streamMuxers: [yamux({ maxInboundStreams: 4096, maxOutboundStreams: 4096 })],
      connectionManager: { maxConnections: 16 },
      services: {
        identify: identify(),
        pubsub: gossipsub({ globalSignaturePolicy: 'StrictSign', allowPublishToZeroTopicPeers: true, emitSelf: false }),
      },
    })
    const peer = new HostilePeer(libp2p, opts.certificate === undefined ? new Uint8Array() : derOf(opts.certificate))
    await libp2p.handle(MEMBERSHIP_PROTOCOL, (stream) => peer.answerHello(stream), { maxInboundStreams: 64 })
    const snapshot = opts.snapshot
    if (snapshot !== undefined) {
      await libp2p.handle(
        SNAPSHOT_PROTOCOL,
        (stream) => {
          for (const chunk of snapshot()) stream.send(chunk)
          void stream.close().catch(() => {})
        },
        { maxInboundStreams: 64 },
      )
    }
    await libp2p.start()
    ;(libp2p.services.pubsub as { subscribe(topic: string): void }).subscribe(ADVERT_TOPIC)
    return peer
  }

  private async answerHello(stream: Stream): Promise<void> {
    const signal = AbortSignal.timeout(5000)
    try {
      const lp = lpStream(stream, { maxDataLength: 64 * 1024 })
      const theirs = Hello.decode((await lp.read({ signal })).subarray())
      if (theirs.reply) await lp.write(this.helloReply, { signal })
      await stream.close({ signal })
    } catch {
      stream.abort(new Error('hello failed'))
    }
  }

  /** An open connection to the target, presenting our Hello on each new one. */
  async connect(addr: string): Promise<Connection> {
    if (this.conn?.status === 'open') return this.conn
    const conn = await this.libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(5000) })
    this.conn = conn
    const signal = AbortSignal.timeout(5000)
    try {
      const stream = await conn.newStream(MEMBERSHIP_PROTOCOL, { signal })
      const lp = lpStream(stream, { maxDataLength: 64 * 1024 })
      await lp.write(this.hello, { signal })
      await lp.read({ signal }).catch(() => undefined)
      await stream.close({ signal }).catch(() => {})
    } catch {
      // a stranger's Hello may be refused; the connection still stands for its grace period
    }
    return conn
  }

  /** Drops the connection (a fresh one gets a fresh identify, which makes the target ask for a snapshot). */
  async disconnect(): Promise<void> {
    const conn = this.conn
    this.conn = undefined
    await conn?.close().catch(() => {})
  }

  async publish(data: Uint8Array): Promise<void> {
    await (this.libp2p.services.pubsub as { publish(topic: string, data: Uint8Array): Promise<unknown> }).publish(ADVERT_TOPIC, data)
  }

  async stop(): Promise<void> {
    try {
      await this.libp2p.stop()
    } catch {
      // already stopping
    }
  }
}

function readVarint(buf: Uint8ArrayList): { value: number; bytes: number } | undefined {
  let value = 0
  for (let i = 0; i < 5 && i < buf.byteLength; i++) {
    const b = buf.get(i)
    value += (b & 0x7f) * 2 ** (7 * i)
    if ((b & 0x80) === 0) return { value, bytes: i + 1 }
  }
  return undefined
}

/**
 * Sends `chunks` on a fresh stream (then half-closes, if asked) and names what came back:
 * on the job protocol the first terminal frame (`result`, `rejected:<code>`, `error:<code>`),
 * elsewhere `answered`; `closed` or `reset` when the stream ended without one, `held` after `timeoutMs`.
 */
export async function exchange(
  conn: Connection,
  protocol: string,
  chunks: Uint8Array[],
  halfClose: boolean,
  timeoutMs: number,
): Promise<string> {
  let stream: Stream
  try {
    stream = await conn.newStream(protocol, { signal: AbortSignal.timeout(timeoutMs), maxOutboundStreams: 4096 })
  } catch (err) {
    return `no-stream(${(err as Error).name})`
  }
  const got = new Uint8ArrayList()
  return new Promise<string>((resolve) => {
    let settled = false
    const done = (answer: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (stream.status === 'open') stream.abort(new Error('case over'))
      resolve(answer)
    }
    const timer = setTimeout(() => done('held'), timeoutMs)
    stream.addEventListener('message', (evt) => {
      got.append(evt.data)
      if (protocol !== JOB_PROTOCOL && protocol !== JOB_LANE_PROTOCOL) {
        if (got.byteLength > 0) done('answered')
        return
      }
      for (;;) {
        const h = readVarint(got)
        if (h === undefined || got.byteLength < h.bytes + h.value) return
        const body = got.subarray(h.bytes, h.bytes + h.value)
        got.consume(h.bytes + h.value)
        let frame: jobPb.job.v1.ServerFrame
        try {
          frame = jobPb.job.v1.ServerFrame.decode(body)
        } catch {
          return done('undecodable-answer')
        }
        if (frame.frame === 'rejected') return done(`rejected:${frame.rejected?.code}`)
        if (frame.frame === 'error') return done(`error:${frame.error?.code}`)
        if (frame.frame === 'result') return done('result')
      }
    })
    stream.addEventListener('close', (evt) => done(evt.error === undefined ? 'closed' : 'reset'))
    try {
      for (const chunk of chunks) stream.send(chunk)
      if (halfClose) void stream.close().catch(() => {})
    } catch {
      done('send-failed')
    }
  })
}
