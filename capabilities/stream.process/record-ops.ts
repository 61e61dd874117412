/** The stateless operators: filter, map, project, plus the bounded-state dedupe and sample. */
import { compileExpression, type Rec } from './expression.ts'
import { type Stage, seededRandom } from './stage.ts'

export function filterStage(where: string): Stage {
  const test = compileExpression(where)
  let dropped = 0
  return {
    name: 'filter',
    push(rec, out) {
      if (test(rec)) out.push(rec)
      else dropped++
    },
    flush() {},
    stats: () => ({ dropped }),
  }
}

/** Sets fields to computed values (all computed from the incoming record), then removes fields. */
export function mapStage(set: Record<string, string>, remove: readonly string[]): Stage {
  const assignments = Object.entries(set).map(([field, expr]) => [field, compileExpression(expr)] as const)
  return {
    name: 'map',
    push(rec, out) {
      const next: Rec = { ...rec }
      for (const [field, f] of assignments) next[field] = f(rec) ?? null
      for (const field of remove) delete next[field]
      out.push(next)
    },
    flush() {},
    stats: () => ({}),
  }
}

/** Keeps only the listed fields (missing ones become null), renaming as asked. */
export function projectStage(fields: readonly string[], rename: Readonly<Record<string, string>>): Stage {
  return {
    name: 'project',
    push(rec, out) {
      const next: Rec = {}
      for (const f of fields) next[rename[f] ?? f] = Object.hasOwn(rec, f) ? rec[f] : null
      out.push(next)
    },
    flush() {},
    stats: () => ({}),
  }
}

/**
 * Drops records whose key was seen among the last `maxKeys` distinct keys. The
 * LRU (a Map in recency order) bounds memory; a duplicate older than that
 * horizon passes again, which the README states.
 */
export function dedupeStage(key: readonly string[], maxKeys: number): Stage {
  const seen = new Map<string, true>()
  let duplicates = 0
  let evicted = 0
  return {
    name: 'dedupe',
    push(rec, out) {
      const k = JSON.stringify(key.map((f) => rec[f] ?? null))
      if (seen.has(k)) {
        seen.delete(k)
        seen.set(k, true)
        duplicates++
        return
      }
      seen.set(k, true)
      if (seen.size > maxKeys) {
        const oldest = seen.keys().next().value
        if (oldest !== undefined) seen.delete(oldest)
        evicted++
      }
      out.push(rec)
    },
    flush() {},
    stats: () => ({ duplicates, evicted }),
  }
}

/** Keeps each record with probability `rate` (seeded), or one in every `every`. */
export function sampleStage(opts: { rate?: number; every?: number; seed?: number }): Stage {
  const random = seededRandom(opts.seed ?? 1)
  let n = 0
  let dropped = 0
  const keep = opts.every !== undefined ? (): boolean => n++ % (opts.every as number) === 0 : (): boolean => random() < (opts.rate ?? 1)
  return {
    name: 'sample',
    push(rec, out) {
      if (keep()) out.push(rec)
      else dropped++
    },
    flush() {},
    stats: () => ({ dropped }),
  }
}
