/**
 * Keeps open job streams per peer so a small remote job costs one round trip on
 * an open stream instead of a stream open (about 10× dearer).
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { FrameReader, FrameWriter } from '../net/frame-stream.ts'
import { JOB_PROTOCOL } from './messages.ts'

export interface JobStream {
  readonly stream: Stream
  readonly reader: FrameReader
  readonly writer: FrameWriter
  readonly peer: string
}

export interface StreamPoolOptions {
  maxFrameBytes: number
  /** Idle streams kept per peer; more than this are closed when released. */
  maxIdlePerPeer: number
  maxOutboundStreams: number
}

export class StreamPool {
  private readonly libp2p: Libp2p
  private readonly opts: StreamPoolOptions
  private readonly idle = new Map<string, JobStream[]>()

  constructor(libp2p: Libp2p, opts: StreamPoolOptions) {
    this.libp2p = libp2p
    this.opts = opts
  }

  async acquire(peerId: PeerId, signal?: AbortSignal): Promise<JobStream> {
    const peer = peerId.toString()
    const list = this.idle.get(peer)
    while (list !== undefined && list.length > 0) {
      const js = list.pop() as JobStream
      if (isUsable(js)) return js
    }
    const stream = await this.libp2p.dialProtocol(peerId, JOB_PROTOCOL, {
      ...(signal === undefined ? {} : { signal }),
      maxOutboundStreams: this.opts.maxOutboundStreams,
    })
    // The provider closed its side (it is stopping): close ours, so it need not wait for us.
    stream.addEventListener('remoteCloseWrite', () => void stream.close().catch(() => {}), { once: true })
    return {
      stream,
      peer,
      reader: new FrameReader(stream, { maxFrameBytes: this.opts.maxFrameBytes, highWaterMark: this.opts.maxFrameBytes * 2 }),
      writer: new FrameWriter(stream),
    }
  }

  /** Returns a stream after a job ended cleanly on it. */
  release(js: JobStream): void {
    if (!isUsable(js)) return
    const list = this.idle.get(js.peer) ?? []
    if (list.length >= this.opts.maxIdlePerPeer) {
      void js.stream.close().catch(() => {})
      return
    }
    list.push(js)
    this.idle.set(js.peer, list)
  }

  /** Drops a stream whose state can't be trusted (cancel timeout, protocol error). */
  discard(js: JobStream, err: Error): void {
    js.stream.abort(err)
  }

  closeAll(): void {
    for (const list of this.idle.values()) for (const js of list) js.stream.abort(new Error('node stopping'))
    this.idle.clear()
  }
}

function isUsable(js: JobStream): boolean {
  return js.stream.status === 'open' && js.stream.writeStatus === 'writable' && js.reader.error === undefined
}
