/**
 * Builds the image.classify capability: finds model manifests, probes execution providers, and
 * returns a capability whose handler decodes with sharp, batches across concurrent jobs and runs
 * onnxruntime-node. `index.ts` exports one built with the defaults; embedders call this directly
 * to serve their own models or change batching.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino, { type Logger } from 'pino'
import { type Capability, defineCapability, type JobContext } from '../../src/capability.ts'
import { type CrankError, JobError } from '../../src/errors.ts'
import type { Box } from './background.ts'
import { type BatchingOptions, DEFAULT_BATCHING } from './batcher.ts'
import { expectedInputShape, type ResolvedManifest, sampleSize } from './manifest.ts'
import { ModelStore, scanManifests } from './model-store.ts'
import { type OodVerdict, oodVerdict } from './ood.ts'
import { decodeImage } from './preprocess.ts'
import { type GpuProvider, type Provider, type ProviderProbe, probeProviders } from './providers.ts'

export const BUILTIN_MODELS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'models')
export const DEFAULT_MODEL = 'fashion-mnist-cnn'

export interface ImageClassifyOptions {
  /** Folders whose `*.json` files are model manifests. Default: the built-in models plus `CRANK_IMAGE_MODEL_DIRS` (colon-separated). */
  modelDirs?: string[]
  /** Extra manifest files. */
  manifests?: string[]
  /** Model used when a job names none. */
  defaultModel?: string
  /**
   * `auto` probes CUDA then WebGPU and uses the first that really runs (else CPU); or a fixed
   * choice, e.g. `['cpu']`. Default: `CRANK_IMAGE_PROVIDERS` (comma-separated) or `auto`.
   */
  providers?: 'auto' | Provider[]
  batching?: Partial<BatchingOptions>
  /** Largest input accepted, in bytes. */
  maxInputBytes?: number
  /** Largest width × height accepted, checked on the image header before decoding. */
  maxInputPixels?: number
  /** onnxruntime intra-op threads per model; 0 = onnxruntime's default. */
  intraOpThreads?: number
  /** Jobs a node runs at once; batching needs many in flight. */
  concurrency?: number
  /** Load the default model now rather than on the first job. */
  preload?: boolean
  log?: Logger
}

export interface ImageClassifyParams {
  model?: string
  top_k?: number
  require_gpu?: boolean
}

export interface Prediction {
  label: string
  index: number
  probability: number
}

export interface ImageClassifyResult {
  model: { id: string; version: string }
  provider: Provider
  gpu: boolean
  predictions: Prediction[]
  image: { format: string; width: number; height: number }
  /** What preprocessing did to this image: inverted (manifest `invert`), and the content box kept (manifest `trim`). */
  preprocessing: { inverted: boolean; crop: Box | null }
  /**
   * False when the image looks unlike the model's training data (manifest `ood`, calibrated on
   * held-out data): the predictions are then not to be trusted. Absent for models without `ood`.
   */
  in_distribution?: boolean
  ood_score?: OodVerdict['ood_score']
  batch_size: number
  timings: { read_ms: number; preprocess_ms: number; queue_ms: number; inference_ms: number; total_ms: number }
}

export interface ImageClassify {
  capability: Capability<ImageClassifyParams, ImageClassifyResult>
  probe: ProviderProbe
  store: ModelStore
  close(): Promise<void>
}

export const IMAGE_ERRORS = {
  invalid_image: { retryable: false, description: 'the input is empty, corrupt, or not an image format sharp reads' },
  image_too_large: {
    retryable: false,
    description: 'the input is over the byte limit, or its header claims more pixels than the limit (refused before decoding)',
  },
  unknown_model: { retryable: false, description: 'this node has no model with that id' },
  model_load_failed: {
    retryable: false,
    description: 'the model or its manifest is broken, e.g. the manifest input shape does not match the ONNX graph',
  },
  gpu_unavailable: { retryable: true, description: 'the job requires a GPU and this node serves on CPU (another provider may have one)' },
} as const

const round = (ms: number): number => Math.round(ms * 1000) / 1000

