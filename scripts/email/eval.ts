/**
 * Held-out figures for email.classify@1: sends every message of the fixed test
 * split through a local Crank node (the path users take) and prints accuracy,
 * precision, recall, F1 and the ham false-positive rate, overall and per group.
 *
 *   npm run eval:email-classify               the model alone
 *   npm run eval:email-classify -- --peers    also SpamAssassin (Bayes) and SpamProbe, trained on train.txt
 */
import emailClassify from '../../capabilities/email.classify/index.ts'
import { createNode } from '../../src/index.ts'
import { type CorpusMessage, GROUPS, loadSplit, pct, readMessage, type Scores, score, tally } from './corpus.ts'
import { type PeerRun, runPeers } from './peers.ts'

interface Row {
  name: string
  overall: Scores
  groups: Map<string, Scores>
  note?: string
}

async function evalCrank(test: CorpusMessage[]): Promise<Row> {
  const node = await createNode({
    capabilities: [emailClassify],
    transports: ['memory'],
    listen: ['/memory/email-eval'],
    logLevel: 'warn',
    // One node on its own: no peer ever connects, so no mesh CA is needed.
    trust: { openMesh: true },
  })
  await node.start()
  const predicted = new Map<string, boolean>()
  const errors: string[] = []
  const started = Date.now()
  try {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < test.length) {
        const m = test[next++] as CorpusMessage
        const r = await node.submit({ capability: 'email.classify@^1', input: readMessage(m), route: 'local' }).result
        const v = r.value as { label: string; probability: number }
        predicted.set(m.key, v.label === 'spam')
        if ((v.label === 'spam') !== m.spam) errors.push(`${m.key} (${m.spam ? 'spam' : 'ham'}, p=${v.probability.toFixed(3)})`)
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
  } finally {
    await node.stop()
  }
  const secs = (Date.now() - started) / 1000
  console.log(`misclassified by crank: ${errors.sort().join(', ') || 'none'}`)
  return {
    ...rows(test, predicted),
    name: 'crank email.classify@1 (ONNX)',
    note: `${test.length} jobs through a local node in ${secs.toFixed(1)} s (${(test.length / secs).toFixed(0)} msg/s)`,
  }
}

function rows(test: CorpusMessage[], predicted: Map<string, boolean>): Omit<Row, 'name'> {
  const pairs = test
    .filter((m) => predicted.has(m.key))
    .map((m) => ({ group: m.group, spam: m.spam, predicted: predicted.get(m.key) as boolean }))
  const groups = new Map<string, Scores>()
  for (const g of GROUPS) groups.set(g, score(tally(pairs.filter((p) => p.group === g))))
  return { overall: score(tally(pairs)), groups }
}

function printTable(rowsOut: Row[]): void {
  const header = ['filter', 'n', 'accuracy', 'precision', 'recall', 'F1', 'ham FP rate', 'FP', 'FN']
  const lines: string[][] = []
  for (const r of rowsOut) {
    const s = r.overall
    lines.push([
      r.name,
      String(s.n),
      pct(s.accuracy),
      pct(s.precision),
      pct(s.recall),
      pct(s.f1),
      pct(s.hamFpRate),
      String(s.fp),
      String(s.fn),
    ])
  }
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`)
  for (const l of lines) console.log(`| ${l.join(' | ')} |`)
  for (const r of rowsOut) {
    console.log(`\n${r.name}: per group${r.note === undefined ? '' : ` (${r.note})`}`)
    console.log('| group | n | accuracy | errors | ham FP rate / spam recall |\n|---|---|---|---|---|')
    for (const [g, s] of r.groups) {
      const spamGroup = g.startsWith('spam')
      console.log(
        `| ${g} | ${s.n} | ${pct(s.accuracy)} | ${spamGroup ? `${s.fn} FN` : `${s.fp} FP`} | ${spamGroup ? `recall ${pct(s.recall)}` : `FP rate ${pct(s.hamFpRate)}`} |`,
      )
    }
  }
}

const test = loadSplit('test')
console.log(
  `held-out split: ${test.length} messages (${test.filter((m) => m.spam).length} spam) from ../shared/data/spamassassin-split/test.txt`,
)
const out: Row[] = [await evalCrank(test)]
if (process.argv.includes('--peers')) {
  const peers: PeerRun[] = await runPeers(loadSplit('train'), test)
  for (const p of peers) {
    if (p.predictions === undefined) console.log(`peer ${p.name}: MISSING — ${p.missing}`)
    else out.push({ ...rows(test, p.predictions), name: p.name, ...(p.note === undefined ? {} : { note: p.note }) })
  }
}
printTable(out)
