/**
 * Copies of the default model's manifest with some fields changed (another id, the preprocessing
 * of an earlier version, an OOD block with no threshold), written to a temporary folder and
 * pointing at the same ONNX file: how the eval compares settings on one model.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readManifest } from '../../capabilities/image.classify/manifest.ts'

export const DEFAULT_MANIFEST = new URL('../../capabilities/image.classify/models/fashion-mnist-cnn.json', import.meta.url).pathname

/** The default manifest's JSON as committed (paths relative, labels by file). */
export function defaultManifestJson(): Record<string, unknown> {
  return JSON.parse(readFileSync(DEFAULT_MANIFEST, 'utf8')) as Record<string, unknown>
}

/** Writes a variant whose fields are `changes` over the default manifest; returns its path. */
export function writeVariant(changes: (m: Record<string, unknown>) => Record<string, unknown>): string {
  const base = readManifest(DEFAULT_MANIFEST)
  const json = { ...defaultManifestJson(), file: base.modelPath, labels: base.labels }
  const v = changes(json)
  const path = join(mkdtempSync(join(tmpdir(), 'crank-image-variant-')), `${String(v.id)}.json`)
  writeFileSync(path, JSON.stringify(v))
  return path
}
