/** Plain-text tables for the commands' human output. */

export function printTable(header: string[], rows: Array<Array<string | number>>, indent = ''): void {
  const cells = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  for (const r of cells)
    console.log(
      indent +
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
    )
}

/** A peer id's tail: enough to tell peers apart in a table. */
export const short = (peer: string): string => `…${peer.slice(-10)}`
