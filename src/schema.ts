/**
 * One shared ajv instance for every JSON Schema in Crank: capability params and
 * results, and the node config. Compiled validators are cached by ajv itself.
 */
import { Ajv, type ErrorObject, type SchemaObject, type ValidateFunction } from 'ajv'
import * as formatsModule from 'ajv-formats'

export type JSONSchema = SchemaObject

// ajv-formats is CommonJS: under NodeNext its plugin function is the namespace's `default`.
const addFormats = formatsModule.default.default

const ajv = new Ajv({ allErrors: false, strict: true, useDefaults: false })
addFormats(ajv)

export function compileSchema<T = unknown>(schema: JSONSchema): ValidateFunction<T> {
  return ajv.compile<T>(schema)
}

/** "params/top_k must be <= 10": names the failing field, as users need to fix it. */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined, root: string): { message: string; field: string } {
  const first = errors?.[0]
  if (first === undefined) return { message: `${root} is invalid`, field: root }
  let field = root + first.instancePath
  if (first.keyword === 'required') field = `${field}/${String(first.params.missingProperty)}`
  if (first.keyword === 'additionalProperties') {
    const name = String(first.params.additionalProperty)
    return { message: `${field} has unknown property "${name}"`, field: `${field}/${name}` }
  }
  return { message: `${field} ${first.message ?? 'is invalid'}`, field }
}
