/**
 * Durable jobs' input that is too large for their row: one file per job under
 * `<dataDir>/jobs/`, kept so the job can be run again after a restart or a retry.
 *
 * Bytes given whole are written before the job is acknowledged. A stream is written as the
 * job reads it (the job reads no faster than the disk takes it) and becomes replayable only
 * once it ended within `maxInputBytes`; past that, the file is dropped and the input is
 * streamed once. All files together stay within `maxDiskBytes`: a write past it, like a
 * write to a full disk, fails `store_full` and leaves no partial file behind.
 */
import { createHash } from 'node:crypto'
import { createReadStream, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs'
import { type FileHandle, open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CrankError } from '../errors.ts'
import { isDiskFull } from './job-store-schema.ts'
import { StoreErrorCodes } from './store-errors.ts'

export interface InputSpoolOptions {
  dir: string
  /** Largest input kept for one job. */
  maxInputBytes: number
  /** All kept input together. */
  maxDiskBytes: number
}

/** What became of a streamed input once the job stopped reading it. */
export type TeeResult = { kept: true; bytes: number } | { kept: false; bytes: number }

export class InputSpool {
  private readonly opts: InputSpoolOptions
  /** Bytes of the files under `dir`, counted at open and kept up to date since. */
  private used = 0

  constructor(opts: InputSpoolOptions) {
    this.opts = opts
    mkdirSync(opts.dir, { recursive: true })
    for (const name of readdirSync(opts.dir)) {
      try {
        this.used += statSync(join(opts.dir, name)).size
      } catch {}
    }
  }

  get usedBytes(): number {
    return this.used
  }

  get maxInputBytes(): number {
    return this.opts.maxInputBytes
  }

  /** A job id may be anything a caller chose: the file is named by its hash. */
  fileFor(id: string): string {
    return join(this.opts.dir, `${createHash('sha256').update(id).digest('hex').slice(0, 40)}.in`)
  }

  /** Writes a whole input; `store_full` when the budget or the disk is full (no file is left). */
  async write(id: string, bytes: Uint8Array): Promise<void> {
    this.reserve(id, bytes.byteLength)
    const file = this.fileFor(id)
    try {
      await writeFile(file, bytes)
    } catch (err) {
      this.release(file, bytes.byteLength)
      throw this.writeError(id, err)
    }
  }

  /**
   * Yields `source` while writing it to the job's file. `done` hears whether it was kept:
   * only a stream read to its end within `maxInputBytes` is. A failed write ends the
   * iteration with `store_full` (and `done` is not called).
   */
  async *tee(id: string, source: AsyncIterable<Uint8Array>, done: (r: TeeResult) => void): AsyncGenerator<Uint8Array> {
    const file = this.fileFor(id)
    let fh: FileHandle | undefined
    let written = 0
    let seen = 0
    let keeping = true
    let finished = false
    const drop = async (): Promise<void> => {
      keeping = false
      await fh?.close().catch(() => {})
      fh = undefined
      this.release(file, written)
      written = 0
    }
    try {
      for await (const chunk of source) {
        seen += chunk.byteLength
        if (keeping && seen > this.opts.maxInputBytes) await drop()
        if (keeping) {
          try {
            this.reserve(id, chunk.byteLength)
            written += chunk.byteLength
            fh ??= await open(file, 'w')
            await fh.write(chunk)
          } catch (err) {
            await drop()
            throw this.writeError(id, err)
          }
        }
        yield chunk
      }
      finished = true
    } finally {
      if (keeping && finished) {
        await fh?.close()
        done({ kept: true, bytes: seen })
      } else if (keeping) {
        // The reader stopped early (the job ended or failed): what was written is not the whole input.
        await drop()
        done({ kept: false, bytes: seen })
      } else if (finished) {
        done({ kept: false, bytes: seen })
      }
    }
  }

  /** The kept input of a job, read back in chunks. */
  read(id: string): AsyncIterable<Uint8Array> {
    return createReadStream(this.fileFor(id), { highWaterMark: 64 * 1024 })
  }

  /** Whether the job's input file is there. */
  has(id: string): boolean {
    try {
      statSync(this.fileFor(id))
      return true
    } catch {
      return false
    }
  }

  /** Deletes a job's input file, if any. */
  remove(id: string): void {
    const file = this.fileFor(id)
    let size = 0
    try {
      size = statSync(file).size
      unlinkSync(file)
    } catch {
      return
    }
    this.used = Math.max(0, this.used - size)
  }

  private reserve(id: string, bytes: number): void {
    if (this.used + bytes > this.opts.maxDiskBytes) {
      throw new CrankError(
        StoreErrorCodes.storeFull,
        `job store is full: keeping ${bytes} more input bytes for ${id} would pass store.maxDiskBytes (${this.opts.maxDiskBytes}; ${this.used} in use)`,
      )
    }
    this.used += bytes
  }

  private release(file: string, reserved: number): void {
    this.used = Math.max(0, this.used - reserved)
    try {
      unlinkSync(file)
    } catch {}
  }

  private writeError(id: string, err: unknown): CrankError {
    if (err instanceof CrankError) return err
    if (isDiskFull(err))
      return new CrankError(StoreErrorCodes.storeFull, `job store is full: the disk refused ${id}'s input: ${(err as Error).message}`)
    return new CrankError(StoreErrorCodes.storeUnavailable, `job store could not keep ${id}'s input: ${(err as Error).message}`)
  }
}
