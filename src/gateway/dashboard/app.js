// The dashboard: reads the gateway's API once, then follows /v1/events (job states, mesh
// snapshots, job statistics) and, for the selected job, /v1/jobs/:id/events. No framework:
// the page is a few tables, two charts and a list, redrawn from plain state.
import { drawLines } from './chart.js'
import { followEvents } from './sse.js'

const TOKEN_KEY = 'crank-gateway-token'
const MAX_ROWS = 100
const STATUS_REFRESH_MS = 10_000

const $ = (id) => document.getElementById(id)
const state = { jobs: new Map(), stats: [], bucketMs: 5000, selected: undefined, follow: undefined, live: undefined }

const headers = () => {
  const token = sessionStorage.getItem(TOKEN_KEY)
  return token ? { authorization: `Bearer ${token}` } : {}
}

class Unauthorized extends Error {}

async function api(path) {
  const res = await fetch(path, { headers: headers(), cache: 'no-store' })
  if (res.status === 401) {
    askForToken(sessionStorage.getItem(TOKEN_KEY) ? 'That token was refused.' : '')
    throw new Unauthorized(path)
  }
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`)
  return res.json()
}

function askForToken(message) {
  $('token-form').hidden = false
  $('token-error').textContent = message
  $('node-status').textContent = 'This gateway needs a bearer token.'
  $('token').focus()
}

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault()
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim())
  $('token').value = ''
  $('token-form').hidden = true
  start()
})

function text(tag, content, attrs = {}) {
  const el = document.createElement(tag)
  el.textContent = content
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v)
  return el
}

const shortPeer = (peer) => (peer && peer.length > 16 ? `…${peer.slice(-10)}` : peer || '')
const seconds = (ms) => (ms === undefined ? '' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`)
const clock = (t) => (t === undefined ? '' : new Date(t).toLocaleTimeString())

// ---- status ----

async function refreshStatus() {
  try {
    const s = await api('/v1/status')
    $('node-name').textContent = s.name
    const c = s.connectivity
    const ready = s.ready?.ready
      ? 'ready'
      : `not ready (${Object.entries(s.ready?.checks ?? {})
          .filter(([, ok]) => !ok)
          .map(([k]) => k)
          .join(', ')})`
    $('node-status').textContent =
      `${s.running ? (s.draining ? 'draining' : 'running') : 'stopped'}, ${c.state} (${c.members} member${c.members === 1 ? '' : 's'} connected), ${ready}; ` +
      `${s.load.inFlight} job(s) in flight on ${s.load.capacity} slots`
  } catch (err) {
    if (!(err instanceof Unauthorized)) $('node-status').textContent = `Cannot reach the gateway: ${err.message}`
  }
}

// ---- mesh ----

function renderMesh(mesh) {
  const body = $('mesh').tBodies[0]
  body.replaceChildren(
    ...mesh.nodes.map((n) => {
      const tr = document.createElement('tr')
      const name = n.name || shortPeer(n.peer)
      const who = text('th', n.self ? `${name} (this node)` : name, { scope: 'row', title: n.peer })
      tr.append(
        who,
        text('td', n.health, { class: `health-${n.health}` }),
        text('td', n.capabilities.join(', ') || '—'),
        text('td', `${n.load.inFlight} / ${n.load.capacity}`),
        text('td', String(n.load.queued)),
        text('td', n.load.cpu.toFixed(2)),
        text('td', n.self ? '—' : seconds(n.ageMs)),
      )
      return tr
    }),
  )
}

// ---- charts ----

function addStats(point) {
  const last = state.stats.at(-1)
  if (last && last.t === point.t) state.stats[state.stats.length - 1] = point
  else if (!last || point.t > last.t) {
    state.stats.push(point)
    // Snapshots come every 2 s and carry only the newest bucket: jobs that ended in the previous
    // bucket after its last snapshot were never sent. Once per bucket, re-read the closed ones.
    if (last) api('/v1/stats').then(replaceStats, () => {})
  }
  if (state.stats.length > 120) state.stats.shift()
  drawStats()
}

function replaceStats(stats) {
  state.bucketMs = stats.bucketMs
  state.stats = stats.points
  drawStats()
}

function drawStats() {
  const pts = state.stats
  const perSecond = state.bucketMs / 1000
  const t = pts.map((p) => p.t)
  const style = getComputedStyle(document.documentElement)
  const c1 = style.getPropertyValue('--series-1').trim()
  const c2 = style.getPropertyValue('--series-2').trim()
  drawLines($('rate-chart'), {
    t,
    unit: 'jobs/s',
    series: [
      { label: 'submitted here', color: c1, values: pts.map((p) => p.submitted / perSecond) },
      { label: 'served here', color: c2, dash: [6, 3], values: pts.map((p) => p.served / perSecond) },
    ],
  })
  drawLines($('latency-chart'), {
    t,
    unit: 'ms',
    series: [
      { label: 'p50', color: c1, values: pts.map((p) => p.submittedP50Ms) },
      { label: 'p95', color: c2, dash: [6, 3], values: pts.map((p) => p.submittedP95Ms) },
    ],
  })
  const last = pts.findLast((p) => p.submitted + p.served > 0)
  $('rate-summary').textContent = last
    ? `Jobs ended per second. Latest busy interval (${clock(last.t)}): ${(last.submitted / perSecond).toFixed(2)}/s submitted through this gateway ` +
      `(${last.submittedFailed} failed), ${(last.served / perSecond).toFixed(2)}/s served by this node (${last.servedFailed} failed).`
    : 'Jobs ended per second: none in the last minutes.'
  const lat = pts.findLast((p) => p.submittedP50Ms !== undefined)
  $('latency-summary').textContent = lat
    ? `Submit-to-end latency of jobs submitted here, at ${clock(lat.t)}: median ${seconds(lat.submittedP50Ms)}, 95th percentile ${seconds(lat.submittedP95Ms)}.`
    : 'Submit-to-end latency of jobs submitted here: no jobs yet.'
}

