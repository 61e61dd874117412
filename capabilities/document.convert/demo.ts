/**
 * Demo for `npm run demo`: converts one Markdown document to HTML, DOCX and PDF
 * (and the PDF back to text), then runs a small record stream through
 * stream.process with a filter and a windowed aggregate, all through `node`.
 * `route` is `local` or the peer id of a node serving both capabilities.
 */
import type { CrankNode } from '../../src/index.ts'

const SAMPLE = `# Crank field report

Crank runs **capabilities** across a mesh. This report was written in *Markdown*.

| node  | jobs | p95 ms |
|-------|-----:|-------:|
| alpha |  120 |    3.1 |
| beta  |   87 |    2.4 |

1. Convert it.
2. Stream it.
`

export async function demoDocumentAndStream(node: CrankNode, route = 'local', print: (line: string) => void = console.log): Promise<void> {
  for (const to of ['html', 'docx', 'pdf'] as const) {
    const r = await node.submit({ capability: 'document.convert', params: { to, title: 'Crank field report' }, input: SAMPLE, route })
      .result
    const v = r.value as { from: string; detected: boolean; bytesOut: number; pages?: number }
    print(
      `document.convert ${v.from}${v.detected ? ' (detected)' : ''} → ${to}: ${v.bytesOut} bytes${v.pages ? `, ${v.pages} page(s)` : ''} on ${r.route?.peer.slice(-8)}`,
    )
    if (to === 'pdf' && r.output !== undefined) {
      const back = await node.submit({ capability: 'document.convert', params: { to: 'text' }, input: r.output, route }).result
      const text = new TextDecoder().decode(back.output).replace(/\s+/g, ' ').trim()
      print(`document.convert pdf → text: "${text.slice(0, 70)}…"`)
    }
  }

  // A minute of readings from three sensors, one every 100 ms, with a few bad lines mixed in.
  const lines: string[] = []
  for (let i = 0; i < 600; i++) {
    lines.push(JSON.stringify({ t: 1_700_000_000_000 + i * 100, sensor: `s${i % 3}`, celsius: 20 + 5 * Math.sin(i / 40) + (i % 7) / 10 }))
    if (i % 200 === 199) lines.push('{"broken": ')
  }
  const handle = node.submit({
    capability: 'stream.process',
    params: {
      pipeline: [
        { op: 'filter', where: 'sensor != "s2"' },
        {
          op: 'window',
          kind: 'tumbling',
          timeMs: 20_000,
          timeField: 't',
          groupBy: ['sensor'],
          aggregates: [{ fn: 'count' }, { fn: 'avg', field: 'celsius' }, { fn: 'p95', field: 'celsius' }],
        },
      ],
    },
    input: `${lines.join('\n')}\n`,
    route,
    output: 'stream',
  })
  for await (const e of handle) {
    if (e.type !== 'output') continue
    for (const line of new TextDecoder().decode(e.data).trim().split('\n')) {
      const w = JSON.parse(line) as { sensor: string; windowStart: number; count: number; avg_celsius: number; p95_celsius: number }
      print(
        `stream.process window ${new Date(w.windowStart).toISOString().slice(11, 19)} ${w.sensor}: n=${w.count} avg=${w.avg_celsius.toFixed(2)}°C p95=${w.p95_celsius.toFixed(2)}°C`,
      )
    }
  }
  const r = (await handle.result).value as { recordsIn: number; recordsOut: number; malformed: number }
  print(`stream.process: ${r.recordsIn} records in, ${r.recordsOut} windows out, ${r.malformed} malformed (counted, skipped)`)
}
