/**
 * Sparse logistic regression trained with AdaGrad (per-coordinate steps suit
 * hashed text features, where most buckets are rare) and L2 decay applied
 * lazily, in a fixed, seeded order so that training is reproducible.
 */
import type { SparseFeatures } from '../../capabilities/email-shared/features.ts'
import { mulberry32, shuffle } from './corpus.ts'

export interface TrainOptions {
  dims: number
  epochs: number
  learningRate: number
  l2: number
  /** Loss weight of a ham example relative to spam: >1 makes false positives costlier. */
  hamWeight: number
  seed: number
  /**
   * When set, the bias is held at this logit instead of learned: what the model
   * says about a message with no evidence (the prior odds), which features
   * cannot then shift (see features.ts normPrior).
   */
  fixedBias?: number
}

export interface LinearModel {
  weights: Float32Array
  bias: number
}

export function train(examples: { x: SparseFeatures; spam: boolean }[], opts: TrainOptions): LinearModel {
  const w = new Float64Array(opts.dims)
  const g2 = new Float64Array(opts.dims).fill(1e-8)
  let b = opts.fixedBias ?? 0
  let gb2 = 1e-8
  const rng = mulberry32(opts.seed)
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (const ex of shuffle(examples, rng)) {
      const { indices, values } = ex.x
      let z = b
      for (let k = 0; k < indices.length; k++) z += (w[indices[k] as number] as number) * (values[k] as number)
      const p = 1 / (1 + Math.exp(-z))
      const y = ex.spam ? 1 : 0
      const weight = ex.spam ? 1 : opts.hamWeight
      const err = (p - y) * weight
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k] as number
        const g = err * (values[k] as number) + opts.l2 * (w[i] as number)
        g2[i] = (g2[i] as number) + g * g
        w[i] = (w[i] as number) - (opts.learningRate * g) / Math.sqrt(g2[i] as number)
      }
      if (opts.fixedBias === undefined) {
        gb2 += err * err
        b -= (opts.learningRate * err) / Math.sqrt(gb2)
      }
    }
  }
  return { weights: Float32Array.from(w), bias: b }
}

/** The score before the sigmoid. */
export function logit(model: LinearModel, x: SparseFeatures): number {
  let z = model.bias
  for (let k = 0; k < x.indices.length; k++) z += (model.weights[x.indices[k] as number] as number) * (x.values[k] as number)
  return z
}

/** Same arithmetic as the ONNX graph (float32 weights). */
export function predict(model: LinearModel, x: SparseFeatures): number {
  return 1 / (1 + Math.exp(-logit(model, x)))
}
