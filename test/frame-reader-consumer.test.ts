import assert from 'node:assert/strict'
import type { Stream } from '@libp2p/interface'
import { describe, it } from 'mocha'
import { encodeVarint, FrameReader } from '../src/net/frame-stream.ts'

/**
 * A stand-in for a libp2p stream that, like the real one, dispatches data it buffered while
 * paused synchronously from resume(): the case where a reader could hand frames over out of order.
 */
class PausingStream extends EventTarget {
  readStatus: 'readable' | 'paused' = 'readable'
  private held: Array<Uint8Array | 'end'> = []

  receive(data: Uint8Array | 'end'): void {
    if (this.readStatus === 'paused') this.held.push(data)
    else if (data === 'end') this.dispatchEvent(new Event('remoteCloseWrite'))
    else this.dispatchEvent(Object.assign(new Event('message'), { data }))
  }

  pause(): void {
    this.readStatus = 'paused'
  }

  resume(): void {
    this.readStatus = 'readable'
    const held = this.held
    this.held = []
    for (const data of held) this.receive(data)
  }

  /** The remote closed its side, after what it sent (which may still be held). */
  end(): void {
    this.receive('end')
  }
}

const frame = (n: number, size: number): Uint8Array => {
  const body = new Uint8Array(size).fill(n)
  return Buffer.concat([encodeVarint(size), body])
}

describe('FrameReader consumer', () => {
  it('hands frames over in order, one at a time, when taking a frame resumes a paused stream', async () => {
    const stream = new PausingStream()
    const reader = new FrameReader(stream as unknown as Stream, { maxFrameBytes: 1024, highWaterMark: 1024 })
    const seen: number[] = []
    let inside = false
    let release: (() => void) | undefined
    const ended = new Promise<string>((resolve) => {
      reader.consume({
        frame: (bytes) => {
          assert.equal(inside, false, 'a frame was handed over while the previous one was still being handled')
          inside = true
          seen.push(bytes[0] as number)
          // Hold the first frame so later ones pile up past the mark and the stream pauses.
          const held = seen.length === 1 ? new Promise<void>((r) => (release = r)) : undefined
          inside = false
          return held
        },
        end: (err) => resolve(err === undefined ? 'clean' : err.code),
      })
    })
    for (let i = 1; i <= 8; i++) stream.receive(frame(i, 400))
    assert.equal(stream.readStatus, 'paused')
    assert.deepEqual(seen, [1])
    stream.end()
    release?.()
    assert.equal(await ended, 'clean')
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('keeps frames that arrive after release for the next consumer, and reports a malformed frame after the good ones', async () => {
    const stream = new PausingStream()
    const reader = new FrameReader(stream as unknown as Stream, { maxFrameBytes: 100, highWaterMark: 1024 })
    const first: number[] = []
    const firstConsumer = {
      frame: (bytes: Uint8Array) => {
        first.push(bytes[0] as number)
        reader.release(firstConsumer)
      },
      end: () => assert.fail('the first consumer was released before the end'),
    }
    reader.consume(firstConsumer)
    stream.receive(Buffer.concat([frame(1, 10), frame(2, 10)]))
    assert.deepEqual(first, [1])
    stream.receive(Buffer.concat([frame(3, 10), encodeVarint(101)]))
    const second: number[] = []
    const code = await new Promise<string | undefined>((resolve) => {
      reader.consume({ frame: (bytes) => void second.push(bytes[0] as number), end: (err) => resolve(err?.code) })
    })
    assert.deepEqual(second, [2, 3])
    assert.equal(code, 'frame_too_large')
  })
})
