/**
 * The models a node serves: manifests found in model folders, loaded into onnxruntime sessions on
 * first use (or up front), each checked against its manifest and fronted by a dynamic batcher.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import type { Logger } from 'pino'
import { CrankError, JobError } from '../../src/errors.ts'
import { type BatchingOptions, DynamicBatcher } from './batcher.ts'
import { expectedInputShape, manifestError, type ResolvedManifest, readManifest, sampleSize } from './manifest.ts'
import type { Provider } from './providers.ts'

export interface LoadedModel {
  manifest: ResolvedManifest
  session: ort.InferenceSession
  batcher: DynamicBatcher
  provider: Provider
  /** Output floats per sample (= number of labels). */
  classes: number
  /**
   * The graph output the OOD score reads logits from, when it is not the main output (manifest
   * `ood.output`): each batcher row is then the main output followed by these logits.
   */
  extraOutput?: string
  /** The batch cap actually used (a model with a fixed batch dimension caps it). */
  maxBatch: number
}

export interface LoadOptions {
  provider: Provider
  batching: BatchingOptions
  /** onnxruntime intra-op threads per session; 0 lets onnxruntime choose. */
  intraOpThreads: number
  log?: Logger
}

const sameDim = (want: number | string, got: number | string): boolean => typeof got === 'string' || got === -1 || want === got

/** Loads one model and checks that its graph matches its manifest. Throws `model_mismatch` when not. */
export async function loadModel(manifest: ResolvedManifest, opts: LoadOptions): Promise<LoadedModel> {
  const path = manifest.manifestPath
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    // a GPU provider keeps CPU as fallback for user models whose ops it lacks (onnxruntime logs which)
    executionProviders: opts.provider === 'cpu' ? ['cpu'] : [opts.provider, 'cpu'],
    graphOptimizationLevel: 'all',
    ...(opts.intraOpThreads > 0 ? { intraOpNumThreads: opts.intraOpThreads } : {}),
    // spinning worker threads halve batch-1 latency on an idle machine but burn the CPU that
    // sharp needs to decode the next images; image jobs are decode-bound, so do not spin
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  }
  let session: ort.InferenceSession
  try {
    session = await ort.InferenceSession.create(manifest.modelPath, sessionOptions)
  } catch (err) {
    throw manifestError('invalid_model_manifest', path, `cannot load ONNX model ${manifest.modelPath}: ${(err as Error).message}`)
  }
  try {
    const input = session.inputMetadata.find((m) => m.name === manifest.input.name)
    if (input === undefined) {
      throw manifestError(
        'model_mismatch',
        path,
        `input "${manifest.input.name}" is not in the model; its inputs are ${session.inputNames.join(', ')}`,
      )
    }
    const want = expectedInputShape(manifest, 'batch')
    if (!input.isTensor || input.type !== 'float32')
      throw manifestError('model_mismatch', path, `model input "${input.name}" is not a float32 tensor`)
    const got = input.shape
    const fits = got.length === want.length && want.every((d, i) => i === 0 || sameDim(d, got[i] as number | string))
    if (!fits) {
      throw manifestError(
        'model_mismatch',
        path,
        `manifest describes input "${input.name}" as ${manifest.input.layout} [${want.join(', ')}] (${manifest.input.width}×${manifest.input.height}, ${manifest.input.channels} channel(s)) but the model expects [${got.join(', ')}]`,
      )
    }
    const output = session.outputMetadata.find((m) => m.name === manifest.output.name)
    if (output === undefined) {
      throw manifestError(
        'model_mismatch',
        path,
        `output "${manifest.output.name}" is not in the model; its outputs are ${session.outputNames.join(', ')}`,
      )
    }
    const classes = manifest.labels.length
    if (output.isTensor) {
      const last = output.shape[output.shape.length - 1]
      if (typeof last === 'number' && last > 0 && last !== classes) {
        throw manifestError('model_mismatch', path, `the model outputs ${last} classes but the labels list has ${classes}`)
      }
    }
    const fixedBatch = typeof got[0] === 'number' && (got[0] as number) > 0 ? (got[0] as number) : undefined
    if (fixedBatch !== undefined && fixedBatch !== 1) {
      throw manifestError(
        'model_mismatch',
        path,
        `the model's batch dimension is fixed at ${fixedBatch}; only 1 or a dynamic batch is supported`,
      )
    }
    const maxBatch = fixedBatch ?? opts.batching.maxBatch
    const extra = manifest.ood?.output !== undefined && manifest.ood.output !== manifest.output.name ? manifest.ood.output : undefined
    if (extra !== undefined && !session.outputNames.includes(extra)) {
      throw manifestError(
        'model_mismatch',
        path,
        `ood.output "${extra}" is not in the model; its outputs are ${session.outputNames.join(', ')}`,
      )
    }
    const per = sampleSize(manifest)
    const dims = (n: number): number[] => expectedInputShape(manifest, n) as number[]
    const fetched = (out: ort.InferenceSession.ReturnType, name: string, n: number): Float32Array => {
      const t = out[name]
      if (t === undefined || t.data.length !== n * classes) {
        throw new CrankError(
          'model_mismatch',
          `model ${manifest.id} returned ${t?.data.length ?? 0} values in "${name}" for ${n} images × ${classes} classes`,
        )
      }
      return t.data as Float32Array
    }
    const batcher = new DynamicBatcher(
      async (data, n) => {
        const out = await session.run({ [manifest.input.name]: new ort.Tensor('float32', data, dims(n)) })
        const main = fetched(out, manifest.output.name, n)
        if (extra === undefined) return main
        const logits = fetched(out, extra, n)
        const rows = new Float32Array(2 * n * classes)
        for (let i = 0; i < n; i++) {
          rows.set(main.subarray(i * classes, (i + 1) * classes), 2 * i * classes)
          rows.set(logits.subarray(i * classes, (i + 1) * classes), (2 * i + 1) * classes)
        }
        return rows
      },
      per,
      extra === undefined ? classes : 2 * classes,
      { ...opts.batching, maxBatch },
    )
    opts.log?.debug({ model: manifest.id, provider: opts.provider, maxBatch }, 'image.classify: model loaded')
    return {
      manifest,
      session,
      batcher,
      provider: opts.provider,
      classes,
      maxBatch,
      ...(extra === undefined ? {} : { extraOutput: extra }),
    }
  } catch (err) {
    await session.release()
    throw err
  }
}

