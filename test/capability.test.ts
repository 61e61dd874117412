import assert from 'node:assert/strict'
import { defineCapability } from '../src/capability.ts'
import { runCapability } from '../src/testing.ts'

describe('capability API', () => {
  const cap = defineCapability({
    id: 'test.sum',
    version: '1.2.0',
    description: 'sums numbers',
    input: {
      type: 'object',
      properties: { nums: { type: 'array', items: { type: 'number' } } },
      required: ['nums'],
      additionalProperties: false,
    },
    output: { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] },
    handler: (ctx: { params: { nums: number[] } }) => ({ sum: ctx.params.nums.reduce((a, b) => a + b, 0) }),
  })

  it('derives the routing key from id and major', () => {
    assert.equal(cap.key, 'test.sum@1')
  })

  it('validates params and names the failing field', async () => {
    const { outcome } = await runCapability(cap, { params: { nums: [1, 'x'] } })
    assert.ok(outcome.state === 'failed', `expected failed, got ${outcome.state}`)
    assert.equal(outcome.error.code, 'invalid_params')
    assert.match(outcome.error.message, /params\/nums\/1/)
  })

  it('rejects bad ids and versions at definition time', () => {
    assert.throws(() => defineCapability({ ...cap, id: 'NoDots' }), /dotted lowercase/)
    assert.throws(() => defineCapability({ ...cap, version: 'one' }), /not semver/)
  })
})