export async function createImageClassify(opts: ImageClassifyOptions = {}): Promise<ImageClassify> {
  // stderr: the catalogue is imported by CLI commands whose stdout is their output
  const log = opts.log ?? pino({ name: 'image.classify', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2))
  const envDirs = (process.env.CRANK_IMAGE_MODEL_DIRS ?? '').split(':').filter((d) => d !== '')
  const dirs = opts.modelDirs ?? [BUILTIN_MODELS_DIR, ...envDirs]
  const manifests = scanManifests(dirs, opts.manifests ?? [])
  const defaultModel = opts.defaultModel ?? DEFAULT_MODEL
  const batching: BatchingOptions = { ...DEFAULT_BATCHING, ...opts.batching }
  const maxInputBytes = opts.maxInputBytes ?? 32 * 1024 * 1024
  const maxInputPixels = opts.maxInputPixels ?? 40_000_000

  const envProviders = process.env.CRANK_IMAGE_PROVIDERS?.split(',').map((p) => p.trim()) as Provider[] | undefined
  const wanted = opts.providers ?? (envProviders === undefined || envProviders.includes('auto' as Provider) ? 'auto' : envProviders)
  const gpuCandidates: GpuProvider[] = wanted === 'auto' ? ['cuda', 'webgpu'] : wanted.filter((p): p is GpuProvider => p !== 'cpu')
  const probeModel = manifests.get(defaultModel)
  let probe: ProviderProbe
  if (gpuCandidates.length === 0) probe = { provider: 'cpu', gpu: false, attempts: [], summary: 'cpu (GPU not requested)' }
  else if (probeModel === undefined || probeModel instanceof Error) {
    probe = { provider: 'cpu', gpu: false, attempts: [], summary: `cpu (no default model "${defaultModel}" to warm a GPU up with)` }
  } else probe = await probeProviders(warmupInput(probeModel), gpuCandidates)
  if (probe.gpu) log.info({ probe }, `image.classify: serving on GPU — ${probe.summary}`)
  else log.info({ probe }, `image.classify: serving on CPU — ${probe.summary}`)
  for (const problem of [...manifests.values()].filter((m): m is CrankError => m instanceof Error))
    log.warn({ err: problem.message }, 'image.classify: skipping model')

  const store = new ModelStore(manifests, { provider: probe.provider, batching, intraOpThreads: opts.intraOpThreads ?? 0, log })
  if (opts.preload === true) await store.get(defaultModel)

  const capability = defineCapability<ImageClassifyParams, ImageClassifyResult>({
    id: 'image.classify',
    version: '1.0.0',
    description: `Classifies an image (JPEG, PNG, WebP, GIF, TIFF, AVIF) with an ONNX model; models: ${store.ids().join(', ')}`,
    input: {
      type: 'object',
      additionalProperties: false,
      properties: {
        model: { type: 'string', minLength: 1, maxLength: 100, description: `model id (default ${defaultModel})` },
        top_k: { type: 'integer', minimum: 1, maximum: 1000, description: 'how many labels to return (default 5)' },
        require_gpu: { type: 'boolean', description: 'fail with gpu_unavailable unless this node runs the model on a GPU' },
      },
    },
    output: {
      type: 'object',
      required: ['model', 'provider', 'gpu', 'predictions', 'image', 'preprocessing', 'batch_size', 'timings'],
      properties: {
        model: { type: 'object', required: ['id', 'version'], properties: { id: { type: 'string' }, version: { type: 'string' } } },
        provider: { enum: ['cpu', 'cuda', 'webgpu'] },
        gpu: { type: 'boolean' },
        predictions: {
          type: 'array',
          items: {
            type: 'object',
            required: ['label', 'index', 'probability'],
            properties: { label: { type: 'string' }, index: { type: 'integer' }, probability: { type: 'number' } },
          },
        },
        image: {
          type: 'object',
          required: ['format', 'width', 'height'],
          properties: { format: { type: 'string' }, width: { type: 'integer' }, height: { type: 'integer' } },
        },
        preprocessing: {
          type: 'object',
          required: ['inverted', 'crop'],
          properties: { inverted: { type: 'boolean' }, crop: { type: ['object', 'null'] } },
        },
        in_distribution: { type: 'boolean' },
        ood_score: {
          type: 'object',
          required: ['method', 'value', 'threshold'],
          properties: {
            method: { enum: ['energy', 'max_softmax'] },
            value: { type: 'number' },
            threshold: { type: 'number' },
            background_fraction: { type: 'number' },
            min_background_fraction: { type: 'number' },
          },
        },
        batch_size: { type: 'integer' },
        timings: { type: 'object', additionalProperties: { type: 'number' } },
      },
    },
    errors: IMAGE_ERRORS,
    tags: ['image', 'onnx', probe.provider, probe.gpu ? 'gpu' : 'cpu'],
    runtime: 'inline',
    concurrency: opts.concurrency ?? 64,
    resources: { gpu: probe.gpu, memoryMb: 512 },
    module: import.meta.url,
    handler: async (ctx: JobContext<ImageClassifyParams>): Promise<ImageClassifyResult> => {
      const t0 = performance.now()
      if (ctx.params.require_gpu === true && !probe.gpu) {
        throw new JobError('gpu_unavailable', `this node runs image.classify on CPU: ${probe.summary}`, { retryable: true })
      }
      const modelId = ctx.params.model ?? defaultModel
      const modelPromise = store.get(modelId)
      const bytes = await readAll(ctx.input, maxInputBytes)
      const t1 = performance.now()
      const model = await modelPromise
      const sample = new Float32Array(sampleSize(model.manifest))
      const decoded = await decodeImage(bytes, model.manifest, { maxInputPixels }, sample)
      ctx.signal.throwIfAborted()
      const t2 = performance.now()
      const r = await model.batcher.submit(sample)
      const main = model.extraOutput === undefined ? r.output : r.output.subarray(0, model.classes)
      const probs = model.manifest.output.softmax ? softmax(main) : main
      const ood = model.manifest.ood
      const verdict =
        ood === undefined
          ? undefined
          : oodVerdict(ood, model.extraOutput === undefined ? main : r.output.subarray(model.classes), probs, decoded.backgroundFraction)
      return {
        model: { id: model.manifest.id, version: model.manifest.version },
        provider: model.provider,
        gpu: model.provider !== 'cpu',
        predictions: topK(probs, model.manifest.labels, ctx.params.top_k ?? 5),
        image: { format: decoded.format, width: decoded.width, height: decoded.height },
        preprocessing: { inverted: decoded.inverted, crop: decoded.crop },
        ...(verdict === undefined ? {} : verdict),
        batch_size: r.batchSize,
        timings: {
          read_ms: round(t1 - t0),
          preprocess_ms: round(t2 - t1),
          queue_ms: round(r.queueMs),
          inference_ms: round(r.inferenceMs),
          total_ms: round(performance.now() - t0),
        },
      }
    },
  })
  return { capability, probe, store, close: () => store.close() }
}

