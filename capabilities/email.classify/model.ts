/**
 * The spam model: an ONNX graph (sparse logistic regression over hashed
 * features) run with onnxruntime-node, plus the feature config it was trained
 * with. Loaded once per process, on first use.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'
import type { FeatureConfig, SparseFeatures } from '../email-shared/features.ts'

export interface ModelConfig {
  model: string
  features: FeatureConfig
  threshold: number
}

export interface SpamModel {
  config: ModelConfig
  /** Spam probability of each message. */
  predict(batch: SparseFeatures[]): Promise<Float32Array>
}

const MODEL_DIR = new URL('./model/', import.meta.url)

let loading: Promise<SpamModel> | undefined

export function loadModel(): Promise<SpamModel> {
  loading ??= open().catch((err: unknown) => {
    loading = undefined
    throw err
  })
  return loading
}

async function open(): Promise<SpamModel> {
  const config = JSON.parse(readFileSync(new URL('config.json', MODEL_DIR), 'utf8')) as ModelConfig
  const session = await ort.InferenceSession.create(fileURLToPath(new URL(config.model, MODEL_DIR)), {
    // The graph is tiny: one thread per session avoids contending with the node's other work.
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  })
  return {
    config,
    async predict(batch) {
      const nnz = Math.max(1, ...batch.map((x) => x.indices.length))
      const indices = new Int32Array(batch.length * nnz)
      const values = new Float32Array(batch.length * nnz)
      batch.forEach((x, r) => {
        const base = r * nnz
        indices.set(x.indices, base)
        values.set(x.values, base)
      })
      const out = await session.run({
        indices: new ort.Tensor('int32', indices, [batch.length, nnz]),
        values: new ort.Tensor('float32', values, [batch.length, nnz]),
      })
      return out.probability?.data as Float32Array
    },
  }
}
