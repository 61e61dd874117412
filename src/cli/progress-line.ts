/**
 * One line on a terminal that says how far a job has got: the job's own progress events when it
 * sends them (done of total, its message), else the input sent against the input file's size, and
 * the output received and its rate. Redrawn at most ten times a second; erased when the job ends.
 */

const REDRAW_MS = 100
const BAR_CELLS = 24

export interface ProgressTerminal {
  write(text: string): unknown
  columns?: number
}

export class ProgressLine {
  readonly #out: ProgressTerminal
  readonly #inputTotal: number | undefined
  readonly #started: number
  readonly #now: () => number
  #inputSent = 0
  #output = 0
  #done: number | undefined
  #total: number | undefined
  #message = ''
  #lastDraw = 0
  #drawn = false

  constructor(out: ProgressTerminal, opts: { inputTotal?: number | undefined; now?: () => number } = {}) {
    this.#out = out
    this.#inputTotal = opts.inputTotal
    this.#now = opts.now ?? Date.now
    this.#started = this.#now()
  }

  inputSent(bytes: number): void {
    this.#inputSent = bytes
    this.#maybeDraw()
  }

  output(bytes: number): void {
    this.#output += bytes
    this.#maybeDraw()
  }

  progress(update: { done: number; total?: number | undefined; message?: string | undefined }): void {
    this.#done = update.done
    this.#total = update.total
    if (update.message !== undefined) this.#message = update.message
    this.#maybeDraw()
  }

  /** Erases the line, so that what follows starts on a clean one. */
  clear(): void {
    if (this.#drawn) this.#out.write('\r\x1b[K')
    this.#drawn = false
  }

  /** The line as it would be drawn now. */
  render(): string {
    const fraction =
      this.#total !== undefined && this.#total > 0 && this.#done !== undefined
        ? this.#done / this.#total
        : this.#inputTotal !== undefined && this.#inputTotal > 0
          ? this.#inputSent / this.#inputTotal
          : undefined
    const seconds = Math.max((this.#now() - this.#started) / 1000, 0.001)
    const parts: string[] = []
    if (fraction !== undefined) {
      const f = Math.min(1, Math.max(0, fraction))
      const cells = Math.round(f * BAR_CELLS)
      parts.push(`[${'#'.repeat(cells)}${'-'.repeat(BAR_CELLS - cells)}] ${(f * 100).toFixed(0).padStart(3)}%`)
    }
    if (this.#done !== undefined && this.#total === undefined) parts.push(`${this.#done} done`)
    if (this.#inputTotal !== undefined || this.#inputSent > 0)
      parts.push(`in ${mib(this.#inputSent)}${this.#inputTotal === undefined ? '' : `/${mib(this.#inputTotal)}`}`)
    parts.push(`out ${mib(this.#output)} (${mib(this.#output / seconds)}/s)`)
    if (this.#message !== '') parts.push(this.#message)
    const line = parts.join('  ')
    const width = (this.#out.columns ?? 80) - 1
    return line.length > width ? line.slice(0, width) : line
  }

  #maybeDraw(): void {
    const now = this.#now()
    if (now - this.#lastDraw < REDRAW_MS) return
    this.#lastDraw = now
    this.#out.write(`\r${this.render()}\x1b[K`)
    this.#drawn = true
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`
}
