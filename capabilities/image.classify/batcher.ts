/**
 * Dynamic batching: concurrent jobs for one model are gathered into one inference call, up to
 * `maxBatch` samples, waiting at most `maxWaitMs` after the first sample of a batch arrives.
 * While a batch runs, the next one fills; it starts as soon as the runtime is free and the batch
 * is full or its wait has elapsed. `maxBatch: 1` turns batching off.
 */

export interface BatchingOptions {
  /** Most samples per inference call (the model's fixed batch size, if it has one, caps it). */
  maxBatch: number
  /** Longest a sample waits for companions, in milliseconds. */
  maxWaitMs: number
  /** Inference calls in flight at once for this model. */
  maxInFlight: number
}

export const DEFAULT_BATCHING: BatchingOptions = { maxBatch: 32, maxWaitMs: 2, maxInFlight: 1 }

export interface BatchResult {
  /** This sample's slice of the model output. */
  output: Float32Array
  batchSize: number
  queueMs: number
  inferenceMs: number
}

/** Runs `n` samples packed in `input` and returns the output rows packed the same way. */
export type RunBatch = (input: Float32Array, n: number) => Promise<Float32Array>

interface Pending {
  sample: Float32Array
  enqueued: number
  resolve: (r: BatchResult) => void
  reject: (err: unknown) => void
}

export class DynamicBatcher {
  private readonly queue: Pending[] = []
  private timer: NodeJS.Timeout | undefined
  private waitElapsed = false
  private inFlight = 0
  private readonly opts: BatchingOptions
  private readonly sampleSize: number
  private readonly outputSize: number
  private readonly run: RunBatch
  /** Batches run so far and their total size, for stats. */
  batches = 0
  samples = 0

  constructor(run: RunBatch, sampleSize: number, outputSize: number, opts: BatchingOptions) {
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1) throw new RangeError('maxBatch must be a positive integer')
    if (!(opts.maxWaitMs >= 0)) throw new RangeError('maxWaitMs must be ≥ 0')
    if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1) throw new RangeError('maxInFlight must be a positive integer')
    this.run = run
    this.sampleSize = sampleSize
    this.outputSize = outputSize
    this.opts = opts
  }

  submit(sample: Float32Array): Promise<BatchResult> {
    if (sample.length !== this.sampleSize)
      return Promise.reject(new RangeError(`sample has ${sample.length} floats, expected ${this.sampleSize}`))
    return new Promise<BatchResult>((resolve, reject) => {
      this.queue.push({ sample, enqueued: performance.now(), resolve, reject })
      if (this.queue.length === 1 && this.opts.maxWaitMs > 0 && this.opts.maxBatch > 1) {
        this.waitElapsed = false
        this.timer = setTimeout(() => {
          this.timer = undefined
          this.waitElapsed = true
          this.pump()
        }, this.opts.maxWaitMs)
      }
      this.pump()
    })
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.opts.maxInFlight) {
      const ready = this.queue.length >= this.opts.maxBatch || this.waitElapsed || this.opts.maxWaitMs === 0 || this.opts.maxBatch === 1
      if (!ready) return
      const batch = this.queue.splice(0, this.opts.maxBatch)
      if (this.queue.length === 0) {
        if (this.timer !== undefined) clearTimeout(this.timer)
        this.timer = undefined
        this.waitElapsed = false
      }
      void this.execute(batch)
    }
  }

  private async execute(batch: Pending[]): Promise<void> {
    this.inFlight++
    const n = batch.length
    const input = new Float32Array(n * this.sampleSize)
    for (let i = 0; i < n; i++) input.set((batch[i] as Pending).sample, i * this.sampleSize)
    const start = performance.now()
    try {
      const out = await this.run(input, n)
      const inferenceMs = performance.now() - start
      this.batches++
      this.samples += n
      for (let i = 0; i < n; i++) {
        const p = batch[i] as Pending
        p.resolve({
          output: out.slice(i * this.outputSize, (i + 1) * this.outputSize),
          batchSize: n,
          queueMs: start - p.enqueued,
          inferenceMs,
        })
      }
    } catch (err) {
      for (const p of batch) p.reject(err)
    } finally {
      this.inFlight--
      this.pump()
    }
  }
}
