/**
 * The simulation harness (`npm run sim`) on small meshes, so that it keeps working: the figures
 * themselves come from larger runs (see docs/performance.md).
 */
import assert from 'node:assert/strict'
import { churn, converge, type ScenarioOptions } from '../simulations/scenarios.ts'

const base: ScenarioOptions = {
  nodes: 5,
  providers: 2,
  transport: 'memory',
  nodesPerProcess: 0,
  heartbeatMs: 1000,
  dht: false,
  workMs: 5,
  jobs: 200,
  concurrency: 16,
  kill: 0.5,
  joins: 1,
  settleMs: 200,
}

describe('simulation harness', function () {
  this.timeout(90_000)

  it('converge (in one process): the mesh forms and a new provider reaches every node', async () => {
    const r = (await converge(base)) as { formed: boolean; newProviderMissed: number; newProviderMs: { n: number; max: number } }
    assert.equal(r.formed, true)
    assert.equal(r.newProviderMissed, 0)
    assert.equal(r.newProviderMs.n, base.nodes)
    assert.ok(Number.isFinite(r.newProviderMs.max))
  })

  it('churn (two nodes per OS process): every job ends, none lost, after a provider is killed', async () => {
    const r = (await churn({ ...base, nodes: 4, nodesPerProcess: 2 })) as {
      killed: number
      jobs: number
      ended: number
      lost: number
      byState: Record<string, number>
    }
    assert.equal(r.killed, 1)
    assert.equal(r.jobs, base.jobs)
    assert.equal(r.ended, base.jobs)
    assert.equal(r.lost, 0)
    const terminal = Object.entries(r.byState).filter(([s]) => ['succeeded', 'failed', 'cancelled', 'expired'].includes(s))
    assert.equal(
      terminal.reduce((a, [, n]) => a + n, 0),
      base.jobs,
    )
  })
})
