/**
 * The local capability registry: what this node serves, looked up by id and a
 * semver range. Remote providers live in the mesh registry, not here.
 */
import semver from 'semver'
import type { AnyCapability } from '../capability.ts'
import { CrankError, ErrorCodes } from '../errors.ts'

/** Default slots for handlers in worker threads or processes: one worker each. */
export const DEFAULT_WORKER_CONCURRENCY = 4
/** Default slots for inline handlers (see `concurrency` in capability.ts). */
export const DEFAULT_INLINE_CONCURRENCY = 256

/** Jobs of a capability this node runs at once. */
export function concurrencyOf(cap: AnyCapability): number {
  return cap.concurrency ?? ((cap.runtime ?? 'inline') === 'inline' ? DEFAULT_INLINE_CONCURRENCY : DEFAULT_WORKER_CONCURRENCY)
}

export class CapabilityRegistry {
  private readonly byId = new Map<string, AnyCapability[]>()

  constructor(capabilities: Iterable<AnyCapability> = []) {
    for (const cap of capabilities) this.add(cap)
  }

  add(cap: AnyCapability): void {
    const list = this.byId.get(cap.id) ?? []
    if (list.some((c) => c.version === cap.version)) {
      throw new CrankError(ErrorCodes.invalidConfig, `capability ${cap.id}@${cap.version} is registered twice`)
    }
    list.push(cap)
    list.sort((a, b) => semver.rcompare(a.version, b.version))
    this.byId.set(cap.id, list)
  }

  /** Highest version of `id` satisfying `range` (any version when the range is empty). */
  resolve(id: string, range = ''): AnyCapability | undefined {
    const list = this.byId.get(id)
    if (list === undefined) return undefined
    if (range === '' || range === '*') return list[0]
    return list.find((c) => semver.satisfies(c.version, range))
  }

  list(): AnyCapability[] {
    return [...this.byId.values()].flat()
  }
}

/** "no provider of email.parse@^2 (this node has 1.0.0)": rejections say why. */
export function unknownCapabilityError(registry: CapabilityRegistry, id: string, range: string): CrankError {
  const have = registry
    .list()
    .filter((c) => c.id === id)
    .map((c) => c.version)
  const wanted = range === '' ? id : `${id}@${range}`
  const suffix = have.length > 0 ? ` (this node has ${have.join(', ')})` : ''
  return new CrankError(ErrorCodes.unknownCapability, `no provider of ${wanted}${suffix}`)
}
