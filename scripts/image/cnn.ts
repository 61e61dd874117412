/**
 * A small convolutional network written with Float32Array loops (im2col + matmul), so that the
 * default image.classify model trains in plain TypeScript on a CPU with no native ML runtime.
 *
 *   input 1×28×28 → conv 5×5 (32) → ReLU → maxpool 2 → conv 3×3 (64) → ReLU → maxpool 2
 *   → flatten 1600 → dense 128 → ReLU → dense 10 → softmax
 *
 * Every op maps one-to-one onto an ONNX operator (Conv, Relu, MaxPool, Flatten, Gemm, Softmax),
 * which is what `export-onnx.ts` writes; the export is checked against this code's outputs.
 */

export interface ConvSpec {
  cin: number
  cout: number
  k: number
  /** input height = width */
  size: number
}

export interface CnnArch {
  inputSize: number
  conv1: ConvSpec
  conv2: ConvSpec
  hidden: number
  classes: number
}

export const DEFAULT_ARCH: CnnArch = {
  inputSize: 28,
  conv1: { cin: 1, cout: 32, k: 5, size: 28 },
  conv2: { cin: 32, cout: 64, k: 3, size: 12 },
  hidden: 128,
  classes: 10,
}

export interface CnnParams {
  arch: CnnArch
  /** All weights in one buffer (for the optimiser); the named tensors below are views into it. */
  flat: Float32Array
  w1: Float32Array
  b1: Float32Array
  w2: Float32Array
  b2: Float32Array
  w3: Float32Array
  b3: Float32Array
  w4: Float32Array
  b4: Float32Array
}

const convOut = (c: ConvSpec): number => c.size - c.k + 1
const poolOut = (c: ConvSpec): number => Math.floor(convOut(c) / 2)
export const flatSize = (a: CnnArch): number => a.conv2.cout * poolOut(a.conv2) ** 2

function shapes(a: CnnArch): Array<[keyof CnnParams, number]> {
  return [
    ['w1', a.conv1.cout * a.conv1.cin * a.conv1.k * a.conv1.k],
    ['b1', a.conv1.cout],
    ['w2', a.conv2.cout * a.conv2.cin * a.conv2.k * a.conv2.k],
    ['b2', a.conv2.cout],
    ['w3', a.hidden * flatSize(a)],
    ['b3', a.hidden],
    ['w4', a.classes * a.hidden],
    ['b4', a.classes],
  ]
}

export function allocParams(arch: CnnArch, flat?: Float32Array): CnnParams {
  const sh = shapes(arch)
  const total = sh.reduce((s, [, n]) => s + n, 0)
  const buf = flat ?? new Float32Array(total)
  if (buf.length !== total) throw new Error(`weights: expected ${total} floats, got ${buf.length}`)
  const views: Record<string, Float32Array> = {}
  let off = 0
  for (const [name, n] of sh) {
    views[name] = buf.subarray(off, off + n)
    off += n
  }
  return { arch, flat: buf, ...(views as Omit<CnnParams, 'arch' | 'flat'>) }
}

/** He-normal initialisation (Box–Muller on the seeded generator); biases start at zero. */
export function initParams(arch: CnnArch, rand: () => number): CnnParams {
  const p = allocParams(arch)
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
  const fill = (w: Float32Array, fanIn: number): void => {
    const s = Math.sqrt(2 / fanIn)
    for (let i = 0; i < w.length; i++) w[i] = normal() * s
  }
  fill(p.w1, arch.conv1.cin * arch.conv1.k ** 2)
  fill(p.w2, arch.conv2.cin * arch.conv2.k ** 2)
  fill(p.w3, flatSize(arch))
  fill(p.w4, arch.hidden)
  return p
}

/** col[K×P] from x[cin×size×size] for a valid, stride-1 convolution. */
function im2col(x: Float32Array, xOff: number, c: ConvSpec, col: Float32Array): void {
  const { cin, k, size } = c
  const o = convOut(c)
  const P = o * o
  for (let ci = 0; ci < cin; ci++) {
    for (let ki = 0; ki < k; ki++) {
      for (let kj = 0; kj < k; kj++) {
        const r = (ci * k + ki) * k + kj
        let dst = r * P
        for (let oy = 0; oy < o; oy++) {
          let src = xOff + ci * size * size + (oy + ki) * size + kj
          for (let ox = 0; ox < o; ox++) col[dst++] = x[src++] as number
        }
      }
    }
  }
}

