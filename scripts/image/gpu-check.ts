/**
 * GPU check for image.classify, for a machine with a real GPU (prepared here, on a machine without
 * one; the capability README says which runs have happened). It:
 *   1. checks that the Vulkan loader (libvulkan.so.1) can be found and lists Vulkan ICDs;
 *   2. runs the default model on onnxruntime-node's WebGPU provider with CPU fallback disabled
 *      (the same probe the capability runs at start);
 *   3. compares WebGPU outputs with the CPU provider's on 512 Fashion-MNIST test images;
 *   4. times batch 1 and batch 32 on WebGPU and on CPU.
 *
 *   node scripts/image/gpu-check.ts            (or: bash scripts/image/gpu-check.sh on a lent device machine)
 * Exits 1 if WebGPU did not run. Writes gpu-check.json to $OUT when OUT is set.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { readManifest } from '../../capabilities/image.classify/manifest.ts'
import { probeProviders, strictSessionOptions } from '../../capabilities/image.classify/providers.ts'
import { normalise } from './cnn.ts'
import { imageAt, loadFashionMnist } from './fashion-mnist.ts'

const report: Record<string, unknown> = { onnxruntime: ort.env.versions }

// 1. Vulkan loader and drivers
let loader = ''
try {
  loader = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes('libvulkan.so.1'))
    .join('; ')
    .trim()
} catch (err) {
  loader = `ldconfig failed: ${(err as Error).message}`
}
const icdDirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d']
const icds = icdDirs.flatMap((d) => (existsSync(d) ? readdirSync(d).map((f) => join(d, f)) : []))
report.vulkan = { loader: loader || 'NOT FOUND', icds, VK_DRIVER_FILES: process.env.VK_DRIVER_FILES ?? null }
console.log(`Vulkan loader: ${loader || 'NOT FOUND (install libvulkan1)'}`)
console.log(
  `Vulkan ICDs: ${icds.join(', ') || 'none found'}${process.env.VK_DRIVER_FILES ? `; VK_DRIVER_FILES=${process.env.VK_DRIVER_FILES}` : ''}`,
)

// 2. the capability's own probe
const m = readManifest(new URL('../../capabilities/image.classify/models/fashion-mnist-cnn.json', import.meta.url).pathname)
const test = loadFashionMnist('test')
const N = 512
const x = new Float32Array(N * 784)
for (let i = 0; i < N; i++) normalise(imageAt(test, i), x, i * 784)
const probe = await probeProviders(
  { model: m.modelPath, inputName: 'image', outputName: 'probabilities', shape: [1, 1, 28, 28], data: x.slice(0, 784) },
  ['webgpu'],
)
report.probe = probe
console.log(`probe: ${probe.summary}`)
if (!probe.gpu) {
  if (process.env.OUT) writeFileSync(join(process.env.OUT, 'gpu-check.json'), JSON.stringify(report, null, 2))
  console.log('WebGPU did not run: nothing to compare or time.')
  process.exit(1)
}

// 3. outputs, WebGPU vs CPU
const gpu = await ort.InferenceSession.create(m.modelPath, strictSessionOptions('webgpu'))
const cpu = await ort.InferenceSession.create(m.modelPath, { executionProviders: ['cpu'] })
const run = async (s: ort.InferenceSession, from: number, n: number): Promise<Float32Array> =>
  (await s.run({ image: new ort.Tensor('float32', x.slice(from * 784, (from + n) * 784), [n, 1, 28, 28]) })).probabilities
    ?.data as Float32Array
let maxAbsDiff = 0
let sameTop1 = 0
for (let s = 0; s < N; s += 32) {
  const a = await run(gpu, s, 32)
  const b = await run(cpu, s, 32)
  for (let i = 0; i < 32; i++) {
    let ta = 0
    let tb = 0
    for (let c = 0; c < 10; c++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs((a[i * 10 + c] as number) - (b[i * 10 + c] as number)))
      if ((a[i * 10 + c] as number) > (a[i * 10 + ta] as number)) ta = c
      if ((b[i * 10 + c] as number) > (b[i * 10 + tb] as number)) tb = c
    }
    if (ta === tb) sameTop1++
  }
}
report.compare = { images: N, maxAbsDiff, sameTop1 }
console.log(`outputs on ${N} test images: max |webgpu − cpu| = ${maxAbsDiff.toExponential(2)}, same top-1 on ${sameTop1}/${N}`)

// 4. timings
async function time(s: ort.InferenceSession, batch: number, calls: number): Promise<{ msPerCall: number; imagesPerSec: number }> {
  for (let i = 0; i < 10; i++) await run(s, 0, batch)
  const t = performance.now()
  for (let i = 0; i < calls; i++) await run(s, (i * batch) % (N - batch), batch)
  const ms = performance.now() - t
  return { msPerCall: ms / calls, imagesPerSec: (calls * batch) / (ms / 1000) }
}
const timings: Record<string, unknown> = {}
for (const batch of [1, 32]) {
  const calls = batch === 1 ? 1000 : 200
  const g = await time(gpu, batch, calls)
  const c = await time(cpu, batch, calls)
  timings[`batch${batch}`] = { webgpu: g, cpu: c, webgpuOverCpu: g.imagesPerSec / c.imagesPerSec }
  console.log(
    `batch ${String(batch).padStart(2)}: webgpu ${g.msPerCall.toFixed(3)} ms/call (${g.imagesPerSec.toFixed(0)} images/s), cpu ${c.msPerCall.toFixed(3)} ms/call (${c.imagesPerSec.toFixed(0)} images/s), webgpu/cpu ${(g.imagesPerSec / c.imagesPerSec).toFixed(2)}×`,
  )
}
report.timings = timings
if (process.env.OUT) writeFileSync(join(process.env.OUT, 'gpu-check.json'), JSON.stringify(report, null, 2))
await gpu.release()
await cpu.release()
