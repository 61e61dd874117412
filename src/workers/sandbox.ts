/**
 * Node permission-model flags for a `process` worker: read access to exactly what
 * it must load (the worker host and the capability API sources, the npm packages
 * those and the capability import, the capability's own folder and model files),
 * and nothing else: no writes, no child processes, no workers, no WASI, and native
 * addons only when the manifest declares one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AnyCapability } from '../capability.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import { siblingModule } from './sibling-module.ts'

const here = dirname(fileURLToPath(import.meta.url))
const src = resolve(here, '..')

/** The modules the worker host loads before the capability's own. Kept in step with worker-host.ts's imports. */
const HOST_FILES = [
  './process-entry',
  './worker-host',
  './errors',
  './protocol',
  '../errors',
  '../schema',
  '../capability',
  '../controller/executor',
].map((name) => siblingModule(import.meta.url, name))
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
  if (cap.module === undefined) throw new CrankError(ErrorCodes.invalidConfig, `capability ${cap.id} has no module URL`)
  const capDir = dirname(fileURLToPath(cap.module))
  const { outsideFiles, packages } = sourceGraph(capDir)
  const packageDirs = packageClosure([...HOST_PACKAGES, ...packages, ...(opts.extraPackages ?? [])], [src, capDir])
  const readPaths = [
    ...new Set([...HOST_FILES, capDir, ...outsideFiles, ...packageDirs, ...(opts.extraReadPaths ?? []).map((p) => resolve(p))]),
  ]
  const execArgv = ['--permission', ...readPaths.map((p) => `--allow-fs-read=${p}`)]
  // The warning that addons can sidestep the permission model is the manifest author's call, already made.
  if (cap.resources?.addons === true) execArgv.push('--allow-addons', '--disable-warning=SecurityWarning')
  return { execArgv, readPaths }
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g
/** Type-only imports are erased before the code runs: they need no read access. */
const TYPE_ONLY = /\b(?:import|export)\s+type\s[^;]*?from\s*['"][^'"]+['"]/g
const SOURCE = /\.[cm]?[jt]s$/

/**
 * What the capability's code loads, found statically: every source file in its
 * folder, the files outside the folder they import by relative path (shared
 * helpers, followed transitively) and the npm packages they import by name.
 * Imports with computed specifiers are invisible here: declare those with
 * `extraReadPaths` / `extraPackages`.
 */
function sourceGraph(capDir: string): { outsideFiles: string[]; packages: string[] } {
  const packages = new Set<string>()
  const outside = new Set<string>()
  const scanned = new Set<string>()
  const scan = (file: string): void => {
    if (scanned.has(file)) return
    scanned.add(file)
    const code = readFileSync(file, 'utf8').replace(TYPE_ONLY, '')
    for (const m of code.matchAll(SPECIFIER)) {
      const spec = m[1]!
      if (spec.startsWith('node:') || isBuiltin(spec)) continue
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec)
        if (!existsSync(target) || !SOURCE.test(target)) continue
        if (!target.startsWith(`${capDir}${sep}`) && !HOST_FILES.includes(target)) outside.add(target)
        scan(target)
        continue
      }
      const parts = spec.split('/')
      packages.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!)
    }
  }
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) scan(path)
    }
  }
  walk(capDir)
  return { outsideFiles: [...outside], packages: [...packages] }
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