/** Every `*.json` manifest in the given folders, by model id. Bad manifests are kept as errors. */
export function scanManifests(dirs: string[], files: string[]): Map<string, ResolvedManifest | CrankError> {
  const found = new Map<string, ResolvedManifest | CrankError>()
  const paths = [...files]
  for (const dir of dirs) {
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.json')) paths.push(join(dir, f))
  }
  for (const p of paths) {
    try {
      const m = readManifest(p)
      if (found.has(m.id)) throw manifestError('invalid_model_manifest', p, `model id "${m.id}" is already defined by another manifest`)
      found.set(m.id, m)
    } catch (err) {
      const e = err instanceof CrankError ? err : manifestError('invalid_model_manifest', p, (err as Error).message)
      found.set(`!${p}`, e)
    }
  }
  return found
}

export class ModelStore {
  private readonly manifests: Map<string, ResolvedManifest | CrankError>
  private readonly loaded = new Map<string, Promise<LoadedModel>>()
  private readonly opts: LoadOptions

  constructor(manifests: Map<string, ResolvedManifest | CrankError>, opts: LoadOptions) {
    this.manifests = manifests
    this.opts = opts
  }

  /** Ids of the models this store can serve. */
  ids(): string[] {
    return [...this.manifests.entries()].filter(([, m]) => !(m instanceof Error)).map(([id]) => id)
  }

  /** Manifests that failed to parse, for the startup log. */
  problems(): CrankError[] {
    return [...this.manifests.values()].filter((m): m is CrankError => m instanceof Error)
  }

  get(id: string): Promise<LoadedModel> {
    const m = this.manifests.get(id)
    if (m === undefined || m instanceof Error) {
      return Promise.reject(new JobError('unknown_model', `no model "${id}" on this node; it serves: ${this.ids().join(', ') || 'none'}`))
    }
    let p = this.loaded.get(id)
    if (p === undefined) {
      p = loadModel(m, this.opts).catch((err: unknown) => {
        this.loaded.delete(id)
        const e = err as CrankError
        throw new JobError('model_load_failed', e.message, { details: { model: id, code: e.code } })
      })
      this.loaded.set(id, p)
    }
    return p
  }

  async close(): Promise<void> {
    const all = [...this.loaded.values()]
    this.loaded.clear()
    for (const p of all) {
      try {
        await (await p).session.release()
      } catch {
        // a model that failed to load has no session to release
      }
    }
  }
}
