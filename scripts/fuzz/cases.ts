/**
 * Hostile frames for each Crank protocol, drawn from a seeded generator: random
 * bytes, truncated and oversize frames, deeply nested params, and structurally
 * valid protobufs whose fields are out of range. Each case says what it sends;
 * the harness reports what came back.
 */

import { encodeVarint } from '../../src/net/frame-stream.ts'
import { crank as advertPb } from '../../src/net/pb/advert.js'
import { crank as jobPb } from '../../src/net/pb/job.js'
import { crank as membershipPb } from '../../src/net/pb/membership.js'

const job = jobPb.job.v1
const advert = advertPb.advert.v1
const Hello = membershipPb.membership.v1.Hello

export type Protocol = 'job' | 'membership' | 'snapshot-request' | 'snapshot-serve' | 'gossip'

export interface FuzzCase {
  protocol: Protocol
  /** A short name for the shape of the case, e.g. `deep-params`. */
  shape: string
  /** Bytes to send, in order, each as one write. */
  chunks: Uint8Array[]
  /** Close our side once sent (half-close); otherwise wait for an answer with the stream open. */
  halfClose: boolean
}

export type Rng = () => number

/** Crank's frame length prefix (LEB128). */
export const varint = encodeVarint

export function framed(body: Uint8Array): Uint8Array {
  return Buffer.concat([varint(body.byteLength), body])
}

const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1))
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.floor(rng() * 256)
  return out
}

function randomString(rng: Rng, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += String.fromCharCode(int(rng, 0, 0xffff))
  return s
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s)

function nested(depth: number, open: string, close: string, core = '1'): string {
  return open.repeat(depth) + core + close.repeat(depth)
}

function submitFrame(rng: Rng, overrides: Record<string, unknown> = {}): Uint8Array {
  return job.ClientFrame.encode(
    job.ClientFrame.create({
      submit: {
        jobId: `fuzz-${Math.floor(rng() * 1e9)}`,
        capability: 'example.echo',
        versionRange: '^1',
        paramsJson: text(JSON.stringify({ echo: Math.floor(rng() * 1000) })),
        ...overrides,
      },
    }),
  ).finish()
}

function hostileParams(rng: Rng): { shape: string; json: Uint8Array } {
  switch (int(rng, 0, 9)) {
    case 0: {
      const depth = int(rng, 65, 20_000)
      return { shape: 'deep-params', json: text(`{"echo":${nested(depth, '[', ']')}}`) }
    }
    case 1: {
      const depth = int(rng, 65, 20_000)
      return { shape: 'deep-params', json: text(`{"echo":${nested(depth, '{"a":', '}')}}`) }
    }
    case 2:
      return { shape: 'shallow-params', json: text(`{"echo":${nested(int(rng, 1, 60), '[', ']')}}`) }
    case 3:
      return { shape: 'bad-json', json: randomBytes(rng, int(rng, 1, 200)) }
    case 4:
      return { shape: 'bad-utf8', json: Uint8Array.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]) }
    case 5:
      return { shape: 'odd-numbers', json: text('{"echo":[1e400,-0,123456789012345678901234567890,"\\ud800"]}') }
    case 6:
      return { shape: 'brackets-in-strings', json: text(`{"echo":"${'['.repeat(int(rng, 100, 5000))}"}`) }
    case 7:
      return { shape: 'big-params', json: text(`{"echo":"${'x'.repeat(int(rng, 100_000, 1_000_000))}"}`) }
    case 8:
      return { shape: 'params-not-object', json: text(pick(rng, ['[]', '"s"', '42', 'null', 'true'])) }
    default:
      return { shape: 'unicode-params', json: text(JSON.stringify({ echo: randomString(rng, int(rng, 1, 100)) })) }
  }
}

