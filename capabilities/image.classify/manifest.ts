/**
 * Model manifests: a JSON file next to (or pointing at) an ONNX classifier that says how to feed it.
 * Everything model-specific lives here, so the handler runs any image classifier without code changes.
 * See README.md for the fields and a MobileNetV2 example.
 */
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { Ajv } from 'ajv'
import { CrankError } from '../../src/errors.ts'
import type { OodConfig } from './ood.ts'

export type Layout = 'NCHW' | 'NHWC'
export type ResizeMode = 'fill' | 'contain' | 'cover'

export interface ModelManifest {
  id: string
  version: string
  description?: string
  /** ONNX file, relative to the manifest. */
  file: string
  /** Labels file (one per line, relative to the manifest) or the labels inline. */
  labels: string | string[]
  input: { name: string; layout: Layout; width: number; height: number; channels: 1 | 3 }
  output: { name: string; softmax: boolean }
  preprocess: {
    resize: ResizeMode
    /** RGB used for letterboxing (`contain`) and for flattening transparency. */
    background: [number, number, number]
    /** Multiplier applied to 0–255 pixel values before mean/std. */
    scale: number
    /** Per channel (or one value for all), applied after `scale`: (v − mean) / std. */
    mean: number[]
    std: number[]
    /**
     * `true`: use 255 − v (for models trained on light-on-dark images, fed dark-on-light photos).
     * `auto`: invert only when the image's border (its background) is light. Default false.
     */
    invert?: boolean | 'auto'
    /**
     * Crop away the uniform border (the background colour, taken from the border pixels) before
     * resizing, so an object letterboxed into a larger frame fills the model's input as it did in
     * training. Default false.
     */
    trim?: boolean
  }
  /** How out-of-distribution inputs are flagged (see ood.ts); absent: results carry no `in_distribution`. */
  ood?: OodConfig
  /** Free-form, e.g. how the model was trained. */
  training?: Record<string, unknown>
}

/** A manifest with its paths resolved and its labels read. */
export interface ResolvedManifest extends Omit<ModelManifest, 'labels'> {
  manifestPath: string
  modelPath: string
  labels: string[]
}

const schema = {
  type: 'object',
  required: ['id', 'version', 'file', 'labels', 'input', 'output', 'preprocess'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' },
    version: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    file: { type: 'string', minLength: 1 },
    labels: {
      oneOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', items: { type: 'string' }, minItems: 2 },
      ],
    },
    input: {
      type: 'object',
      required: ['name', 'layout', 'width', 'height', 'channels'],
      additionalProperties: false,
      properties: {
        name: { type: 'string' },
        layout: { enum: ['NCHW', 'NHWC'] },
        width: { type: 'integer', minimum: 1, maximum: 4096 },
        height: { type: 'integer', minimum: 1, maximum: 4096 },
        channels: { enum: [1, 3] },
      },
    },
    output: {
      type: 'object',
      required: ['name', 'softmax'],
      additionalProperties: false,
      properties: { name: { type: 'string' }, softmax: { type: 'boolean' } },
    },
    preprocess: {
      type: 'object',
      required: ['resize', 'background', 'scale', 'mean', 'std'],
      additionalProperties: false,
      properties: {
        resize: { enum: ['fill', 'contain', 'cover'] },
        background: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 255 }, minItems: 3, maxItems: 3 },
        scale: { type: 'number', exclusiveMinimum: 0 },
        mean: { type: 'array', items: { type: 'number' }, minItems: 1, maxItems: 3 },
        std: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 1, maxItems: 3 },
        invert: { enum: [true, false, 'auto'] },
        trim: { type: 'boolean' },
      },
    },
    ood: {
      type: 'object',
      required: ['score', 'threshold'],
      additionalProperties: false,
      properties: {
        score: { enum: ['energy', 'max_softmax'] },
        output: { type: 'string', minLength: 1 },
        temperature: { type: 'number', exclusiveMinimum: 0 },
        threshold: { type: 'number' },
        background: {
          type: 'object',
          required: ['level', 'min_fraction'],
          additionalProperties: false,
          properties: { level: { type: 'integer', minimum: 0, maximum: 255 }, min_fraction: { type: 'number', minimum: 0, maximum: 1 } },
        },
        calibration: { type: 'object' },
      },
    },
    training: { type: 'object' },
  },
} as const

const validate = new Ajv({ strict: true, allErrors: false }).compile<ModelManifest>(schema)

/** Thrown for any manifest or model that cannot be served; `code` is `invalid_model_manifest` or `model_mismatch`. */
export function manifestError(code: 'invalid_model_manifest' | 'model_mismatch', path: string, message: string): CrankError {
  return new CrankError(code, `model manifest ${path}: ${message}`, { details: { manifest: path } })
}

export function parseManifest(json: unknown, manifestPath: string): ResolvedManifest {
  if (!validate(json)) {
    const e = validate.errors?.[0]
    throw manifestError('invalid_model_manifest', manifestPath, `${e?.instancePath || '/'} ${e?.message ?? 'is invalid'}`)
  }
  const m = json
  const channels = m.input.channels
  for (const key of ['mean', 'std'] as const) {
    const n = m.preprocess[key].length
    if (n !== 1 && n !== channels) {
      throw manifestError(
        'invalid_model_manifest',
        manifestPath,
        `preprocess.${key} has ${n} values; give 1 or one per channel (${channels})`,
      )
    }
  }
  if (m.ood?.score === 'energy' && m.ood.output === undefined && !m.output.softmax) {
    throw manifestError(
      'invalid_model_manifest',
      manifestPath,
      'ood.score "energy" needs logits: set ood.output to the graph output that has them (output is already softmaxed)',
    )
  }
  const base = dirname(manifestPath)
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(base, p))
  let labels: string[]
  if (Array.isArray(m.labels)) labels = m.labels
  else {
    try {
      labels = readFileSync(at(m.labels), 'utf8')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== '')
    } catch (err) {
      throw manifestError('invalid_model_manifest', manifestPath, `cannot read labels file ${m.labels}: ${(err as Error).message}`)
    }
  }
  return { ...m, labels, manifestPath, modelPath: at(m.file) }
}

export function readManifest(manifestPath: string): ResolvedManifest {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(manifestPath, 'utf8'))
  } catch (err) {
    throw manifestError('invalid_model_manifest', manifestPath, `cannot read JSON: ${(err as Error).message}`)
  }
  return parseManifest(json, manifestPath)
}

/** Floats per image in the model's input tensor. */
export function sampleSize(m: Pick<ModelManifest, 'input'>): number {
  return m.input.width * m.input.height * m.input.channels
}

/** The input shape the manifest promises, with `batch` as the first dimension. */
export function expectedInputShape(m: Pick<ModelManifest, 'input'>, batch: number | string): Array<number | string> {
  const { layout, width, height, channels } = m.input
  return layout === 'NCHW' ? [batch, channels, height, width] : [batch, height, width, channels]
}
