/**
 * Node permission-model flags for a `process` worker: read access to exactly what
 * it must load (the worker host and the capability API sources, the npm packages
 * those and the capability import, the capability's own folder and model files),
 * and nothing else: no writes, no child processes, no workers, no WASI, and native
 * addons only when the manifest declares one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AnyCapability } from '../capability.ts'

const here = dirname(fileURLToPath(import.meta.url))
const src = resolve(here, '..')

/** The modules the worker host loads before the capability's own. Kept in step with worker-host.ts's imports. */
const HOST_FILES = [
  join(here, 'process-entry.ts'),
  join(here, 'worker-host.ts'),
  join(here, 'errors.ts'),
  join(here, 'protocol.ts'),
  join(src, 'errors.ts'),
  join(src, 'schema.ts'),
  join(src, 'capability.ts'),
  join(src, 'controller', 'executor.ts'),
]
/** npm packages the host and the capability API import at run time. */
const HOST_PACKAGES = ['pino', 'ajv', 'ajv-formats', 'semver']

export interface SandboxOptions {
  /** More files or folders the worker may read (model files kept outside the capability folder). */
  extraReadPaths?: string[]
  /** npm packages the capability imports that a scan of its folder cannot see (computed specifiers). */
  extraPackages?: string[]
}

export interface Sandbox {
  execArgv: string[]
  readPaths: string[]
}

export function sandboxFor(cap: AnyCapability, opts: SandboxOptions = {}): Sandbox {
  if (cap.module === undefined) throw new Error(`capability ${cap.id} has no module URL`)
  const capDir = dirname(fileURLToPath(cap.module))
  const packages = packageClosure([...HOST_PACKAGES, ...bareImports(capDir), ...(opts.extraPackages ?? [])], [src, capDir])
  const readPaths = [...new Set([...HOST_FILES, ...packageScopes([here, capDir]), capDir, ...packages, ...(opts.extraReadPaths ?? []).map((p) => resolve(p))])]
  const execArgv = ['--permission', ...readPaths.map((p) => `--allow-fs-read=${p}`)]
  if (cap.resources?.addons === true) execArgv.push('--allow-addons')
  return { execArgv, readPaths }
}

/** The package.json files that decide how Node loads these folders' modules (`"type": "module"`). */
function packageScopes(dirs: string[]): string[] {
  const found: string[] = []
  for (const start of dirs) {
    for (let dir = start; ; dir = dirname(dir)) {
      const pkg = join(dir, 'package.json')
      if (existsSync(pkg)) {
        found.push(pkg)
        break
      }
      if (dirname(dir) === dir) break
    }
  }
  return found
}

const IMPORT_PATTERN = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"./][^'"]*)['"]/g

/** Bare module specifiers (npm packages) imported by the capability's own source files. */
function bareImports(dir: string): string[] {
  const names = new Set<string>()
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
      const path = join(d, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (/\.[cm]?[jt]s$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(IMPORT_PATTERN)) {
          const spec = m[1]!
          if (spec.startsWith('node:')) continue
          const parts = spec.split('/')
          names.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!)
        }
      }
    }
  }
  walk(dir)
  return [...names]
}

/** Folders of the named packages and of every package they depend on, resolved the way Node does. */
function packageClosure(names: string[], from: string[]): string[] {
  const seen = new Map<string, string>()
  const visit = (name: string, fromDir: string): void => {
    const dir = findPackage(name, fromDir)
    if (dir === undefined || seen.has(dir)) return
    seen.set(dir, name)
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies })) visit(dep, dir)
  }
  for (const name of names) for (const dir of from) visit(name, dir)
  return [...seen.keys()]
}

function findPackage(name: string, fromDir: string): string | undefined {
  if (isBuiltin(name)) return undefined
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dirname(dir) === dir) return undefined
  }
}

const builtins = new Set(builtinModules)

function isBuiltin(name: string): boolean {
  return builtins.has(name)
}
