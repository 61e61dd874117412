/**
 * Values by id for things that come and go at a job's rate and must be found by id (the job
 * store's live records, the dispatcher's recorded jobs, a provider's durable jobs by caller and
 * key). Any string is a safe id, a peer's too: the dictionary has no prototype.
 *
 * Why not a Map: as entries come and go V8 replaces a Map's table, and the replaced table keeps a
 * link to its successor; once one table is old, every later one and the jobs it held are promoted
 * (see roster.ts, which measured it). A dictionary object's storage keeps no such link. With the
 * job store's and the dispatcher's Maps made IdIndexes, durable local jobs (64 in flight) promoted
 * about 0.14 KB each to the old generation instead of 2.3 KB (`node --trace-gc-nvp`, 3 s).
 */
export class IdIndex<T> {
  private entries: Record<string, T> = Object.create(null) as Record<string, T>
  private count = 0

  get size(): number {
    return this.count
  }

  get(id: string): T | undefined {
    return this.entries[id]
  }

  has(id: string): boolean {
    return this.entries[id] !== undefined
  }

  set(id: string, value: T): void {
    if (this.entries[id] === undefined) this.count++
    this.entries[id] = value
  }

  delete(id: string): void {
    if (this.entries[id] === undefined) return
    delete this.entries[id]
    // An emptied dictionary is started afresh, so its storage does not stay at its largest size.
    if (--this.count === 0) this.entries = Object.create(null) as Record<string, T>
  }

  values(): T[] {
    return Object.values(this.entries)
  }
}
