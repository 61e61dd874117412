import assert from 'node:assert/strict'
import { IdIndex } from '../src/jobs/id-index.ts'
import { JobSlots } from '../src/jobs/job-slots.ts'
import { Roster } from '../src/jobs/roster.ts'

describe('rosters for what comes and goes per job', () => {
  it('IdIndex: finds by id, counts what it holds, and takes ids that are also Object.prototype names', () => {
    const ix = new IdIndex<number>()
    ix.set('a', 1)
    ix.set('toString', 2)
    ix.set('__proto__', 3)
    ix.set('a', 4)
    assert.equal(ix.size, 3)
    assert.equal(ix.get('a'), 4)
    assert.equal(ix.get('toString'), 2)
    assert.equal(ix.get('__proto__'), 3)
    assert.equal(ix.has('constructor'), false)
    ix.delete('a')
    ix.delete('a')
    assert.equal(ix.size, 2)
    assert.deepEqual(ix.values().sort(), [2, 3])
    ix.delete('toString')
    ix.delete('__proto__')
    assert.equal(ix.size, 0)
    ix.set('b', 5)
    assert.deepEqual(ix.values(), [5])
  })

  it('Roster: removal from the middle moves the last entry into its place; removing twice does nothing', () => {
    const r = new Roster<string>()
    const a = r.add('a')
    const b = r.add('b')
    const c = r.add('c')
    r.remove(a)
    assert.deepEqual(r.values(), ['c', 'b'])
    assert.equal(c.at, 0)
    assert.equal(a.at, -1)
    r.remove(a)
    assert.equal(r.size, 2)
    r.remove(c)
    r.remove(b)
    assert.equal(r.size, 0)
    assert.deepEqual(r.values(), [])
  })

  it('Roster: values() is a copy, so members may leave while it is walked', () => {
    const r = new Roster<number>()
    const entries = [1, 2, 3, 4].map((n) => r.add(n))
    const seen: number[] = []
    for (const n of r.values()) {
      seen.push(n)
      for (const e of entries) r.remove(e)
    }
    assert.deepEqual(seen, [1, 2, 3, 4])
    assert.equal(r.size, 0)
  })

  it('Roster: an entry of another roster, or one whose place was taken, is not removed by mistake', () => {
    const r = new Roster<string>()
    const other = new Roster<string>()
    r.add('x')
    const stranger = other.add('y')
    r.remove(stranger)
    assert.deepEqual(r.values(), ['x'])
  })

  it('JobSlots: finds, replaces and deletes by id, in any order', () => {
    const s = new JobSlots<number>()
    for (let i = 0; i < 64; i++) s.set(`job-${i}`, i)
    assert.equal(s.size, 64)
    s.set('job-10', 100)
    assert.equal(s.size, 64)
    assert.equal(s.get('job-10'), 100)
    for (let i = 0; i < 64; i += 2) assert.equal(s.delete(`job-${i}`), true)
    assert.equal(s.delete('job-0'), false)
    assert.equal(s.size, 32)
    for (let i = 1; i < 64; i += 2) assert.equal(s.get(`job-${i}`), i)
    assert.equal(s.has('job-2'), false)
    assert.equal(s.get('job-2'), undefined)
    assert.deepEqual(
      s.values().sort((x, y) => x - y),
      Array.from({ length: 32 }, (_, k) => 2 * k + 1),
    )
    s.clear()
    assert.equal(s.size, 0)
    assert.equal(s.get('job-1'), undefined)
  })

  it('JobSlots: ids that are not plain names (__proto__, empty, numeric) are ids like any other', () => {
    const s = new JobSlots<string>()
    for (const id of ['__proto__', '', '0', 'constructor']) s.set(id, `v${id}`)
    for (const id of ['__proto__', '', '0', 'constructor']) assert.equal(s.get(id), `v${id}`)
    assert.equal(s.get('toString'), undefined)
  })
})