// ---- jobs ----

function upsertJob(job) {
  const known = state.jobs.get(job.id) ?? {}
  state.jobs.set(job.id, { ...known, ...job })
  renderJobs()
}

function renderJobs() {
  const rows = [...state.jobs.values()].sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0)).slice(0, MAX_ROWS)
  for (const id of [...state.jobs.keys()]) if (!rows.some((r) => r.id === id)) state.jobs.delete(id)
  const focused = document.activeElement?.dataset?.job
  const body = $('jobs').tBodies[0]
  body.replaceChildren(
    ...rows.map((j) => {
      const tr = document.createElement('tr')
      tr.tabIndex = 0
      tr.dataset.job = j.id
      if (j.id === state.selected) tr.setAttribute('aria-current', 'true')
      const duration = j.durationMs ?? (j.endedAt && j.createdAt ? j.endedAt - j.createdAt : undefined)
      tr.append(
        text('th', shortPeer(j.id), { scope: 'row', title: j.id }),
        text('td', j.capability ?? ''),
        text('td', j.state, { class: `state state-${j.state}` }),
        text('td', j.peer === 'local' ? 'this node' : shortPeer(j.peer)),
        text('td', seconds(duration)),
        text('td', clock(j.createdAt)),
      )
      return tr
    }),
  )
  if (focused) body.querySelector(`tr[data-job="${CSS.escape(focused)}"]`)?.focus()
}

async function loadJobs() {
  try {
    const { jobs } = await api(`/v1/jobs?limit=${MAX_ROWS}`)
    state.jobs.clear()
    for (const j of jobs) state.jobs.set(j.id, j)
    renderJobs()
  } catch (err) {
    if (!(err instanceof Unauthorized)) console.warn(err)
  }
}

function onJobChange(change) {
  const known = state.jobs.get(change.id)
  upsertJob({ ...change, createdAt: known?.createdAt ?? change.at })
  // The job store's feed does not name the capability: fetch the job once to fill the row.
  if (change.capability === undefined && known?.capability === undefined)
    api(`/v1/jobs/${encodeURIComponent(change.id)}`).then(upsertJob, () => {})
}

function selectJob(id) {
  state.selected = id
  state.follow?.abort()
  const follow = new AbortController()
  state.follow = follow
  renderJobs()
  $('events-for').textContent = `Events of job ${id}:`
  const list = $('job-events')
  list.replaceChildren()
  followEvents(`/v1/jobs/${encodeURIComponent(id)}/events`, {
    headers,
    signal: follow.signal,
    onEvent: (type, data) => {
      if (type === 'mesh' || type === 'stats') return
      const { jobId: _id, at, ...rest } = data ?? {}
      const detail = Object.entries(rest)
        .filter(([k]) => k !== 'seq')
        .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)
        .join(', ')
      list.append(text('li', `${clock(at)} ${type}${detail ? ` — ${detail}` : ''}`))
    },
  })
}

$('jobs').addEventListener('click', (e) => {
  const row = e.target.closest('tr[data-job]')
  if (row) selectJob(row.dataset.job)
})
$('jobs').addEventListener('keydown', (e) => {
  const row = e.target.closest('tr[data-job]')
  if (!row) return
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault()
    selectJob(row.dataset.job)
  } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault()
    ;(e.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling)?.focus()
  }
})

// ---- start ----

async function start() {
  state.live?.abort()
  try {
    const [mesh, stats] = await Promise.all([api('/v1/mesh'), api('/v1/stats')])
    renderMesh(mesh)
    replaceStats(stats)
  } catch (err) {
    if (err instanceof Unauthorized) return
    $('node-status').textContent = `Cannot reach the gateway: ${err.message}`
  }
  await Promise.all([refreshStatus(), loadJobs()])
  const live = new AbortController()
  state.live = live
  followEvents('/v1/events', {
    headers,
    signal: live.signal,
    onStatus: (status) => {
      if (status === 401) askForToken('That token was refused.')
    },
    onEvent: (type, data) => {
      if (type === 'mesh') renderMesh(data)
      else if (type === 'stats') {
        state.bucketMs = data.bucketMs
        addStats(data.point)
      } else if (type === 'job') onJobChange(data)
      else if (type === 'gap' || type === 'resync') loadJobs()
    },
  })
}

setInterval(refreshStatus, STATUS_REFRESH_MS)
window.addEventListener('resize', drawStats)
start()
