/**
 * Writes the package-lock.json of a throw-away app that depends on the packed tarball, so the
 * package test can install it with `npm ci --offline`: `npm ci` of this repo fetched tarballs only,
 * not registry metadata, so a plain offline `npm install <tarball>` cannot resolve version ranges.
 * The app's tree is this repo's production tree (the same versions a user resolves today), plus
 * TypeScript and Node's types to typecheck the README example the way a user would.
 *
 * Usage: node scripts/package/app-lockfile.ts <app dir>/<tarball> <app dir>
 */
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'

interface LockEntry {
  version?: string
  dev?: boolean
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  [key: string]: unknown
}
interface Lockfile {
  packages: Record<string, LockEntry>
}

const [tarball, appDir] = process.argv.slice(2)
if (tarball === undefined || appDir === undefined) {
  console.error('usage: app-lockfile.ts <tarball> <app dir>')
  process.exit(2)
}
const root = new URL('../../', import.meta.url)
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  name: string
  version: string
  dependencies: Record<string, string>
  bin: Record<string, string>
  engines: Record<string, string>
}
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as Lockfile
/** Development tools the app installs beside the package, to typecheck the README example. */
const TOOLS = ['typescript', '@types/node']

const packages: Record<string, LockEntry> = {}
const add = (path: string): void => {
  const entry = lock.packages[path]
  if (entry === undefined || path in packages) return
  const { dev: _dev, ...rest } = entry
  packages[path] = rest
  for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) add(resolve(path, dep))
}
/** Node's resolution: the nearest `node_modules/<dep>` walking up from the dependent's folder. */
const resolve = (from: string, dep: string): string => {
  for (let dir = from; ; ) {
    const candidate = `${dir}/node_modules/${dep}`
    if (candidate in lock.packages) return candidate
    const up = dir.lastIndexOf('/node_modules/')
    if (up < 0) return `node_modules/${dep}`
    dir = dir.slice(0, up)
  }
}
for (const dep of [...Object.keys(pkg.dependencies), ...TOOLS]) add(`node_modules/${dep}`)

const file = `file:${basename(tarball)}`
const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`
const tools = Object.fromEntries(TOOLS.map((t) => [t, packages[`node_modules/${t}`]?.version ?? '*']))
writeFileSync(
  join(appDir, 'package.json'),
  `${JSON.stringify({ name: 'crank-package-test', private: true, type: 'module', dependencies: { [pkg.name]: file, ...tools } }, null, 2)}\n`,
)
writeFileSync(
  join(appDir, 'package-lock.json'),
  `${JSON.stringify(
    {
      name: 'crank-package-test',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'crank-package-test', dependencies: { [pkg.name]: file, ...tools } },
        [`node_modules/${pkg.name}`]: {
          version: pkg.version,
          resolved: file,
          integrity,
          dependencies: pkg.dependencies,
          bin: pkg.bin,
          engines: pkg.engines,
        },
        ...packages,
      },
    },
    null,
    2,
  )}\n`,
)
console.log(`app-lockfile: ${Object.keys(packages).length} packages from this repo's lock`)
