/**
 * The dashboard: a static page, one vanilla JavaScript module and a style sheet from
 * src/gateway/dashboard/, read once at start (no build step). They hold no data, so they are
 * public; the page asks for a token when the API answers 401. A strict Content-Security-Policy
 * allows only these files to run.
 */
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'

const DIR = new URL('./dashboard/', import.meta.url)

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/chart.js': { file: 'chart.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/sse.js': { file: 'sse.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  // Named by the page: without one, a browser asks for /favicon.ico and logs its 404 as an error.
  '/dashboard/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

export function registerDashboard(app: FastifyInstance): void {
  for (const [path, { file, type }] of Object.entries(FILES)) {
    const body = readFileSync(new URL(file, DIR))
    app.get(path, { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
      reply
        .type(type)
        .header('content-security-policy', CSP)
        .header('cache-control', 'no-cache')
        .header('referrer-policy', 'no-referrer')
        .send(body),
    )
  }
}

/** The paths served, for tests and docs. */
export const DASHBOARD_PATHS = Object.keys(FILES)