async function readAll(input: AsyncIterable<Uint8Array>, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const c of input) {
    total += c.length
    if (total > limit) throw new JobError('image_too_large', `input is over ${limit} bytes`)
    chunks.push(c)
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks)
}

export function softmax(v: Float32Array): Float32Array {
  let max = Number.NEGATIVE_INFINITY
  for (const x of v) max = Math.max(max, x)
  const out = new Float32Array(v.length)
  let sum = 0
  for (let i = 0; i < v.length; i++) {
    const e = Math.exp((v[i] as number) - max)
    out[i] = e
    sum += e
  }
  for (let i = 0; i < v.length; i++) out[i] = (out[i] as number) / sum
  return out
}

export function topK(probs: Float32Array, labels: string[], k: number): Prediction[] {
  const idx = Array.from(probs.keys())
  idx.sort((a, b) => (probs[b] as number) - (probs[a] as number))
  return idx.slice(0, Math.min(k, probs.length)).map((i) => ({ label: labels[i] ?? String(i), index: i, probability: probs[i] as number }))
}

/** A deterministic input for provider warm-up: a smooth ramp, so that every layer sees non-zero data. */
function warmupInput(m: ResolvedManifest): {
  model: Uint8Array
  inputName: string
  outputName: string
  shape: number[]
  data: Float32Array
} {
  const n = sampleSize(m)
  const data = new Float32Array(n)
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.05)
  return {
    model: readFileSync(m.modelPath),
    inputName: m.input.name,
    outputName: m.output.name,
    shape: expectedInputShape(m, 1) as number[],
    data,
  }
}
