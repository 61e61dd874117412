/**
 * The job lanes this node keeps to each provider (job-lane.ts). Jobs fill one lane before the
 * next is opened, since the gain of a lane is many frames per send; a caller whose lanes are all
 * full, or a provider that does not speak the lane protocol, gets undefined and sends the job on
 * a stream of its own (stream-pool.ts).
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { JobLane } from './job-lane.ts'
import { LANES_PER_CONNECTION, LANES_PER_PEER } from './limits.ts'
import { JOB_LANE_PROTOCOL } from './messages.ts'

export interface LanePoolOptions {
  maxFrameBytes: number
  /** Lanes opened per provider, at most LANES_PER_CONNECTION (what a provider accepts). */
  lanesPerPeer?: number
}

/** How long a provider that refused the lane protocol is not asked again. */
const NO_LANE_RETRY_MS = 60_000

export class LanePool {
  private readonly libp2p: Libp2p
  private readonly maxFrameBytes: number
  private readonly lanesPerPeer: number
  private readonly lanes = new Map<string, JobLane[]>()
  private readonly opening = new Map<string, Promise<void>>()
  /** Providers without the lane protocol, with when to try again. */
  private readonly refused = new Map<string, number>()
  private closed = false

  constructor(libp2p: Libp2p, opts: LanePoolOptions) {
    this.libp2p = libp2p
    this.maxFrameBytes = opts.maxFrameBytes
    this.lanesPerPeer = Math.min(opts.lanesPerPeer ?? LANES_PER_PEER, LANES_PER_CONNECTION)
  }

  /**
   * A lane to `peer` with room for one more job, without waiting; undefined when none has. A lane
   * that still holds `jobId` (a retry of a job given up on there) is passed over.
   */
  pick(peer: string, jobId?: string): JobLane | undefined {
    const list = this.lanes.get(peer)
    if (list === undefined) return undefined
    for (const lane of list) if (lane.hasRoom && (jobId === undefined || !lane.holds(jobId))) return lane
    return undefined
  }

  /**
   * Whether `peer` has a lane with room now, opening one if the provider may have another; false
   * when the job should take a stream of its own. The caller picks its lane after this resolves
   * (others may take slots while it waits). Never throws: a lane that fails to open is no lane.
   */
  async open(peerId: PeerId, signal?: AbortSignal): Promise<boolean> {
    const peer = peerId.toString()
    let dialled = false
    for (;;) {
      if (this.closed) return false
      if (this.pick(peer) !== undefined) return true
      const until = this.refused.get(peer)
      if (until !== undefined) {
        if (Date.now() < until) return false
        this.refused.delete(peer)
      }
      const pending = this.opening.get(peer)
      if (pending !== undefined) {
        await pending
        continue
      }
      // One dial per job at most: one that added no lane (refused, unreachable, aborted) is not retried here.
      if (dialled || (this.lanes.get(peer)?.length ?? 0) >= this.lanesPerPeer) return false
      dialled = true
      const opened = this.dial(peerId, peer, signal)
      this.opening.set(peer, opened)
      try {
        await opened
      } finally {
        this.opening.delete(peer)
      }
    }
  }

  private async dial(peerId: PeerId, peer: string, signal?: AbortSignal): Promise<void> {
    let stream: Awaited<ReturnType<Libp2p['dialProtocol']>>
    try {
      stream = await this.libp2p.dialProtocol(peerId, JOB_LANE_PROTOCOL, {
        ...(signal === undefined ? {} : { signal }),
        maxOutboundStreams: this.lanesPerPeer,
      })
    } catch (err) {
      // An older provider: its job streams serve as before. Other failures surface on that path too.
      if ((err as Error).name === 'UnsupportedProtocolError') this.refused.set(peer, Date.now() + NO_LANE_RETRY_MS)
      return
    }
    if (this.closed) {
      stream.abort(new Error('node stopping'))
      return
    }
    const lane = new JobLane(stream, peer, this.maxFrameBytes, (ended) => this.remove(ended))
    const list = this.lanes.get(peer) ?? []
    list.push(lane)
    this.lanes.set(peer, list)
  }

  private remove(lane: JobLane): void {
    const list = this.lanes.get(lane.peer)
    if (list === undefined) return
    const at = list.indexOf(lane)
    if (at >= 0) list.splice(at, 1)
    if (list.length === 0) this.lanes.delete(lane.peer)
  }

  closeAll(): void {
    this.closed = true
    for (const list of this.lanes.values()) for (const lane of list) lane.stream.abort(new Error('node stopping'))
    this.lanes.clear()
  }
}