/** out[M×N] = A[M×K] · B[K×N] + bias[M] */
function gemmBias(A: Float32Array, B: Float32Array, bias: Float32Array, out: Float32Array, M: number, K: number, N: number): void {
  for (let m = 0; m < M; m++) {
    const bm = bias[m] as number
    const row = m * N
    for (let n = 0; n < N; n++) out[row + n] = bm
    for (let k = 0; k < K; k++) {
      const a = A[m * K + k] as number
      if (a === 0) continue
      const bRow = k * N
      for (let n = 0; n < N; n++) out[row + n] = (out[row + n] as number) + a * (B[bRow + n] as number)
    }
  }
}

/** ReLU then 2×2 max-pool over [C×H×H]; remembers each output's source index (-1 when the max was ≤ 0). */
function reluPool(x: Float32Array, C: number, H: number, out: Float32Array, outOff: number, arg: Int32Array, argOff: number): void {
  const O = Math.floor(H / 2)
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < O; oy++) {
      for (let ox = 0; ox < O; ox++) {
        const base = c * H * H + 2 * oy * H + 2 * ox
        let best = 0
        let bi = -1
        const cand = [base, base + 1, base + H, base + H + 1]
        for (const i of cand) {
          const v = x[i] as number
          if (v > best) {
            best = v
            bi = i
          }
        }
        const o = (c * O + oy) * O + ox
        out[outOff + o] = best
        arg[argOff + o] = bi
      }
    }
  }
}

export interface Workspace {
  batch: number
  col1: Float32Array
  col2: Float32Array
  conv1: Float32Array
  pool1: Float32Array
  arg1: Int32Array
  conv2: Float32Array
  flat: Float32Array
  arg2: Int32Array
  hidden: Float32Array
  logits: Float32Array
  // backward scratch
  dHidden: Float32Array
  dFlat: Float32Array
  dConv2: Float32Array
  dCol2: Float32Array
  dPool1: Float32Array
  dConv1: Float32Array
}

export function allocWorkspace(a: CnnArch, batch: number): Workspace {
  const P1 = convOut(a.conv1) ** 2
  const K1 = a.conv1.cin * a.conv1.k ** 2
  const P2 = convOut(a.conv2) ** 2
  const K2 = a.conv2.cin * a.conv2.k ** 2
  const pool1 = a.conv1.cout * poolOut(a.conv1) ** 2
  const F = flatSize(a)
  return {
    batch,
    col1: new Float32Array(batch * K1 * P1),
    col2: new Float32Array(batch * K2 * P2),
    conv1: new Float32Array(a.conv1.cout * P1),
    pool1: new Float32Array(batch * pool1),
    arg1: new Int32Array(batch * pool1),
    conv2: new Float32Array(a.conv2.cout * P2),
    flat: new Float32Array(batch * F),
    arg2: new Int32Array(batch * F),
    hidden: new Float32Array(batch * a.hidden),
    logits: new Float32Array(batch * a.classes),
    dHidden: new Float32Array(batch * a.hidden),
    dFlat: new Float32Array(batch * F),
    dConv2: new Float32Array(a.conv2.cout * P2),
    dCol2: new Float32Array(K2 * P2),
    dPool1: new Float32Array(pool1),
    dConv1: new Float32Array(a.conv1.cout * P1),
  }
}

/** Forward pass for `n` samples of x (n × 1 × 28 × 28, already normalised); logits land in ws.logits. */
export function forward(p: CnnParams, ws: Workspace, x: Float32Array, n: number): Float32Array {
  const a = p.arch
  const { conv1: c1, conv2: c2 } = a
  const P1 = convOut(c1) ** 2
  const K1 = c1.cin * c1.k ** 2
  const P2 = convOut(c2) ** 2
  const K2 = c2.cin * c2.k ** 2
  const pool1 = c1.cout * poolOut(c1) ** 2
  const F = flatSize(a)
  const inSize = c1.cin * c1.size * c1.size
  for (let b = 0; b < n; b++) {
    const col1 = ws.col1.subarray(b * K1 * P1, (b + 1) * K1 * P1)
    im2col(x, b * inSize, c1, col1)
    gemmBias(p.w1, col1, p.b1, ws.conv1, c1.cout, K1, P1)
    reluPool(ws.conv1, c1.cout, convOut(c1), ws.pool1, b * pool1, ws.arg1, b * pool1)
    const col2 = ws.col2.subarray(b * K2 * P2, (b + 1) * K2 * P2)
    im2col(ws.pool1, b * pool1, c2, col2)
    gemmBias(p.w2, col2, p.b2, ws.conv2, c2.cout, K2, P2)
    reluPool(ws.conv2, c2.cout, convOut(c2), ws.flat, b * F, ws.arg2, b * F)
  }
  dense(ws.flat, p.w3, p.b3, ws.hidden, n, F, a.hidden, true)
  dense(ws.hidden, p.w4, p.b4, ws.logits, n, a.hidden, a.classes, false)
  return ws.logits
}

