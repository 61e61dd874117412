/**
 * The seed scenarios of the simulation harness on small meshes, so that they keep working (the
 * figures come from larger runs: see docs/connectivity.md).
 */
import assert from 'node:assert/strict'
import { lateSeed, type ScenarioOptions, seedRestart } from '../simulations/scenarios.ts'

const base: ScenarioOptions = {
  nodes: 5,
  providers: 2,
  transport: 'memory',
  nodesPerProcess: 0,
  heartbeatMs: 1000,
  dht: false,
  workMs: 5,
  jobs: 0,
  concurrency: 1,
  kill: 0,
  joins: 0,
  settleMs: 0,
}

interface SeedResult {
  whole: boolean
  incompleteNodes: number
  isolatedBeforeSeeds?: number
  restWholeDuringOutage?: boolean
}

describe('simulation harness: seeds', function () {
  this.timeout(120_000)

  it('late-seed: nodes started before their seed all find every provider once it is up', async () => {
    const r = (await lateSeed({ ...base, seedDelayMs: 1500 })) as unknown as SeedResult
    assert.equal(r.isolatedBeforeSeeds, base.nodes - 1)
    assert.equal(r.whole, true)
    assert.equal(r.incompleteNodes, 0)
  })

  it('seed-restart: the rest of the mesh holds while the seeds are down, and is whole again after', async () => {
    const r = (await seedRestart({ ...base, seeds: 2, outageMs: 1500 })) as unknown as SeedResult
    assert.equal(r.restWholeDuringOutage, true)
    assert.equal(r.whole, true)
    assert.equal(r.incompleteNodes, 0)
  })
})
