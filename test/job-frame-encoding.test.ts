import assert from 'node:assert/strict'
import { describe, it } from 'mocha'
import { decodeClientFrame, decodeServerFrame, encodeClientFrame, encodeServerFrame } from '../src/jobs/messages.ts'
import { crank } from '../src/net/pb/job.js'

const pb = crank.job.v1
const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))

describe('job frame encoding: the one-pass encoders of Submit and Result', () => {
  const submits: crank.job.v1.Submit.$Properties[] = [
    {
      jobId: 'j-1',
      capability: 'example.echo',
      versionRange: '^1',
      paramsJson: json({ echo: 1 }),
      deadlineMs: 0,
      hasInput: false,
      priority: '',
    },
    {
      jobId: 'ü€😀-id',
      capability: 'x',
      versionRange: '',
      paramsJson: new Uint8Array(),
      deadlineMs: 2 ** 32 - 1,
      hasInput: true,
      priority: 'high',
    },
    { jobId: '', capability: '', deadlineMs: 127 },
    {
      jobId: 'a'.repeat(200),
      capability: 'c'.repeat(20_000),
      paramsJson: new Uint8Array(70_000).fill(0x20),
      deadlineMs: 128,
      priority: 'low',
    },
    {},
  ]
  for (const [i, submit] of submits.entries()) {
    it(`writes Submit ${i} byte for byte as the generated encoder does, and it decodes back`, () => {
      const ours = encodeClientFrame({ submit })
      assert.deepEqual(Buffer.from(ours), Buffer.from(pb.ClientFrame.encode({ submit }).finish()))
      const { kind, frame } = decodeClientFrame(ours)
      assert.equal(kind, 'submit')
      assert.equal(frame.submit?.jobId, submit.jobId ?? '')
      assert.equal(frame.submit?.capability, submit.capability ?? '')
      assert.equal(frame.submit?.deadlineMs, submit.deadlineMs ?? 0)
      assert.equal(frame.submit?.hasInput, submit.hasInput ?? false)
    })
  }

  const results: crank.job.v1.Result.$Properties[] = [
    { jobId: 'j-1', resultJson: json({ echo: 1 }), capabilityVersion: '1.0.0' },
    { jobId: 'ü€😀', resultJson: new Uint8Array(), capabilityVersion: '' },
    { jobId: 'j', resultJson: new Uint8Array(300_000).fill(0x31) },
    {},
  ]
  for (const [i, result] of results.entries()) {
    it(`writes Result ${i} byte for byte as the generated encoder does, and it decodes back`, () => {
      const ours = encodeServerFrame({ result })
      assert.deepEqual(Buffer.from(ours), Buffer.from(pb.ServerFrame.encode({ result }).finish()))
      const { kind, frame } = decodeServerFrame(ours)
      assert.equal(kind, 'result')
      assert.equal(frame.result?.jobId, result.jobId ?? '')
      assert.equal(frame.result?.capabilityVersion, result.capabilityVersion ?? '')
    })
  }

  it('decodes ASCII and non-ASCII strings alike, and refuses invalid UTF-8 in either position', () => {
    for (const jobId of ['plain-ascii', 'ascii-then-é', 'é-first', 'x'.repeat(300) + 'ü']) {
      assert.equal(decodeClientFrame(encodeClientFrame({ submit: { jobId } })).frame.submit?.jobId, jobId)
    }
    for (const bad of [[0xff], [0x61, 0x62, 0xc3], [0x61, 0xed, 0xa0, 0x80]]) {
      const body = Buffer.from([0x0a, bad.length, ...bad])
      const bytes = Buffer.concat([Buffer.from([0x0a, body.length]), body])
      assert.throws(() => decodeClientFrame(bytes), { code: 'malformed_frame' })
    }
  })

  it('leaves frames with meta to the generated encoder, which it still round-trips', () => {
    const { frame } = decodeClientFrame(encodeClientFrame({ submit: { jobId: 'm', meta: { trace: 't' } } }))
    assert.deepEqual({ ...frame.submit?.meta }, { trace: 't' })
  })
})
