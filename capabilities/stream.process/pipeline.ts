/** Builds the operator chain from its specs and pushes batches through it. */
import { type AggregateSpec, outputName } from './aggregates.ts'
import { streamError } from './errors.ts'
import { checkFieldName, type Rec } from './expression.ts'
import { dedupeStage, filterStage, mapStage, projectStage, sampleStage } from './record-ops.ts'
import type { RejectSink, Stage } from './stage.ts'
import { type WindowSpec, windowStage } from './window.ts'

export type OperatorSpec =
  | { op: 'filter'; where: string }
  | { op: 'map'; set: Record<string, string>; remove?: string[] }
  | { op: 'project'; fields: string[]; rename?: Record<string, string> }
  | ({ op: 'window' } & WindowSpec)
  | { op: 'dedupe'; key: string[]; maxKeys?: number }
  | { op: 'sample'; rate?: number; every?: number; seed?: number }

const DEFAULT_DEDUPE_KEYS = 100_000
/** A record belongs to size/slide sliding windows; past this, per-record work is too much to be useful. */
const MAX_WINDOWS_PER_RECORD = 1000
/** Values a sliding count window re-reads per record (count/slide). */
const MAX_SLIDING_COUNT_WORK = 10_000

export function buildStages(specs: readonly OperatorSpec[], sink: RejectSink): Stage[] {
  return specs.map((spec, i) => buildStage(spec, `pipeline/${i} (${spec.op})`, sink))
}

function buildStage(spec: OperatorSpec, where: string, sink: RejectSink): Stage {
  for (const name of fieldNames(spec)) checkFieldName(name, where)
  switch (spec.op) {
    case 'filter':
      return filterStage(spec.where)
    case 'map':
      return mapStage(spec.set, spec.remove ?? [])
    case 'project':
      return projectStage(spec.fields, spec.rename ?? {})
    case 'dedupe':
      return dedupeStage(spec.key, spec.maxKeys ?? DEFAULT_DEDUPE_KEYS)
    case 'sample':
      if ((spec.rate === undefined) === (spec.every === undefined))
        throw streamError('invalid_pipeline', `${where}: give exactly one of rate or every`)
      return sampleStage(spec)
    case 'window':
      checkWindow(spec, where)
      return windowStage(spec, sink)
  }
}

/** Every field an operator reads or writes by name (expressions are checked when they compile). */
function fieldNames(spec: OperatorSpec): string[] {
  switch (spec.op) {
    case 'map':
      return [...Object.keys(spec.set), ...(spec.remove ?? [])]
    case 'project':
      return [...spec.fields, ...Object.keys(spec.rename ?? {}), ...Object.values(spec.rename ?? {})]
    case 'dedupe':
      return spec.key
    case 'window':
      return [
        ...(spec.groupBy ?? []),
        ...(spec.timeField === undefined ? [] : [spec.timeField]),
        ...spec.aggregates.flatMap((a) => [a.field, a.as].filter((n): n is string => n !== undefined)),
      ]
    default:
      return []
  }
}

function checkWindow(spec: WindowSpec, where: string): void {
  if ((spec.count === undefined) === (spec.timeMs === undefined))
    throw streamError('invalid_pipeline', `${where}: give exactly one of count or timeMs`)
  if (spec.timeMs !== undefined && spec.timeField === undefined)
    throw streamError('invalid_pipeline', `${where}: a time window needs timeField`)
  const size = spec.count ?? (spec.timeMs as number)
  if (spec.kind === 'tumbling' && spec.slide !== undefined)
    throw streamError('invalid_pipeline', `${where}: slide applies to sliding windows only`)
  if (spec.kind === 'sliding') {
    const slide = spec.slide ?? (spec.count !== undefined ? 1 : size)
    if (slide > size) throw streamError('invalid_pipeline', `${where}: slide ${slide} is larger than the window ${size}`)
    if (spec.timeMs !== undefined && size / slide > MAX_WINDOWS_PER_RECORD) {
      throw streamError('invalid_pipeline', `${where}: timeMs/slide is over ${MAX_WINDOWS_PER_RECORD} windows per record`)
    }
    // A sliding count window re-aggregates its `count` records every `slide` records.
    if (spec.count !== undefined && size / slide > MAX_SLIDING_COUNT_WORK) {
      throw streamError('invalid_pipeline', `${where}: count/slide is over ${MAX_SLIDING_COUNT_WORK}; raise slide`)
    }
  }
  const names = new Set<string>()
  for (const a of spec.aggregates as AggregateSpec[]) {
    if (a.fn !== 'count' && a.field === undefined) throw streamError('invalid_pipeline', `${where}: ${a.fn} needs a field`)
    const name = outputName(a)
    if (names.has(name)) throw streamError('invalid_pipeline', `${where}: two aggregates are both named "${name}"; set "as"`)
    names.add(name)
  }
}

/** Runs a batch through every stage in order (and, at the end, flushes each stage into the rest). */
export function runStages(stages: readonly Stage[], records: Rec[], final: boolean): Rec[] {
  let current = records
  for (const stage of stages) {
    const next: Rec[] = []
    for (const rec of current) stage.push(rec, next)
    if (final) stage.flush(next)
    current = next
  }
  return current
}
