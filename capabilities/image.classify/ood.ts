/**
 * Out-of-distribution flagging: a score computed from the model's outputs, compared with a
 * threshold calibrated on held-out in-distribution images (scripts/image/calibrate-ood.ts keeps
 * 95% of the validation split above it). A classifier trained on ten garment classes still puts
 * a photo of a cat into one of them, often with high confidence; the flag says the answer is
 * not to be trusted, while the predictions are returned as they are.
 */

export type OodScore = 'energy' | 'max_softmax'

export interface OodConfig {
  /**
   * `energy`: T·logsumexp(logits / T), the negative free energy (Liu et al., 2020), which keeps
   * the scale that softmax throws away; `max_softmax`: the top probability (Hendrycks & Gimpel, 2017).
   * Higher means more like the training data for both.
   */
  score: OodScore
  /** The graph output holding logits, when the manifest's `output` is already softmaxed. Default: `output.name`. */
  output?: string
  /** Energy temperature T. Default 1. */
  temperature?: number
  /** An input scores in distribution when its score is at least this. */
  threshold: number
  /**
   * A second test, on the model's input rather than its output: the share of the input that is
   * background (every channel at most `level`, 0–255, after inversion). Garment datasets are an
   * object on an empty background; photos are texture from edge to edge, which the score alone
   * does not see. In distribution needs both.
   */
  background?: { level: number; min_fraction: number }
  /** How the thresholds were chosen (split, target true-positive rate, counts): documentation only. */
  calibration?: Record<string, unknown>
}

export interface OodVerdict {
  in_distribution: boolean
  /** The scores and the thresholds they were compared with, so callers can apply a stricter cut. */
  ood_score: { method: OodScore; value: number; threshold: number; background_fraction?: number; min_background_fraction?: number }
}

/** The score for one sample: `logits` for energy (raw scores), `probs` for max-softmax. */
export function oodScore(cfg: Pick<OodConfig, 'score' | 'temperature'>, logits: Float32Array, probs: Float32Array): number {
  if (cfg.score === 'max_softmax') {
    let max = 0
    for (const p of probs) max = Math.max(max, p)
    return max
  }
  const t = cfg.temperature ?? 1
  let max = Number.NEGATIVE_INFINITY
  for (const v of logits) max = Math.max(max, v / t)
  let sum = 0
  for (const v of logits) sum += Math.exp(v / t - max)
  return t * (max + Math.log(sum))
}

/** `backgroundFraction`: from `backgroundFraction()` on the model's input, when the config has `background`. */
export function oodVerdict(cfg: OodConfig, logits: Float32Array, probs: Float32Array, backgroundFraction?: number): OodVerdict {
  const value = oodScore(cfg, logits, probs)
  const bg = cfg.background
  if (bg === undefined || backgroundFraction === undefined) {
    return { in_distribution: value >= cfg.threshold, ood_score: { method: cfg.score, value, threshold: cfg.threshold } }
  }
  return {
    in_distribution: value >= cfg.threshold && backgroundFraction >= bg.min_fraction,
    ood_score: {
      method: cfg.score,
      value,
      threshold: cfg.threshold,
      background_fraction: backgroundFraction,
      min_background_fraction: bg.min_fraction,
    },
  }
}

/** The share of pixels of `data` (interleaved, `stride` channels) with every channel ≤ `level` once inverted (if the model's input is). */
export function backgroundFraction(data: Uint8Array, stride: number, level: number, invert: boolean): number {
  const n = Math.floor(data.length / stride)
  let bg = 0
  for (let p = 0; p < n; p++) {
    let background = true
    for (let c = 0; c < stride && background; c++) {
      const v = data[p * stride + c] as number
      background = (invert ? 255 - v : v) <= level
    }
    if (background) bg++
  }
  return bg / Math.max(1, n)
}

/**
 * The threshold that keeps `tpr` of the in-distribution scores at or above it: the
 * ⌊(1 − tpr)·n⌋-th smallest score.
 */
export function thresholdAtTpr(inDistributionScores: ArrayLike<number>, tpr: number): number {
  const sorted = Float64Array.from(inDistributionScores).sort()
  if (sorted.length === 0) throw new Error('no scores to calibrate on')
  const k = Math.min(sorted.length - 1, Math.floor((1 - tpr) * sorted.length))
  return sorted[k] as number
}
