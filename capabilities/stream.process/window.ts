/**
 * Tumbling and sliding windows, by record count or by event time, optionally
 * per group. State is bounded: count windows keep at most `count` values per
 * group, time windows keep accumulators (and a capped sample for percentiles)
 * per open window, and both cap the number of groups and open windows.
 *
 * Event time: a window [start, start+timeMs) closes once the watermark (the
 * largest event time seen, minus allowedLatenessMs) passes its end. A record
 * whose every window has closed is late: counted, and fatal under onLate=fail.
 */
import { type AggregateSpec, WindowState } from './aggregates.ts'
import type { Rec } from './expression.ts'
import { eventTime } from './field-values.ts'
import { type RejectSink, type Stage, seededRandom } from './stage.ts'

export interface WindowSpec {
  kind: 'tumbling' | 'sliding'
  count?: number
  timeMs?: number
  /** Sliding step, in records or ms (same unit as the size). */
  slide?: number
  timeField?: string
  groupBy?: string[]
  aggregates: AggregateSpec[]
  allowedLatenessMs?: number
  maxGroups?: number
  maxOpenWindows?: number
  /** Values kept per window for p50/p95 before reservoir sampling. */
  sampleCap?: number
}

const DEFAULT_MAX_GROUPS = 10_000
const DEFAULT_MAX_OPEN_WINDOWS = 10_000
const DEFAULT_SAMPLE_CAP = 10_000

function groupOf(rec: Rec, groupBy: readonly string[]): { key: string; fields: Rec } {
  if (groupBy.length === 0) return { key: '', fields: {} }
  const fields: Rec = {}
  for (const g of groupBy) fields[g] = rec[g] ?? null
  return { key: JSON.stringify(groupBy.map((g) => fields[g])), fields }
}

export function windowStage(spec: WindowSpec, sink: RejectSink): Stage {
  return spec.count !== undefined ? countWindow(spec, spec.count) : timeWindow(spec, spec.timeMs as number, sink)
}

interface CountGroup {
  fields: Rec
  seen: number
  /** Tumbling: the running window. */
  state?: WindowState
  /** Sliding: the last `size` records' aggregate fields, as a ring. */
  ring?: Rec[]
  sinceEmit: number
}

function countWindow(spec: WindowSpec, size: number): Stage {
  const groupBy = spec.groupBy ?? []
  const slide = spec.kind === 'tumbling' ? size : (spec.slide ?? 1)
  const maxGroups = spec.maxGroups ?? DEFAULT_MAX_GROUPS
  const sampleCap = spec.sampleCap ?? DEFAULT_SAMPLE_CAP
  const random = seededRandom(7)
  const fields = [...new Set(spec.aggregates.flatMap((a) => (a.field === undefined ? [] : [a.field])))]
  const groups = new Map<string, CountGroup>()
  let emitted = 0
  let groupOverflow = 0

  const emit = (g: CountGroup, out: Rec[]): void => {
    let state = g.state
    let from = g.seen - (state?.count ?? 0)
    if (g.ring !== undefined) {
      state = new WindowState(spec.aggregates, sampleCap, random)
      const n = Math.min(g.seen, size)
      for (let i = g.seen - n; i < g.seen; i++) state.add(g.ring[i % size] as Rec)
      from = g.seen - n
    }
    if (state === undefined || state.count === 0) return
    out.push({ ...g.fields, windowStart: from, windowEnd: g.seen, ...state.result() })
    emitted++
    g.sinceEmit = 0
    if (g.ring === undefined) g.state = new WindowState(spec.aggregates, sampleCap, random)
  }

  return {
    name: 'window',
    push(rec, out) {
      const { key, fields: gf } = groupOf(rec, groupBy)
      let g = groups.get(key)
      if (g === undefined) {
        if (groups.size >= maxGroups) {
          groupOverflow++
          return
        }
        g =
          spec.kind === 'tumbling'
            ? { fields: gf, seen: 0, sinceEmit: 0, state: new WindowState(spec.aggregates, sampleCap, random) }
            : { fields: gf, seen: 0, sinceEmit: 0, ring: new Array<Rec>(size) }
        groups.set(key, g)
      }
      if (g.ring !== undefined) {
        const kept: Rec = {}
        for (const f of fields) kept[f] = rec[f]
        g.ring[g.seen % size] = kept
      } else g.state?.add(rec)
      g.seen++
      g.sinceEmit++
      if (g.sinceEmit >= slide) emit(g, out)
    },
    flush(out) {
      for (const g of groups.values()) if (g.sinceEmit > 0) emit(g, out)
    },
    stats: () => ({ windows: emitted, groupOverflow }),
  }
}

