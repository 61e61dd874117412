/**
 * Node permission-model flags for a `process` worker: read access to exactly what
 * it must load (the worker host and the capability API sources, the npm packages
 * those and the capability import, the capability's own folder and model files),
 * and nothing else: no writes, no child processes, no workers, no WASI, and native
 * addons only when the manifest declares one.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AnyCapability } from '../capability.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import { siblingModule } from '../sibling-module.ts'

const here = dirname(fileURLToPath(import.meta.url))
const src = resolve(here, '..')

/** Where a process worker starts: the worker host, whose imports are followed from here. */
const HOST_ENTRY = siblingModule(import.meta.url, './process-entry')

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
  const host = hostGraph()
  const capability = importGraph(sourcesIn(capDir))
  const outsideFiles = [...capability.files].filter((f) => !f.startsWith(`${capDir}${sep}`) && !host.files.has(f))
  const packageDirs = packageClosure([...host.packages, ...capability.packages, ...(opts.extraPackages ?? [])], [src, capDir])
  const readPaths = [
    ...new Set([...host.files, capDir, ...outsideFiles, ...packageDirs, ...(opts.extraReadPaths ?? []).map((p) => resolve(p))]),
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

interface ImportGraph {
  /** Source files reached by relative imports, the entries included. */
  files: Set<string>
  /** npm packages imported by name. */
  packages: Set<string>
}

/**
 * What code loads, found statically: the entry files, the files they import by relative path
 * (followed transitively) and the npm packages they import by name. Imports with computed
 * specifiers are invisible here: capabilities declare those with `extraReadPaths` / `extraPackages`.
 */
function importGraph(entries: string[]): ImportGraph {
  const graph: ImportGraph = { files: new Set(), packages: new Set() }
  const scan = (file: string): void => {
    if (graph.files.has(file)) return
    graph.files.add(file)
    const code = readFileSync(file, 'utf8').replace(TYPE_ONLY, '')
    for (const m of code.matchAll(SPECIFIER)) {
      const spec = m[1]!
      if (spec.startsWith('node:') || isBuiltin(spec)) continue
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec)
        if (existsSync(target) && SOURCE.test(target)) scan(target)
        continue
      }
      const parts = spec.split('/')
      graph.packages.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!)
    }
  }
  for (const entry of entries) scan(entry)
  return graph
}

/** The worker host's own graph is the same for every capability: computed once. */
let host: ImportGraph | undefined
function hostGraph(): ImportGraph {
  host ??= importGraph([HOST_ENTRY])
  return host
}

/** Every source file of a capability's folder. */
function sourcesIn(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...sourcesIn(path))
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/**
 * Folders of the named packages and of every package they depend on, resolved the way Node does.
 * Node reads a package's manifest at the path it looked up and loads its code from the real path,
 * so a symlinked node_modules (a worktree, pnpm, npm link) needs both allowed.
 */
function packageClosure(names: string[], from: string[]): string[] {
  const seen = new Set<string>()
  const visit = (name: string, fromDir: string): void => {
    const dir = findPackage(name, fromDir)
    if (dir === undefined || seen.has(dir)) return
    seen.add(dir)
    seen.add(realpathSync(dir))
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies })) visit(dep, dir)
  }
  for (const name of names) for (const dir of from) visit(name, dir)
  return [...seen]
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
