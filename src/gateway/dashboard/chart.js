// A small line chart on a <canvas>, drawn by hand: no charting library is installed, and two
// series over a few minutes need none. The canvas is an image to assistive technology; its
// figcaption says the same numbers in words.

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{ t: number[], series: Array<{ label: string, values: Array<number | undefined>, color: string, dash?: number[] }>, unit: string }} data
 */
export function drawLines(canvas, data) {
  const ratio = window.devicePixelRatio || 1
  const cssWidth = canvas.clientWidth || canvas.width
  const cssHeight = canvas.clientHeight || canvas.height
  if (canvas.width !== Math.round(cssWidth * ratio)) {
    canvas.width = Math.round(cssWidth * ratio)
    canvas.height = Math.round(cssHeight * ratio)
  }
  const ctx = canvas.getContext('2d')
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
  const style = getComputedStyle(canvas)
  const ink = style.getPropertyValue('--chart-ink').trim() || '#222'
  const grid = style.getPropertyValue('--chart-grid').trim() || '#ccc'
  ctx.clearRect(0, 0, cssWidth, cssHeight)
  ctx.font = '12px system-ui, sans-serif'

  const left = 48
  const right = 8
  const top = 22
  const bottom = 22
  const w = cssWidth - left - right
  const h = cssHeight - top - bottom
  const all = data.series.flatMap((s) => s.values.filter((v) => v !== undefined))
  // With no jobs yet every value is 0: scale to 1, not to a tiny epsilon whose ticks (2.5e-10…) overflow the axis.
  const peak = Math.max(0, ...all)
  const max = niceCeil(peak > 0 ? peak : 1)
  const n = data.t.length
  const x = (i) => left + (n <= 1 ? w : (i / (n - 1)) * w)
  const y = (v) => top + h - (v / max) * h

  ctx.strokeStyle = grid
  ctx.fillStyle = ink
  ctx.lineWidth = 1
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4
    const py = Math.round(y(v)) + 0.5
    ctx.beginPath()
    ctx.moveTo(left, py)
    ctx.lineTo(left + w, py)
    ctx.stroke()
    ctx.textAlign = 'right'
    ctx.fillText(format(v), left - 6, py + 4)
  }
  ctx.textAlign = 'left'
  ctx.fillText(data.unit, 4, 12)
  if (n > 1) {
    const span = Math.round((data.t[n - 1] - data.t[0]) / 1000)
    ctx.fillText(span < 120 ? `${span} s ago` : `${Math.round(span / 60)} min ago`, left, cssHeight - 6)
    ctx.textAlign = 'right'
    ctx.fillText('now', left + w, cssHeight - 6)
  }

  let legendX = left + 8
  for (const s of data.series) {
    ctx.strokeStyle = s.color
    ctx.lineWidth = 2
    ctx.setLineDash(s.dash ?? [])
    ctx.beginPath()
    let drawing = false
    s.values.forEach((v, i) => {
      if (v === undefined) {
        drawing = false
        return
      }
      if (drawing) ctx.lineTo(x(i), y(v))
      else ctx.moveTo(x(i), y(v))
      drawing = true
    })
    ctx.stroke()
    // A value with no neighbour makes no segment: a fresh gateway has one bucket, and a latency
    // seen in one bucket only would otherwise not show at all.
    ctx.fillStyle = s.color
    s.values.forEach((v, i) => {
      if (v === undefined || s.values[i - 1] !== undefined || s.values[i + 1] !== undefined) return
      ctx.beginPath()
      ctx.arc(x(i), y(v), 3, 0, 2 * Math.PI)
      ctx.fill()
    })
    ctx.beginPath()
    ctx.moveTo(legendX, 12)
    ctx.lineTo(legendX + 18, 12)
    ctx.stroke()
    ctx.setLineDash([])
    ctx.fillStyle = ink
    ctx.textAlign = 'left'
    ctx.fillText(s.label, legendX + 22, 16)
    legendX += 30 + ctx.measureText(s.label).width
  }
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

function format(v) {
  if (v === 0) return '0'
  if (v >= 100) return String(Math.round(v))
  if (v >= 1) return v.toFixed(1)
  return v.toPrecision(2)
}
