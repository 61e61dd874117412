/**
 * `npm run sim -- --nodes N --scenario converge|load|churn|seed-restart|late-seed|scale [--transport memory|tcp] [--processes] [--json]`
 * Runs N real nodes, in this process or one OS process each (`--processes`), and prints a table (or one JSON object).
 */
import { parseArgs } from 'node:util'
import { scale } from './scale.ts'
import { churn, converge, lateSeed, load, type ScenarioOptions, seedRestart } from './scenarios.ts'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '20' },
    scenario: { type: 'string', default: 'converge' },
    transport: { type: 'string', default: 'memory' },
    processes: { type: 'boolean', default: false },
    'per-process': { type: 'string', default: '1' },
    joins: { type: 'string', default: '3' },
    'settle-ms': { type: 'string' },
    providers: { type: 'string' },
    jobs: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '64' },
    kill: { type: 'string', default: '0.2' },
    'work-ms': { type: 'string', default: '5' },
    'heartbeat-ms': { type: 'string', default: '5000' },
    seeds: { type: 'string' },
    'outage-ms': { type: 'string' },
    'seed-delay-ms': { type: 'string' },
    'idle-ms': { type: 'string', default: '30000' },
    'load-ms': { type: 'string', default: '30000' },
    rate: { type: 'string', default: '0.2' },
    dht: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})

if (values.help) {
  console.log(`npm run sim -- [options]
  --nodes N              nodes in the mesh (default 20)
  --scenario S           converge | load | churn | seed-restart | late-seed | scale (default converge)
  --transport T          memory | tcp (default memory), all nodes in this process
  --processes            nodes in other OS processes on loopback TCP, one per process unless
  --per-process K        K nodes per OS process (100 nodes over 2 processes uses both cores of a
                         2-core machine without paying for 100 JIT-cold V8 instances)
  --joins K              converge: providers started one by one after the mesh formed (default 3)
  --settle-ms MS         converge: wait between formation and the joins (default two heartbeats)
  --providers P          nodes serving sim.work (default max(4, nodes/5))
  --jobs M --concurrency C   load and churn: jobs and jobs in flight (default 2000 / 64)
  --kill F               churn: fraction of providers killed (default 0.2)
  --work-ms MS           time each job holds its slot (default 5)
  --heartbeat-ms MS      advert heartbeat (default 5000, the product default)
  --seeds K              seed-restart, late-seed: bootstrap nodes, which also serve (default 2 / 1)
  --outage-ms MS         seed-restart: how long the seeds stay down (default 4 heartbeats + 1 s)
  --seed-delay-ms MS     late-seed: how long the nodes run before their seeds start (default 2 heartbeats)
  --idle-ms MS --load-ms MS   scale: the idle window and the load window (default 30000 each)
  --rate R               scale: jobs each node submits per second in the load window (default 0.2)
  --dht                  run the Kademlia DHT too
  --json                 print one JSON object`)
  process.exit(0)
}

const nodes = Number(values.nodes)
const opts: ScenarioOptions = {
  nodes,
  providers: Number(values.providers ?? Math.max(4, Math.round(nodes / 5))),
  transport: values.transport === 'tcp' || values.processes ? 'tcp' : 'memory',
  nodesPerProcess: values.processes ? Math.max(1, Number(values['per-process'])) : 0,
  joins: Number(values.joins),
  settleMs: Number(values['settle-ms'] ?? 2 * Number(values['heartbeat-ms'])),
  heartbeatMs: Number(values['heartbeat-ms']),
  dht: values.dht,
  workMs: Number(values['work-ms']),
  jobs: Number(values.jobs),
  concurrency: Number(values.concurrency),
  kill: Number(values.kill),
  ...(values.seeds === undefined ? {} : { seeds: Number(values.seeds) }),
  ...(values['outage-ms'] === undefined ? {} : { outageMs: Number(values['outage-ms']) }),
  ...(values['seed-delay-ms'] === undefined ? {} : { seedDelayMs: Number(values['seed-delay-ms']) }),
}
// Four significant digits: per-node CPU figures are thousandths of a second per second.
const round = (_: string, x: unknown): unknown => (typeof x === 'number' && !Number.isInteger(x) ? Number(x.toPrecision(4)) : x)
const scenarios = {
  converge,
  load,
  churn,
  'seed-restart': seedRestart,
  'late-seed': lateSeed,
  scale: (o: ScenarioOptions) =>
    scale({
      ...o,
      idleMs: Number(values['idle-ms']),
      loadMs: Number(values['load-ms']),
      ratePerNode: Number(values.rate),
      // On stderr, so that a run cut short by a time limit still leaves its first figures.
      progress: (phase, figures) => console.error(`sim scale ${phase}: ${JSON.stringify(figures, round)}`),
    }),
}
const scenario = scenarios[values.scenario as keyof typeof scenarios]
if (scenario === undefined) {
  console.error(`sim: unknown scenario "${values.scenario}" (converge | load | churn | seed-restart | late-seed | scale)`)
  process.exit(2)
}
const result = await scenario(opts)
const mode = opts.nodesPerProcess === 0 ? 'all in one process' : `${opts.nodesPerProcess} per OS process`
if (values.json) console.log(JSON.stringify({ transport: opts.transport, nodesPerProcess: opts.nodesPerProcess, ...result }, round))
else {
  console.log(`\n${values.scenario} — ${nodes} nodes, ${opts.transport} transport, ${mode}`)
  for (const [k, v] of Object.entries(result)) console.log(`  ${k.padEnd(22)} ${typeof v === 'object' ? JSON.stringify(v, round) : v}`)
}
process.exit(0)
