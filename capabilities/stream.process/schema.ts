/** JSON Schemas of stream.process's params and result. */
import type { JSONSchema } from '../../src/capability.ts'
import { AGGREGATE_FNS } from './aggregates.ts'

const expr = { type: 'string', minLength: 1, maxLength: 2000 }
const field = { type: 'string', minLength: 1, maxLength: 200 }
const fields = { type: 'array', items: field, minItems: 1, maxItems: 64 }

const operator = (op: string, properties: Record<string, JSONSchema>, required: string[]): JSONSchema => ({
  type: 'object',
  properties: { op: { const: op }, ...properties },
  required: ['op', ...required],
  additionalProperties: false,
})

const operators: JSONSchema[] = [
  operator('filter', { where: expr }, ['where']),
  operator(
    'map',
    { set: { type: 'object', additionalProperties: expr, maxProperties: 64 }, remove: { type: 'array', items: field, maxItems: 64 } },
    ['set'],
  ),
  operator('project', { fields, rename: { type: 'object', additionalProperties: field, maxProperties: 64 } }, ['fields']),
  operator(
    'window',
    {
      kind: { enum: ['tumbling', 'sliding'] },
      count: { type: 'integer', minimum: 1, maximum: 1_000_000 },
      timeMs: { type: 'integer', minimum: 1 },
      slide: { type: 'integer', minimum: 1 },
      timeField: field,
      groupBy: { type: 'array', items: field, maxItems: 8 },
      aggregates: {
        type: 'array',
        minItems: 1,
        maxItems: 32,
        items: {
          type: 'object',
          properties: { fn: { enum: [...AGGREGATE_FNS] }, field, as: field },
          required: ['fn'],
          additionalProperties: false,
        },
      },
      allowedLatenessMs: { type: 'integer', minimum: 0 },
      maxGroups: { type: 'integer', minimum: 1, maximum: 1_000_000 },
      maxOpenWindows: { type: 'integer', minimum: 1, maximum: 1_000_000 },
      sampleCap: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    },
    ['kind', 'aggregates'],
  ),
  operator('dedupe', { key: fields, maxKeys: { type: 'integer', minimum: 1, maximum: 10_000_000 } }, ['key']),
  operator(
    'sample',
    { rate: { type: 'number', exclusiveMinimum: 0, maximum: 1 }, every: { type: 'integer', minimum: 1 }, seed: { type: 'integer' } },
    [],
  ),
]

export const paramsSchema: JSONSchema = {
  type: 'object',
  properties: {
    format: { enum: ['ndjson', 'csv'], description: 'Input record format (default ndjson).' },
    outputFormat: { enum: ['ndjson', 'csv'], description: 'Output record format (default: the input format).' },
    csv: {
      type: 'object',
      properties: {
        delimiter: {
          type: 'string',
          pattern: '^[\\x01-\\x09\\x0b\\x0c\\x0e-\\x21\\x23-\\x7f]$',
          description: 'Input field separator: one ASCII character other than a quote or line break (default ",").',
        },
        cast: {
          type: 'boolean',
          description:
            'Bare cells that are exactly true/false or a decimal number a double holds exactly become booleans and numbers (default false: every cell is a string).',
        },
        columns: { ...fields, description: 'Output CSV columns (default: the first output record’s fields).' },
      },
      additionalProperties: false,
    },
    pipeline: { type: 'array', items: { oneOf: operators }, maxItems: 32 },
    onMalformed: {
      enum: ['continue', 'fail'],
      description: 'Unparsable records or unusable fields: count and go on, or fail (default continue).',
    },
    onLate: {
      enum: ['continue', 'fail'],
      description: 'Records behind the event-time watermark: count and go on, or fail (default continue).',
    },
    maxMalformed: {
      type: 'integer',
      minimum: 0,
      description: 'Fail with malformed_record once more than this many were seen, even under continue.',
    },
    maxRecordBytes: {
      type: 'integer',
      minimum: 16,
      maximum: 64 * 1024 * 1024,
      description: 'A record (line, or CSV row) over this many bytes is malformed and skipped unbuffered (default 1 MiB).',
    },
    batchBytes: { type: 'integer', minimum: 1024, maximum: 16 * 1024 * 1024, description: 'Output chunk size (default 64 KiB).' },
    progressEvery: { type: 'integer', minimum: 1, description: 'Records between progress events (default 10,000).' },
  },
  required: ['pipeline'],
  additionalProperties: false,
}

const counters = { type: 'object', additionalProperties: { type: 'number' } }

export const resultSchema: JSONSchema = {
  type: 'object',
  properties: {
    recordsIn: { type: 'integer' },
    recordsOut: { type: 'integer' },
    malformed: { type: 'integer' },
    late: { type: 'integer' },
    bytesIn: { type: 'integer' },
    bytesOut: { type: 'integer' },
    durationMs: { type: 'number' },
    operators: {
      type: 'array',
      items: { type: 'object', properties: { op: { type: 'string' }, stats: counters }, required: ['op', 'stats'] },
    },
    rejects: { type: 'array', items: { type: 'string' }, description: 'The first few malformed/late reasons.' },
  },
  required: ['recordsIn', 'recordsOut', 'malformed', 'late', 'bytesIn', 'bytesOut', 'durationMs', 'operators', 'rejects'],
  additionalProperties: false,
}
