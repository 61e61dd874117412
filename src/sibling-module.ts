/**
 * Entry points of threads and child processes (a capability's worker, the job store's thread,
 * a forked child, a permission allow-list) are loaded by path, so the compiler cannot rewrite
 * them the way it rewrites imports:
 * from the repository they are `.ts` files run by Node's type stripping, from an
 * installed package the compiled `.js` in dist/. The caller's own extension says which.
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The path of module `name` (no extension, relative to `base`) with `base`'s extension. */
export function siblingModule(base: string, name: string): string {
  const ext = extname(fileURLToPath(base))
  return fileURLToPath(new URL(`${name}${ext}`, base))
}
