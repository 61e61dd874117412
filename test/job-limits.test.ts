import assert from 'node:assert/strict'
import echo from '../capabilities/example.echo/index.ts'
import { defineCapability } from '../src/capability.ts'
import { decodeBoundedJson, encodeBoundedJson, jsonDepth, toJsonValue } from '../src/jobs/json-bounds.ts'
import { MAX_DEADLINE_MS, MAX_JSON_DEPTH } from '../src/jobs/limits.ts'
import type { CrankNode } from '../src/node.ts'
import { waitingCapability } from './helpers/capabilities.ts'
import { startNodes, stopNodes } from './helpers/nodes.ts'

const nest = (depth: number): unknown => {
  let v: unknown = 1
  for (let i = 0; i < depth; i++) v = [v]
  return v
}

/** Waits `ms`, then answers: a deadline timer that overflowed would expire it first. */
const waiter = waitingCapability('test.pause')

/** Returns a result nested deeper than any frame may carry. */
const deepResult = defineCapability<Record<string, never>, unknown>({
  id: 'test.deep-result',
  version: '1.0.0',
  description: 'answers with a deeply nested result',
  input: { type: 'object' },
  output: {},
  handler: () => nest(10_000),
})

describe('params and results are bounded before any parse or stringify', () => {
  it('refuses cycles, BigInt and excess depth with the given code, naming the place', () => {
    const cyclic: Record<string, unknown> = { a: { b: 1 } }
    ;(cyclic.a as Record<string, unknown>).self = cyclic
    assert.throws(() => toJsonValue(cyclic, 'params', 'invalid_params'), { code: 'invalid_params', message: /params\/a\/self .*cycle/ })
    assert.throws(() => toJsonValue({ n: 10n }, 'params', 'invalid_params'), { code: 'invalid_params', message: /params\/n is a BigInt/ })
    assert.throws(() => toJsonValue(nest(10_000), 'params', 'invalid_params'), { code: 'invalid_params', message: /deeper than 64/ })
    // What stringify would do to the rest, and a repeated (not cyclic) reference is fine.
    const shared = { x: 1 }
    assert.deepEqual(toJsonValue({ a: shared, b: shared, u: undefined, d: new Date(0), f: [() => 1, Number.NaN] }, 'p', 'c'), {
      a: { x: 1 },
      b: { x: 1 },
      d: '1970-01-01T00:00:00.000Z',
      f: [null, null],
    })
    assert.deepEqual(toJsonValue(nest(MAX_JSON_DEPTH - 1), 'p', 'c'), nest(MAX_JSON_DEPTH - 1))
  })

  it('measures depth of JSON text without parsing it, ignoring brackets inside strings', () => {
    assert.equal(jsonDepth(new TextEncoder().encode('{"a":[1,{"b":"[[[[\\"[["}]}'), 100), 3)
    const deep = new TextEncoder().encode(`${'['.repeat(6000)}${']'.repeat(6000)}`)
    assert.ok(jsonDepth(deep, 64) > 64)
    assert.throws(() => decodeBoundedJson(deep, 'params_json', 'invalid_params'), { code: 'invalid_params', message: /deeper than 64/ })
    assert.throws(() => encodeBoundedJson('x'.repeat(2 * 1024 * 1024), 'result', 'invalid_output'), {
      code: 'invalid_output',
      message: /over the/,
    })
  })
})

describe('job limits and submit options between two real nodes', function () {
  this.timeout(60_000)
  let provider: CrankNode
  let client: CrankNode
  let route: string

  before(async () => {
    ;[provider, client] = await startNodes(2, [echo, waiter, deepResult])
    route = provider.multiaddrs[0]!.toString()
  })
  after(() => stopNodes([provider, client]))

  for (const deadlineMs of [2 ** 31 - 1, 2 ** 31, MAX_DEADLINE_MS]) {
    it(`a deadline of ${deadlineMs} ms does not expire at once, locally or remotely`, async () => {
      const local = await provider.submit({ capability: 'test.pause', params: { ms: 30 }, route: 'local', deadlineMs }).outcome
      assert.equal(local.state, 'succeeded', JSON.stringify(local.error))
      const remote = await client.submit({ capability: 'test.pause', params: { ms: 30 }, route, deadlineMs }).outcome
      assert.equal(remote.state, 'succeeded', JSON.stringify(remote.error))
    })
  }

  it('refuses deadlines it cannot honour, and bad attempts, priority, output and input, with invalid_option', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ deadlineMs: MAX_DEADLINE_MS + 1 }, 'deadlineMs'],
      [{ deadlineMs: Number.NaN }, 'deadlineMs'],
      [{ deadlineMs: -5 }, 'deadlineMs'],
      [{ attempts: 0 }, 'attempts'],
      [{ attempts: -1 }, 'attempts'],
      [{ attempts: Number.NaN }, 'attempts'],
      [{ attempts: 1.5 }, 'attempts'],
      [{ priority: 'urgent' }, 'priority'],
      [{ output: 'file' }, 'output'],
      [{ input: 42 }, 'input'],
    ]
    for (const [extra, field] of cases) {
      for (const r of ['local', route]) {
        // biome-ignore lint/suspicious/noExplicitAny: deliberately untyped, as a JavaScript caller may pass anything.
        const report = await client.submit({ capability: 'example.echo', route: r, ...(extra as any) }).outcome
        assert.equal(report.state, 'failed', `${JSON.stringify(extra)} on ${r}`)
        assert.equal(report.error?.code, 'invalid_option', `${JSON.stringify(extra)}: ${report.error?.message}`)
        assert.match(report.error?.message ?? '', new RegExp(`^${field} `))
      }
    }
  })

  it('a non-bytes chunk in an input stream fails typed, not with a TypeError', async () => {
    for (const r of ['local', route]) {
      const from = r === 'local' ? provider : client
      // biome-ignore lint/suspicious/noExplicitAny: deliberately a number inside the input stream.
      const report = await from.submit({ capability: 'example.echo', route: r, input: [new Uint8Array(2), 7 as any] }).outcome
      assert.equal(report.state, 'failed')
      // Remotely the client's input pump reports it as the job's input failing.
      assert.equal(report.error?.code, r === 'local' ? 'invalid_option' : 'input_error')
      assert.match(report.error?.message ?? '', /input chunks must be Uint8Array, got number/)
    }
  })

  it('circular, BigInt and too-deep params are invalid_params on every route, never connection_lost', async () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.echo = cyclic
    for (const params of [cyclic, { echo: 2n }, { echo: nest(5000) }]) {
      for (const r of ['local', 'any', route]) {
        const report = await client.submit({ capability: 'example.echo', params, route: r }).outcome
        assert.equal(report.state, 'failed')
        assert.equal(report.error?.code, 'invalid_params', `${r}: ${report.error?.code} ${report.error?.message}`)
        assert.equal(report.error?.retryable, false)
      }
    }
    // The provider is still there for everyone else.
    const ok = await client.submit({ capability: 'example.echo', params: { echo: 'ok' }, route }).result
    assert.equal((ok.value as { echo: unknown }).echo, 'ok')
  })

  it('a result too deep to send fails the job invalid_output instead of crashing the provider', async () => {
    const report = await client.submit({ capability: 'test.deep-result', route }).outcome
    assert.equal(report.state, 'failed')
    assert.equal(report.error?.code, 'invalid_output')
    assert.match(report.error?.message ?? '', /deeper than 64/)
    const ok = await client.submit({ capability: 'example.echo', params: { echo: 1 }, route }).result
    assert.equal((ok.value as { echo: unknown }).echo, 1)
  })
})
