/**
 * `crank-node status` for a node that answers on its control socket: who it is, where it listens,
 * whether it is in its mesh, its certificate, its peers and the members it knows, its load and the
 * jobs in flight. The first lines are the same as for a node read from its status file.
 */
import type { StatusView } from '../control/node-views.ts'
import { ago, describeNodeStatus } from './node-status.ts'
import { short } from './table.ts'

export function describeLiveStatus(s: StatusView, now = Date.now()): string[] {
  const lines = describeNodeStatus(s, now)
  lines.push(`  addresses: ${s.addresses.length === 0 ? 'none (not listening)' : s.addresses.join(' ')}`)
  if (s.openMesh) lines.push('  OPEN MESH: peers are not asked for membership certificates (development only)')
  if (s.draining) lines.push('  DRAINING: takes no new jobs')

  const t = s.load.totals
  lines.push('', `load: ${t.inFlight} job(s) in flight, ${t.queued} queued (${t.capacity} slots, queues of ${t.queueLimit})`)
  for (const [lane, l] of Object.entries(s.load.capabilities))
    if (l.inFlight > 0 || l.queued > 0) lines.push(`  ${lane}: ${l.inFlight}/${l.capacity} running, ${l.queued}/${l.queueLimit} queued`)

  lines.push('', `jobs in flight from the control socket: ${s.jobs.length}`)
  for (const j of s.jobs)
    lines.push(
      `  ${j.jobId}  ${j.capability}  for ${ago(now - j.startedAt)}  in ${j.inputBytes} B  out ${j.outputBytes} B${j.detached ? '  detached' : ''}`,
    )

  lines.push('', `peers connected: ${s.peers.length}`)
  for (const p of s.peers)
    lines.push(`  ${short(p.peer)}  ${p.name || '-'}  ${p.member ? 'member' : 'NOT VERIFIED'}  ${p.health}  ${p.addr}`)

  const connected = s.members.filter((m) => m.connected).length
  lines.push('', `members known: ${s.members.length} (${connected} connected)`)
  for (const m of s.members) {
    const seen = m.connected ? 'connected' : m.lastSeen === undefined ? 'never connected' : `last seen ${ago(now - m.lastSeen)} ago`
    const expiry = m.notAfter === undefined ? '' : m.notAfter > now ? `expires in ${ago(m.notAfter - now)}` : 'EXPIRED'
    const cert = m.notAfter === undefined ? '' : `  certificate ${m.serial} ${expiry}`
    lines.push(`  ${short(m.peer)}  ${m.name || '-'}  ${seen}${cert}`)
  }

  if (s.recent.length > 0) {
    lines.push('', `last jobs served: ${s.recent.length}`)
    for (const r of s.recent)
      lines.push(
        `  ${r.jobId}  ${r.capability}@${r.version}  ${r.state}${r.error === undefined ? '' : ` (${r.error.code})`}  for ${r.caller === 'local' ? 'this node' : short(r.caller)}  ${ago(now - r.endedAt)} ago`,
      )
  }
  return lines
}
