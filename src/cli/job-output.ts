/**
 * Where `submit --output` puts a job's output, as it streams: a file (written under a temporary
 * name beside it and renamed when the job succeeds, so a failed job never leaves a truncated or
 * empty file under the name asked for), stdout (`-`), or nowhere (bytes counted, not kept). Writes
 * wait for the disk, which is what slows the job down when the disk is the slow end.
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import { rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { CrankError, ErrorCodes } from '../errors.ts'

export class JobOutput {
  /** Bytes taken so far. */
  bytes = 0
  readonly #target: string | undefined
  readonly #temp: string | undefined
  readonly #stream: NodeJS.WritableStream | undefined
  #failure: CrankError | undefined

  /** `undefined`: count only; `-`: stdout; else a file path (checked beforehand by the caller). */
  constructor(target: string | undefined) {
    this.#target = target
    if (target === undefined) return
    if (target === '-') {
      this.#stream = process.stdout
      return
    }
    this.#temp = join(dirname(target), `.${basename(target)}.crank-${process.pid}.part`)
    const file = createWriteStream(this.#temp)
    file.on('error', (err: NodeJS.ErrnoException) => {
      this.#failure ??= this.#writeError(err)
    })
    this.#stream = file
  }

  /** Resolves when the chunk may be followed by another; rejects once the target cannot be written. */
  async write(chunk: Uint8Array): Promise<void> {
    this.bytes += chunk.byteLength
    const stream = this.#stream
    if (stream === undefined) return
    if (this.#failure !== undefined) throw this.#failure
    if (stream.write(chunk)) return
    await new Promise<void>((resolve) => {
      const done = (): void => {
        stream.off('drain', done)
        stream.off('error', done)
        resolve()
      }
      stream.once('drain', done)
      stream.once('error', done)
    })
    if (this.#failure !== undefined) throw this.#failure
  }

  /** The job succeeded: the file takes its name. */
  async commit(): Promise<void> {
    await this.#close()
    if (this.#failure !== undefined) throw this.#failure
    if (this.#temp !== undefined && this.#target !== undefined)
      await rename(this.#temp, this.#target).catch((err: NodeJS.ErrnoException) => {
        throw this.#writeError(err)
      })
  }

  /** The job failed: what was written goes away. */
  async discard(): Promise<void> {
    await this.#close().catch(() => {})
    if (this.#temp !== undefined) await unlink(this.#temp).catch(() => {})
  }

  async #close(): Promise<void> {
    const stream = this.#stream
    if (stream === undefined || stream === process.stdout) return
    const file = stream as unknown as WriteStream
    if (file.closed) return
    await new Promise<void>((resolve) => {
      file.once('close', () => resolve())
      file.end()
    })
  }

  #writeError(err: NodeJS.ErrnoException): CrankError {
    return new CrankError(
      ErrorCodes.invalidOption,
      `cannot write --output ${this.#target} (after ${this.bytes} bytes of job output): ${err.code ?? err.message}`,
    )
  }
}
