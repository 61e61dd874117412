/**
 * Members that come and go at a job's rate (handles in flight, running controllers), kept in an
 * array with each member's place, so that adding and removing touch no hash table.
 *
 * Why not a Set: V8 replaces a Set's (or a Map's) table as entries come and go, and a replaced
 * table keeps a link to its successor and the entries it held. Once one of those tables has
 * reached the old generation (a quiet moment is enough), it keeps the next one alive through
 * every young collection, that one the next, and so on, each with the jobs it held: all of them
 * are promoted, to wait for a major GC. Measured with 64 jobs in flight, a Set with a job's
 * add and delete made about 650 bytes of every job outlive the young generation; the Sets and
 * Maps on the job path together made 1 to 1.7 KB. An array has no such link.
 */
export interface RosterEntry<T> {
  readonly value: T
  /** Where the entry sits in the roster; -1 once removed. */
  at: number
}

export class Roster<T> {
  private readonly entries: RosterEntry<T>[] = []

  get size(): number {
    return this.entries.length
  }

  /** Adds `value`; the entry returned is what `remove` takes. */
  add(value: T): RosterEntry<T> {
    const entry: RosterEntry<T> = { value, at: this.entries.length }
    this.entries.push(entry)
    return entry
  }

  /** Removes the entry (again: nothing): the last entry takes its place. */
  remove(entry: RosterEntry<T>): void {
    const at = entry.at
    if (at < 0 || this.entries[at] !== entry) return
    const last = this.entries.pop() as RosterEntry<T>
    if (last !== entry) {
      this.entries[at] = last
      last.at = at
    }
    entry.at = -1
  }

  /** The members now, as a copy: what is done to each may remove it. */
  values(): T[] {
    return this.entries.map((e) => e.value)
  }
}
