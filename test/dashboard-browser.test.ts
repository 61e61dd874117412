/**
 * The dashboard in headless Chromium (playwright-core, the system's /usr/bin/chromium): three
 * enrolled in-process nodes on loopback TCP, the gateway on one. The page shows every node and what
 * it serves, a job submitted during the test appears in the jobs table and reaches `succeeded`, and
 * the page logs no error. With CRANK_SCREENSHOT=1 it saves docs/dashboard.png (the README's picture);
 * otherwise a run leaves the tree as it was.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'
import echo from '../capabilities/example.echo/index.ts'
import { type Gateway, startGateway } from '../src/gateway/server.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import { enrol } from './helpers/trust.ts'
import { until } from './helpers/wait.ts'

const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOT = new URL('../docs/dashboard.png', import.meta.url).pathname

describe('dashboard in headless Chromium', function () {
  this.timeout(90_000)
  const nodes: CrankNode[] = []
  let gw: Gateway | undefined
  let browser: Browser | undefined

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      skipped: ${CHROMIUM} is absent (Debian package chromium)`)
      this.skip()
    }
    for (const name of ['front', 'west', 'east']) {
      const node = await createNode({
        name,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        ...(nodes.length === 0 ? {} : { bootstrap: [nodes[0]!.multiaddrs[0]!.toString()] }),
        logLevel: 'silent',
        metrics: true,
        mesh: { dht: false },
        ...(await enrol({ name })),
        capabilities: [echo],
      })
      await node.start()
      nodes.push(node)
    }
    const front = nodes[0]!
    await until('adverts of west and east', () => nodes.slice(1).every((n) => front.mesh.get(n.peerId.toString()) !== undefined), 30_000)
    gw = await startGateway(front, { listen: '127.0.0.1:0' })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  })

  after(async () => {
    await browser?.close()
    await gw?.close()
    await Promise.all(nodes.map((n) => n.stop()))
  })

  it('shows the mesh and a job reaching succeeded, with no console errors', async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } })
    const errors: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`)
    })
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
    // The console names a failed load without its URL: record which one.
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`)
    })
    await page.goto(gw!.url)

    const meshRows = page.locator('#mesh tbody tr')
    await meshRows.nth(2).waitFor()
    assert.equal(await meshRows.count(), 3)
    const meshText = (await page.locator('#mesh tbody').textContent()) ?? ''
    for (const name of ['front (this node)', 'west', 'east']) assert.ok(meshText.includes(name), meshText)
    for (let i = 0; i < 3; i++) assert.match((await meshRows.nth(i).locator('td').nth(1).textContent()) ?? '', /example\.echo@1\.0\.0/)

    // Submitted while the page is open: it arrives through the live feed, not the first load.
    const res = await fetch(`${gw!.url}/v1/jobs?wait=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ capability: 'example.echo', params: { echo: 'browser', delayMs: 300 } }),
    })
    assert.equal(res.status, 200)
    const job = (await res.json()) as { id: string; state: string }
    assert.equal(job.state, 'succeeded')
    const row = page.locator(`#jobs tbody tr[data-job="${job.id}"]`)
    await row.locator('td.state-succeeded').waitFor()
    assert.equal(await row.locator('td').nth(0).textContent(), 'example.echo')
    assert.equal(await row.locator('td').nth(1).textContent(), 'succeeded')

    // Following the job lists its events, ending in its terminal state.
    await row.click()
    await page.locator('#job-events li', { hasText: 'succeeded' }).waitFor()

    // The next stats snapshot (every 2 s) puts the job in the charts, whose captions say so in words.
    await page.locator('#rate-summary', { hasNotText: 'none in the last minutes' }).waitFor()
    await page.locator('#latency-summary', { hasNotText: 'no jobs yet' }).waitFor()
    if (process.env.CRANK_SCREENSHOT === '1') await page.screenshot({ path: SCREENSHOT })
    assert.deepEqual(errors, [])
    await page.close()
  })
})
