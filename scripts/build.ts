/**
 * `npm run build` (and so `npm pack`): compiles src/ and capabilities/ into dist/, then copies
 * what the compiler does not emit but the package needs at run time: the protobuf-generated
 * code with its declarations, model files, model configs and label lists, and the capability
 * READMEs. An installed package runs only from dist/, so anything missing here is missing there.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, readdirSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'dist')

rmSync(dist, { recursive: true, force: true })
const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
if (tsc.status !== 0) process.exit(tsc.status ?? 1)

/** Files tsc leaves behind: everything but TypeScript sources (declaration files do count). */
const isAsset = (name: string): boolean => !name.endsWith('.ts') || name.endsWith('.d.ts')

let copied = 0
const copyAssets = (dir: string): void => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) copyAssets(path)
    else if (isAsset(entry.name)) {
      cpSync(path, join(dist, relative(root, path)))
      copied++
    }
  }
}
for (const top of ['src', 'capabilities']) copyAssets(join(root, top))
console.log(`build: dist/ compiled, ${copied} asset files copied`)
