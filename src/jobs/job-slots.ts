/**
 * The jobs in flight on one lane, by job id: at most LANE_MAX_JOBS, so a scan of an array
 * finds one, and ids come and go without the hash table a Map would churn (see roster.ts for
 * what a Map's churn costs at a job's rate).
 */
export class JobSlots<T> {
  private readonly ids: string[] = []
  private readonly jobs: T[] = []

  get size(): number {
    return this.ids.length
  }

  /** Newest first: a lone job, or the latest Submit, is found at once. */
  private indexOf(id: string): number {
    const ids = this.ids
    for (let i = ids.length - 1; i >= 0; i--) if (ids[i] === id) return i
    return -1
  }

  get(id: string): T | undefined {
    const i = this.indexOf(id)
    return i < 0 ? undefined : this.jobs[i]
  }

  has(id: string): boolean {
    return this.indexOf(id) >= 0
  }

  set(id: string, job: T): void {
    const i = this.indexOf(id)
    if (i >= 0) {
      this.jobs[i] = job
      return
    }
    this.ids.push(id)
    this.jobs.push(job)
  }

  /** Removes the job with `id`; the last one takes its place. */
  delete(id: string): boolean {
    const i = this.indexOf(id)
    if (i < 0) return false
    const last = this.ids.length - 1
    if (i !== last) {
      this.ids[i] = this.ids[last] as string
      this.jobs[i] = this.jobs[last] as T
    }
    this.ids.pop()
    this.jobs.pop()
    return true
  }

  /** The jobs now, as a copy: what is done to each may remove it. */
  values(): T[] {
    return this.jobs.slice()
  }

  clear(): void {
    this.ids.length = 0
    this.jobs.length = 0
  }
}