export function jobCase(rng: Rng, maxFrameBytes: number): FuzzCase {
  const kind = int(rng, 0, 15)
  const c = (shape: string, chunks: Uint8Array[], halfClose = rng() < 0.3): FuzzCase => ({ protocol: 'job', shape, chunks, halfClose })
  switch (kind) {
    case 0:
      return c('valid-echo', [framed(submitFrame(rng))])
    case 1:
    case 2: {
      const p = hostileParams(rng)
      return c(p.shape, [framed(submitFrame(rng, { paramsJson: p.json }))])
    }
    case 3:
      return c('random-bytes', [randomBytes(rng, int(rng, 1, 4096))])
    case 4:
      return c('random-frame', [framed(randomBytes(rng, int(rng, 0, 4096)))])
    case 5:
      return c('oversize-prefix', [varint(int(rng, maxFrameBytes + 1, 2 ** 34)), randomBytes(rng, int(rng, 0, 64))])
    case 6: {
      const whole = framed(submitFrame(rng))
      return c('truncated', [whole.subarray(0, int(rng, 1, whole.byteLength - 1))], true)
    }
    case 7: {
      const whole = framed(submitFrame(rng))
      for (let i = int(rng, 1, 8); i > 0; i--) whole[int(rng, 0, whole.byteLength - 1)] = Math.floor(rng() * 256)
      return c('bitflip', [whole])
    }
    case 8:
      return c('invalid-varint', [Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])])
    case 9:
      return c('empty-frame', [varint(0)])
    case 10: {
      const overrides = pick(rng, [
        { jobId: '' },
        { priority: randomString(rng, int(rng, 1, 20)) },
        { deadlineMs: 2 ** 32 - 1 },
        { deadlineMs: 2 ** 31 },
        { deadlineMs: 1 },
        { capability: randomString(rng, int(rng, 0, 300)) },
        { versionRange: pick(rng, ['>>>', '^99', randomString(rng, 200), '1.x || >=2.5.0 || 5.0.0 - 7.2.3'.repeat(50)]) },
        { meta: Object.fromEntries(Array.from({ length: int(rng, 100, 2000) }, (_, i) => [`k${i}`, 'v'.repeat(100)])) },
        { paramsJson: new Uint8Array() },
      ])
      return c(`hostile-submit:${Object.keys(overrides)[0]}`, [framed(submitFrame(rng, overrides))])
    }
    case 11: {
      const jobId = `fuzz-${Math.floor(rng() * 1e9)}`
      const submit = framed(submitFrame(rng, { jobId, hasInput: true }))
      const chunks = Array.from({ length: int(rng, 0, 4) }, () =>
        framed(job.ClientFrame.encode({ inputChunk: { jobId, data: randomBytes(rng, int(rng, 0, 2048)) } }).finish()),
      )
      const end = rng() < 0.6 ? [framed(job.ClientFrame.encode({ inputEnd: { jobId } }).finish())] : []
      return c(end.length > 0 ? 'input-stream' : 'input-unfinished', [submit, ...chunks, ...end], end.length === 0 ? true : rng() < 0.5)
    }
    case 12: {
      const frames = Array.from({ length: int(rng, 1, 8) }, () => {
        const id = rng() < 0.5 ? 'same' : randomString(rng, 8)
        return framed(
          job.ClientFrame.encode(
            pick(rng, [
              { inputChunk: { jobId: id, data: randomBytes(rng, 64) } },
              { inputEnd: { jobId: id } },
              { cancel: { jobId: id, reason: randomString(rng, 50) } },
              { submit: { jobId: id, capability: 'example.echo', paramsJson: text('{}') } },
            ]),
          ).finish(),
        )
      })
      return c('frame-sequence', frames)
    }
    case 13:
      return c('partial-large-frame', [varint(maxFrameBytes - 16), randomBytes(rng, int(rng, 1024, 256 * 1024))], false)
    case 14:
      // A server frame sent to a server, and a valid frame with trailing unknown fields.
      return c(pick(rng, ['server-frame', 'unknown-fields']), [
        framed(
          rng() < 0.5
            ? job.ServerFrame.encode({ result: { jobId: 'x', resultJson: text('{}') } }).finish()
            : Buffer.concat([submitFrame(rng), Uint8Array.from([0xf8, 0x07, 0x01])]),
        ),
      ])
    default: {
      const depth = int(rng, 1000, 200_000)
      return c('deep-params-huge', [
        framed(submitFrame(rng, { paramsJson: text(nested(Math.min(depth, maxFrameBytes / 2 - 8), '[', ']')) })),
      ])
    }
  }
}

