/**
 * Platt scaling: p = sigmoid(a·z + b) fitted to held-out logits z by Newton's
 * method on the log loss, with Platt's smoothed targets ((n₊+1)/(n₊+2) and
 * 1/(n₋+2)) so that a separable validation set does not drive a to infinity.
 * A linear model absorbs it exactly (w ← a·w, bias ← a·bias + b), so the
 * served ONNX graph is unchanged.
 */
import type { LinearModel } from './logistic.ts'

export interface Platt {
  a: number
  b: number
}

/**
 * Fits (a, b). With `anchor`, only the slope is fitted, about that logit
 * (b = anchor·(1 − a)): a message with no evidence, scored `anchor`, keeps its
 * prior, and calibration only sharpens or softens the evidence.
 */
export function fitPlatt(logits: ArrayLike<number>, spam: ArrayLike<boolean>, anchor?: number): Platt {
  const n = logits.length
  let pos = 0
  for (let i = 0; i < n; i++) if (spam[i]) pos++
  const hi = (pos + 1) / (pos + 2)
  const lo = 1 / (n - pos + 2)
  let a = 1
  let b = 0
  for (let iter = 0; iter < 100; iter++) {
    // Gradient and Hessian of the mean log loss in (a, b), with a small ridge for stability.
    let ga = 0
    let gb = 0
    let haa = 1e-9
    let hab = 0
    let hbb = 1e-9
    for (let i = 0; i < n; i++) {
      const z = logits[i] as number
      const t = spam[i] ? hi : lo
      const p = 1 / (1 + Math.exp(-(a * z + b)))
      const d = p - t
      const w = p * (1 - p)
      ga += d * z
      gb += d
      haa += w * z * z
      hab += w * z
      hbb += w
    }
    let da: number
    let db: number
    if (anchor === undefined) {
      const det = haa * hbb - hab * hab
      da = (hbb * ga - hab * gb) / det
      db = (haa * gb - hab * ga) / det
    } else {
      // One variable: z' = a·(z − anchor) + anchor, so d/da uses (z − anchor).
      let g = 0
      let hh = 1e-9
      for (let i = 0; i < n; i++) {
        const u = (logits[i] as number) - anchor
        const p = 1 / (1 + Math.exp(-(a * u + anchor)))
        g += (p - (spam[i] ? hi : lo)) * u
        hh += p * (1 - p) * u * u
      }
      da = g / hh
      db = b - anchor * (1 - (a - da))
    }
    a -= da
    b -= db
    if (Math.abs(da) < 1e-10 && Math.abs(db) < 1e-10) break
  }
  return { a, b }
}

export function applyPlatt(model: LinearModel, { a, b }: Platt): LinearModel {
  return { weights: model.weights.map((w) => w * a), bias: model.bias * a + b }
}

/** Mean log loss and Brier score of probabilities against labels. */
export function calibrationLoss(probs: ArrayLike<number>, spam: ArrayLike<boolean>): { logLoss: number; brier: number } {
  let logLoss = 0
  let brier = 0
  for (let i = 0; i < probs.length; i++) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, probs[i] as number))
    const y = spam[i] ? 1 : 0
    logLoss -= y * Math.log(p) + (1 - y) * Math.log(1 - p)
    brier += (p - y) ** 2
  }
  return { logLoss: logLoss / probs.length, brier: brier / probs.length }
}
