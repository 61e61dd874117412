/**
 * The hook for `jobs.*` on the control socket. The durable job store (its API is `node.jobs`,
 * built apart from this module) is reached through here: a request `jobs.<method>` with
 * `params: [arg, …]` calls `node.jobs.<method>(arg, …)` and answers its value, or, when the method
 * returns an async iterable (a wait, a log tail), one `item` message per element with backpressure
 * and then the `result`. A node without a store answers `not_supported`, as does a method the store
 * does not have. Values cross as JSON; bytes inside them as `{"$base64": …}` (control-protocol.ts).
 *
 * The CLI side is `jobsThroughNode()` in control-client.ts, which `registerJobsCommands` takes as
 * its `getApi`.
 */
import { CrankError, ErrorCodes } from '../errors.ts'
import type { JobsApi } from '../jobs/jobs-api.ts'

export const JOBS_PREFIX = 'jobs.'

/**
 * The JobsApi's methods, and nothing else the object behind `node.jobs` may have (its lifecycle,
 * or what every object has: constructor, __proto__, toString…).
 */
const JOBS_METHODS: ReadonlySet<string> = new Set(
  // `satisfies` keeps this list and the JobsApi interface in step: a method added to one and not the other fails the build.
  Object.keys({
    list: true,
    get: true,
    events: true,
    output: true,
    wait: true,
    retry: true,
    cancel: true,
    purge: true,
    served: true,
    changes: true,
  } satisfies Record<keyof JobsApi, true>),
)

/** Whatever `node.jobs` is, seen as methods: the store's own types stay in its module. */
export type JobsTarget = Record<string, unknown>

/** The node's job store, when it has one. */
export function jobsOf(node: object): JobsTarget | undefined {
  const jobs = (node as { jobs?: unknown }).jobs
  return typeof jobs === 'object' && jobs !== null ? (jobs as JobsTarget) : undefined
}

/** Resolves `jobs.<method>` to a bound function of the store, or a typed `not_supported`. */
export function jobsMethod(node: object, method: string): ((...args: unknown[]) => unknown) | CrankError {
  const name = method.slice(JOBS_PREFIX.length)
  const jobs = jobsOf(node)
  if (jobs === undefined)
    return new CrankError(ErrorCodes.notSupported, `${method}: this node has no job store (jobs.* needs the durable job store)`)
  const fn = JOBS_METHODS.has(name) ? jobs[name] : undefined
  if (typeof fn !== 'function') return new CrankError(ErrorCodes.notSupported, `${method}: the node's job store has no method "${name}"`)
  return (...args: unknown[]) => (fn as (...a: unknown[]) => unknown).apply(jobs, args)
}

export function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function'
}
