import { statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { CrankError, ErrorCodes } from '../errors.ts'

/** `--output FILE` must be writable before the job runs: a job whose output cannot be kept should not run at all. */
export function checkOutputPath(file: string): void {
  const path = resolve(file)
  const stat = statSync(path, { throwIfNoEntry: false })
  if (stat?.isDirectory() === true) throw new CrankError(ErrorCodes.invalidOption, `--output ${file} is a directory; give a file name`)
  const parent = statSync(dirname(path), { throwIfNoEntry: false })
  if (parent === undefined || !parent.isDirectory())
    throw new CrankError(ErrorCodes.invalidOption, `--output ${file}: folder ${dirname(path)} does not exist`)
}
