/**
 * Execution-provider probe. A GPU provider counts only once a warm-up inference has really run on
 * it — CPU fallback disabled, so no node silently lands on the CPU — and its outputs match the CPU
 * provider's. Otherwise the capability serves on CPU and says why.
 *
 * onnxruntime-node's Linux build bundles WebGPU (Dawn over Vulkan: needs the Vulkan loader,
 * Debian `libvulkan1`, and a GPU driver with a Vulkan ICD). CUDA works only where onnxruntime-node's
 * CUDA provider has been installed (its postinstall downloads it; `.npmrc` skips that here).
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as ort from 'onnxruntime-node'

export type GpuProvider = 'cuda' | 'webgpu'
export type Provider = 'cpu' | GpuProvider

export interface ProviderAttempt {
  provider: GpuProvider
  ok: boolean
  /** Why it was not used, when it was not. */
  reason?: string
  /** Largest |gpu − cpu| over the warm-up outputs. */
  maxAbsDiff?: number
  warmupMs?: number
}

export interface ProviderProbe {
  provider: Provider
  gpu: boolean
  attempts: ProviderAttempt[]
  /** One line for logs and READMEs. */
  summary: string
}

export interface ProbeInput {
  model: Uint8Array | string
  inputName: string
  outputName: string
  shape: number[]
  data: Float32Array
}

/** Tolerance for GPU vs CPU outputs (probabilities or logits of a small model). */
const MAX_ABS_DIFF = 1e-3

export function strictSessionOptions(provider: Provider): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    // a node the GPU provider cannot take would otherwise run on CPU, and "GPU" would be half true
    extra: { session: { disable_cpu_ep_fallback: '1' } },
  }
}

async function runOnce(session: ort.InferenceSession, input: ProbeInput): Promise<Float32Array> {
  const out = await session.run({ [input.inputName]: new ort.Tensor('float32', input.data, input.shape) })
  const t = out[input.outputName]
  if (t === undefined) throw new Error(`model has no output "${input.outputName}"`)
  return t.data as Float32Array
}

/** Where onnxruntime-node keeps its native libraries (and, once installed, the CUDA provider). */
function ortBinDir(): string {
  const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json')
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch)
}

/** Why a provider cannot even be tried here, so the probe does not make onnxruntime print a load failure. */
function unavailable(provider: GpuProvider): string | undefined {
  if (provider === 'cuda' && !existsSync(join(ortBinDir(), 'libonnxruntime_providers_cuda.so'))) {
    return "onnxruntime-node's CUDA provider is not installed (its postinstall downloads it; this install skipped it)"
  }
  if (provider === 'webgpu' && !vulkanLoaderPresent()) {
    return 'the Vulkan loader (libvulkan.so.1, Debian libvulkan1) is not installed; WebGPU runs on Vulkan'
  }
  return undefined
}

/** Dawn prints a warning to stderr when it cannot load Vulkan: look for the loader first. */
function vulkanLoaderPresent(): boolean {
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`,
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
  ]
  return dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')))
}

export async function probeProviders(input: ProbeInput, candidates: GpuProvider[]): Promise<ProviderProbe> {
  const attempts: ProviderAttempt[] = []
  let reference: Float32Array | undefined
  for (const provider of candidates) {
    const missing = unavailable(provider)
    if (missing !== undefined) {
      attempts.push({ provider, ok: false, reason: missing })
      continue
    }
    let session: ort.InferenceSession | undefined
    try {
      const t0 = performance.now()
      session = await createSession(input.model, strictSessionOptions(provider))
      const got = await runOnce(session, input)
      const warmupMs = performance.now() - t0
      if (reference === undefined) {
        const cpu = await createSession(input.model, { executionProviders: ['cpu'] })
        reference = await runOnce(cpu, input)
        await cpu.release()
      }
      let maxAbsDiff = 0
      for (let i = 0; i < reference.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs((got[i] as number) - (reference[i] as number)))
      if (got.length !== reference.length || !(maxAbsDiff <= MAX_ABS_DIFF)) {
        attempts.push({ provider, ok: false, reason: `outputs differ from CPU (max |Δ| ${maxAbsDiff})`, maxAbsDiff, warmupMs })
        continue
      }
      attempts.push({ provider, ok: true, maxAbsDiff, warmupMs })
      return {
        provider,
        gpu: true,
        attempts,
        summary: `${provider}: warm-up ran on the GPU in ${warmupMs.toFixed(0)} ms, max |Δ| vs CPU ${maxAbsDiff.toExponential(1)}`,
      }
    } catch (err) {
      attempts.push({ provider, ok: false, reason: firstLine((err as Error).message) })
    } finally {
      await session?.release()
    }
  }
  const why = attempts.map((a) => `${a.provider}: ${a.reason}`).join('; ')
  return {
    provider: 'cpu',
    gpu: false,
    attempts,
    summary: candidates.length === 0 ? 'cpu (GPU not requested)' : `cpu (no usable GPU: ${why})`,
  }
}

function createSession(model: Uint8Array | string, opts: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  return typeof model === 'string' ? ort.InferenceSession.create(model, opts) : ort.InferenceSession.create(model, opts)
}

function firstLine(s: string): string {
  // onnxruntime prefixes its messages with source paths; the last clause is the useful part
  const line = s.split('\n')[0] ?? s
  const m = /was false\. (.*)$/.exec(line)
  return (m?.[1] ?? line).trim()
}