/** Y[n×O] = X[n×I] · Wᵀ + b, optionally ReLU. */
function dense(
  X: Float32Array,
  W: Float32Array,
  bias: Float32Array,
  Y: Float32Array,
  n: number,
  I: number,
  O: number,
  relu: boolean,
): void {
  for (let b = 0; b < n; b++) {
    const xo = b * I
    for (let o = 0; o < O; o++) {
      const wo = o * I
      let s = bias[o] as number
      for (let i = 0; i < I; i++) s += (X[xo + i] as number) * (W[wo + i] as number)
      Y[b * O + o] = relu && s < 0 ? 0 : s
    }
  }
}

/**
 * Softmax cross-entropy loss and gradients for one mini-batch (after `forward`).
 * Gradients are averaged over the batch and written into `grad` (same layout as params.flat).
 */
export function backward(p: CnnParams, ws: Workspace, labels: ArrayLike<number>, n: number, grad: CnnParams): number {
  const a = p.arch
  const { conv1: c1, conv2: c2 } = a
  const P1 = convOut(c1) ** 2
  const K1 = c1.cin * c1.k ** 2
  const P2 = convOut(c2) ** 2
  const K2 = c2.cin * c2.k ** 2
  const pool1 = c1.cout * poolOut(c1) ** 2
  const F = flatSize(a)
  const C = a.classes
  const H = a.hidden
  grad.flat.fill(0)
  let loss = 0
  const inv = 1 / n
  // softmax + CE, turned in place into dLogits
  const dLogits = ws.logits
  for (let b = 0; b < n; b++) {
    let max = Number.NEGATIVE_INFINITY
    for (let c = 0; c < C; c++) max = Math.max(max, dLogits[b * C + c] as number)
    let sum = 0
    for (let c = 0; c < C; c++) {
      const e = Math.exp((dLogits[b * C + c] as number) - max)
      dLogits[b * C + c] = e
      sum += e
    }
    const y = labels[b] as number
    loss -= Math.log(Math.max((dLogits[b * C + y] as number) / sum, 1e-12))
    for (let c = 0; c < C; c++) dLogits[b * C + c] = ((dLogits[b * C + c] as number) / sum - (c === y ? 1 : 0)) * inv
  }
  // dense 2
  ws.dHidden.fill(0)
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < C; c++) {
      const g = dLogits[b * C + c] as number
      grad.b4[c] = (grad.b4[c] as number) + g
      const wo = c * H
      for (let h = 0; h < H; h++) {
        grad.w4[wo + h] = (grad.w4[wo + h] as number) + g * (ws.hidden[b * H + h] as number)
        ws.dHidden[b * H + h] = (ws.dHidden[b * H + h] as number) + g * (p.w4[wo + h] as number)
      }
    }
  }
  // dense 1 (ReLU: hidden == 0 means inactive)
  ws.dFlat.fill(0)
  for (let b = 0; b < n; b++) {
    for (let h = 0; h < H; h++) {
      if ((ws.hidden[b * H + h] as number) <= 0) continue
      const g = ws.dHidden[b * H + h] as number
      if (g === 0) continue
      grad.b3[h] = (grad.b3[h] as number) + g
      const wo = h * F
      const xo = b * F
      for (let i = 0; i < F; i++) {
        grad.w3[wo + i] = (grad.w3[wo + i] as number) + g * (ws.flat[xo + i] as number)
        ws.dFlat[xo + i] = (ws.dFlat[xo + i] as number) + g * (p.w3[wo + i] as number)
      }
    }
  }
  for (let b = 0; b < n; b++) {
    // pool 2 / relu 2
    ws.dConv2.fill(0)
    for (let i = 0; i < F; i++) {
      const src = ws.arg2[b * F + i] as number
      if (src >= 0) ws.dConv2[src] = ws.dFlat[b * F + i] as number
    }
    const col2 = ws.col2.subarray(b * K2 * P2, (b + 1) * K2 * P2)
    // dW2 += dConv2 · col2ᵀ ; dCol2 = W2ᵀ · dConv2
    ws.dCol2.fill(0)
    for (let co = 0; co < c2.cout; co++) {
      const dRow = co * P2
      let db = 0
      for (let q = 0; q < P2; q++) db += ws.dConv2[dRow + q] as number
      grad.b2[co] = (grad.b2[co] as number) + db
      for (let r = 0; r < K2; r++) {
        let s = 0
        const cRow = r * P2
        for (let q = 0; q < P2; q++) s += (ws.dConv2[dRow + q] as number) * (col2[cRow + q] as number)
        grad.w2[co * K2 + r] = (grad.w2[co * K2 + r] as number) + s
        const w = p.w2[co * K2 + r] as number
        for (let q = 0; q < P2; q++) ws.dCol2[cRow + q] = (ws.dCol2[cRow + q] as number) + w * (ws.dConv2[dRow + q] as number)
      }
    }
    // col2im into dPool1
    ws.dPool1.fill(0)
    const o2 = convOut(c2)
    const s2 = c2.size
    for (let ci = 0; ci < c2.cin; ci++) {
      for (let ki = 0; ki < c2.k; ki++) {
        for (let kj = 0; kj < c2.k; kj++) {
          const r = (ci * c2.k + ki) * c2.k + kj
          let src = r * P2
          for (let oy = 0; oy < o2; oy++) {
            let dst = ci * s2 * s2 + (oy + ki) * s2 + kj
            for (let ox = 0; ox < o2; ox++) {
              ws.dPool1[dst] = (ws.dPool1[dst] as number) + (ws.dCol2[src++] as number)
              dst++
            }
          }
        }
      }
    }
    // pool 1 / relu 1
    ws.dConv1.fill(0)
    for (let i = 0; i < pool1; i++) {
      const src = ws.arg1[b * pool1 + i] as number
      if (src >= 0) ws.dConv1[src] = ws.dPool1[i] as number
    }
    const col1 = ws.col1.subarray(b * K1 * P1, (b + 1) * K1 * P1)
    for (let co = 0; co < c1.cout; co++) {
      const dRow = co * P1
      let db = 0
      for (let q = 0; q < P1; q++) db += ws.dConv1[dRow + q] as number
      grad.b1[co] = (grad.b1[co] as number) + db
      for (let r = 0; r < K1; r++) {
        let s = 0
        const cRow = r * P1
        for (let q = 0; q < P1; q++) s += (ws.dConv1[dRow + q] as number) * (col1[cRow + q] as number)
        grad.w1[co * K1 + r] = (grad.w1[co * K1 + r] as number) + s
      }
    }
  }
  return loss * inv
}