interface OpenWindow {
  start: number
  groups: Map<string, { fields: Rec; state: WindowState }>
}

function timeWindow(spec: WindowSpec, size: number, sink: RejectSink): Stage {
  const groupBy = spec.groupBy ?? []
  const slide = spec.kind === 'tumbling' ? size : (spec.slide ?? size)
  const lateness = spec.allowedLatenessMs ?? 0
  const maxGroups = spec.maxGroups ?? DEFAULT_MAX_GROUPS
  const maxOpen = spec.maxOpenWindows ?? DEFAULT_MAX_OPEN_WINDOWS
  const sampleCap = spec.sampleCap ?? DEFAULT_SAMPLE_CAP
  const timeField = spec.timeField as string
  const random = seededRandom(7)
  const open = new Map<number, OpenWindow>()
  let watermark = Number.NEGATIVE_INFINITY
  let nextCloseAt = Number.POSITIVE_INFINITY
  let emitted = 0
  let groupOverflow = 0
  let forcedCloses = 0

  const close = (w: OpenWindow, out: Rec[]): void => {
    open.delete(w.start)
    for (const g of w.groups.values()) {
      out.push({ ...g.fields, windowStart: w.start, windowEnd: w.start + size, ...g.state.result() })
      emitted++
    }
  }
  const closeUpTo = (limit: number, out: Rec[]): void => {
    if (nextCloseAt > limit) return
    const due = [...open.values()].filter((w) => w.start + size <= limit).sort((a, b) => a.start - b.start)
    for (const w of due) close(w, out)
    nextCloseAt = Number.POSITIVE_INFINITY
    for (const w of open.values()) nextCloseAt = Math.min(nextCloseAt, w.start + size)
  }

  return {
    name: 'window',
    push(rec, out) {
      const t = eventTime(rec[timeField])
      if (t === null) {
        sink.reject('malformed', `field "${timeField}" is not a number of ms or a date`)
        return
      }
      const lastStart = Math.floor(t / slide) * slide
      if (lastStart + size <= watermark) {
        sink.reject('late', `event time ${t} is behind the watermark ${watermark}`)
        return
      }
      const { key, fields } = groupOf(rec, groupBy)
      for (let start = lastStart; start > t - size; start -= slide) {
        if (start + size <= watermark) break
        let w = open.get(start)
        if (w === undefined) {
          w = { start, groups: new Map() }
          open.set(start, w)
          nextCloseAt = Math.min(nextCloseAt, start + size)
        }
        let g = w.groups.get(key)
        if (g === undefined) {
          if (w.groups.size >= maxGroups) {
            groupOverflow++
            continue
          }
          g = { fields, state: new WindowState(spec.aggregates, sampleCap, random) }
          w.groups.set(key, g)
        }
        g.state.add(rec)
      }
      if (t - lateness > watermark) {
        watermark = t - lateness
        closeUpTo(watermark, out)
      }
      if (open.size > maxOpen) {
        // Too many windows held open (a wide lateness or scattered times): close the oldest and move the watermark to it.
        const oldest = Math.min(...open.keys())
        forcedCloses++
        watermark = Math.max(watermark, oldest + size)
        closeUpTo(watermark, out)
      }
    },
    flush(out) {
      closeUpTo(Number.POSITIVE_INFINITY, out)
    },
    stats: () => ({ windows: emitted, groupOverflow, forcedCloses }),
  }
}