export function membershipCase(rng: Rng, maxHelloBytes = 64 * 1024): FuzzCase {
  const c = (shape: string, chunks: Uint8Array[]): FuzzCase => ({ protocol: 'membership', shape, chunks, halfClose: rng() < 0.5 })
  switch (int(rng, 0, 5)) {
    case 0:
      return c('random-bytes', [randomBytes(rng, int(rng, 1, 2048))])
    case 1:
      return c('oversize-prefix', [varint(int(rng, maxHelloBytes + 1, 2 ** 34)), randomBytes(rng, 16)])
    case 2:
      return c('garbage-certificate', [
        framed(Hello.encode({ certificate: randomBytes(rng, int(rng, 0, 4096)), reply: rng() < 0.5 }).finish()),
      ])
    case 3:
      return c('garbage-crl', [framed(Hello.encode({ crl: randomBytes(rng, int(rng, 1, 4096)), reply: rng() < 0.5 }).finish())])
    case 4: {
      const whole = framed(Hello.encode({ certificate: randomBytes(rng, 300), reply: true }).finish())
      return c('truncated', [whole.subarray(0, int(rng, 1, whole.byteLength - 1))])
    }
    default:
      return c('random-frame', [framed(randomBytes(rng, int(rng, 0, 2048)))])
  }
}

/** A hostile Advert, as gossip carries it. */
export function advertBytes(rng: Rng): { shape: string; data: Uint8Array } {
  switch (int(rng, 0, 5)) {
    case 0:
      return { shape: 'random-bytes', data: randomBytes(rng, int(rng, 0, 2048)) }
    case 1:
      return {
        shape: 'huge-fields',
        data: advert.Advert.encode({
          seq: Number.MAX_SAFE_INTEGER,
          timestampMs: 2 ** 52,
          name: randomString(rng, 2000),
          health: randomString(rng, 50),
          heartbeatMs: 2 ** 32 - 1,
          load: { inFlight: 2 ** 32 - 1, queued: 2 ** 32 - 1, capacity: 0, cpu: Number.NaN, memoryBytes: 2 ** 53 },
          capabilities: [],
        }).finish(),
      }
    case 2:
      return {
        shape: 'many-capabilities',
        data: advert.Advert.encode({
          seq: int(rng, 1, 1e6),
          name: 'x',
          health: 'ok',
          heartbeatMs: int(rng, 0, 10),
          capabilities: Array.from({ length: int(rng, 50, 800) }, () => ({
            id: randomString(rng, 30),
            version: randomString(rng, 8),
            tags: [randomString(rng, 10)],
            concurrency: int(rng, 0, 2 ** 31),
          })),
        }).finish(),
      }
    case 3:
      return {
        shape: 'garbage-addrs',
        data: advert.Advert.encode({
          seq: int(rng, 1, 1e6),
          name: 'x',
          health: 'ok',
          heartbeatMs: 1000,
          addrs: Array.from({ length: int(rng, 1, 100) }, () => randomBytes(rng, int(rng, 0, 64))),
        }).finish(),
      }
    case 4:
      return { shape: 'seq-zero', data: advert.Advert.encode({ seq: 0, health: 'draining', heartbeatMs: 0 }).finish() }
    default:
      return { shape: 'empty', data: new Uint8Array() }
  }
}

export function gossipCase(rng: Rng): FuzzCase {
  const a = advertBytes(rng)
  return { protocol: 'gossip', shape: a.shape, chunks: [a.data], halfClose: false }
}

/** What a hostile member answers when the target asks it for a snapshot. */
export function snapshotAnswer(rng: Rng): { shape: string; chunks: Uint8Array[] } {
  switch (int(rng, 0, 4)) {
    case 0:
      return { shape: 'random-bytes', chunks: [randomBytes(rng, int(rng, 1, 4096))] }
    case 1:
      return { shape: 'oversize-prefix', chunks: [varint(int(rng, 16 * 1024 * 1024 + 1, 2 ** 34))] }
    case 2:
      return { shape: 'truncated', chunks: [varint(100_000), randomBytes(rng, int(rng, 0, 1000))] }
    case 3: {
      const entries = Array.from({ length: int(rng, 1, 200) }, () => ({
        peer: pick(rng, ['', randomString(rng, 52), '12D3KooW'.padEnd(52, 'A')]),
        advert: advertBytes(rng).data,
        ageMs: int(rng, 0, 2 ** 32 - 1),
      }))
      return { shape: 'hostile-entries', chunks: [framed(advert.AdvertSnapshot.encode({ entries }).finish())] }
    }
    default:
      return { shape: 'random-frame', chunks: [framed(randomBytes(rng, int(rng, 0, 4096)))] }
  }
}

export function snapshotRequestCase(rng: Rng): FuzzCase {
  return {
    protocol: 'snapshot-request',
    shape: 'request',
    chunks: rng() < 0.5 ? [] : [randomBytes(rng, int(rng, 1, 1024))],
    halfClose: rng() < 0.5,
  }
}
