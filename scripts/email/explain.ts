/**
 * Why a message scores as it does: the features that push its logit most, by
 * weight × value, for the committed model (capabilities/email.classify/model/).
 *
 *   node scripts/email/explain.ts FILE…          explain these messages
 *   node scripts/email/explain.ts --robustness   explain the robustness set's ham scored above the served threshold
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import onnxProto from 'onnx-proto'
import { extractFeatures, type FeatureConfig } from '../../capabilities/email-shared/features.ts'
import { parseMessage } from '../../capabilities/email-shared/parse-email.ts'
import { REPO_ROOT } from './corpus.ts'
import { loadRobustnessSet } from './robustness-set.ts'

const MODEL_DIR = join(REPO_ROOT, 'capabilities', 'email.classify', 'model')
const TOP = 15

function loadModel(): { weights: Float32Array; bias: number; features: FeatureConfig; threshold: number } {
  const config = JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8')) as {
    model: string
    features: FeatureConfig
    threshold: number
  }
  const model = onnxProto.onnx.ModelProto.decode(readFileSync(join(MODEL_DIR, config.model)))
  const tensor = (name: string): Float32Array => {
    const t = model.graph?.initializer?.find((i) => i.name === name)
    const raw = t?.rawData
    if (raw == null) throw new Error(`no initializer ${name}`)
    const copy = new Uint8Array(raw)
    return new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4)
  }
  return { weights: tensor('W'), bias: tensor('b')[0] as number, features: config.features, threshold: config.threshold }
}

const { weights, bias, features, threshold } = loadModel()

async function explain(path: string, label: string, onlyFlagged: boolean): Promise<void> {
  const names = new Map<number, Set<string>>()
  const x = extractFeatures(await parseMessage(readFileSync(path)), features, names)
  const parts: { idx: number; c: number; v: number }[] = []
  let z = bias
  for (let k = 0; k < x.indices.length; k++) {
    const idx = x.indices[k] as number
    const c = (weights[idx] as number) * (x.values[k] as number)
    z += c
    parts.push({ idx, c, v: x.values[k] as number })
  }
  const p = 1 / (1 + Math.exp(-z))
  if (onlyFlagged && p <= threshold) return
  console.log(`\n${label}: p=${p.toFixed(3)} logit ${z.toFixed(2)} (bias ${bias.toFixed(2)}), ${x.indices.length} features`)
  parts.sort((a, b) => Math.abs(b.c) - Math.abs(a.c))
  for (const { idx, c, v } of parts.slice(0, TOP))
    console.log(
      `  ${c >= 0 ? '+' : ''}${c.toFixed(3)}  w=${(weights[idx] as number).toFixed(2)} v=${v.toFixed(3)}  ${[...(names.get(idx) ?? [])].join(' | ')}`,
    )
}

if (process.argv.includes('--robustness')) {
  for (const m of loadRobustnessSet()) if (!m.spam) await explain(m.path, m.key, !process.argv.includes('--all'))
} else for (const f of process.argv.slice(2)) await explain(f, f, false)