export interface Adam {
  lr: number
  beta1: number
  beta2: number
  eps: number
  weightDecay: number
  step: number
  m: Float32Array
  v: Float32Array
}

export function createAdam(size: number, lr: number, weightDecay = 0): Adam {
  return { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, step: 0, m: new Float32Array(size), v: new Float32Array(size) }
}

/** AdamW update of `params` in place. */
export function adamStep(opt: Adam, params: Float32Array, grad: Float32Array): void {
  opt.step++
  const { beta1, beta2, eps, lr, weightDecay, m, v } = opt
  const c1 = 1 - beta1 ** opt.step
  const c2 = 1 - beta2 ** opt.step
  for (let i = 0; i < params.length; i++) {
    const g = grad[i] as number
    const mi = beta1 * (m[i] as number) + (1 - beta1) * g
    const vi = beta2 * (v[i] as number) + (1 - beta2) * g * g
    m[i] = mi
    v[i] = vi
    const w = params[i] as number
    params[i] = w - lr * (mi / c1 / (Math.sqrt(vi / c2) + eps) + weightDecay * w)
  }
}

/** Normalisation used at training time; the model's manifest carries the same mean/std for inference. */
export const PIXEL_MEAN = 0.286
export const PIXEL_STD = 0.353

/**
 * Normalises one 28×28 image into `out`, optionally mirrored and shifted by (dx, dy) pixels with
 * background fill (the training augmentations).
 */
export function normalise(pixels: Uint8Array, out: Float32Array, outOff: number, flip = false, size = 28, dx = 0, dy = 0): void {
  const bg = -PIXEL_MEAN / PIXEL_STD
  for (let y = 0; y < size; y++) {
    const sy = y - dy
    for (let x = 0; x < size; x++) {
      const tx = x - dx
      const sx = flip ? size - 1 - tx : tx
      out[outOff + y * size + x] =
        sy < 0 || sy >= size || sx < 0 || sx >= size ? bg : ((pixels[sy * size + sx] as number) / 255 - PIXEL_MEAN) / PIXEL_STD
    }
  }
}

export function argmax(v: Float32Array, off: number, n: number): number {
  let best = 0
  for (let i = 1; i < n; i++) if ((v[off + i] as number) > (v[off + best] as number)) best = i
  return best
}
