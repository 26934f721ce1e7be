// Request waterfall of a cold page load (published if PUB=1).
import { startServer, launchBrowser, publishAndHost } from './helpers.mjs';
const N = Number(process.env.N || 100000);
const s = await startServer([], { synth: N });
const b = await launchBrowser();
let url = s.origin + '/';
let host = null;
if (process.env.PUB === '1') { host = await publishAndHost(s.db, '/kjcx/atlas/'); url = host.origin + '/kjcx/atlas/'; }
for (let run = 0; run < 2; run++) {
  const ctx = await b.newContext({ viewport: { width: 1366, height: 820 }, locale: 'zh-CN' });
  const page = await ctx.newPage();
  const rows = [];
  page.on('requestfinished', async (r) => {
    const t = r.timing();
    const sz = (await r.sizes().catch(() => ({ responseBodySize: 0 }))).responseBodySize;
    rows.push([t.startTime, t.responseEnd, r.url().replace(/^https?:\/\/[^/]+/, '').slice(0, 90), sz]);
  });
  await page.goto(url, { waitUntil: 'commit' });
  const nav = await page.evaluate(() => performance.timeOrigin);
  const d = await page.waitForFunction(() => {
    const map = window.atlas && window.atlas.map;
    if (!map || !map.getLayer('site-clusters')) return false;
    const n = map.queryRenderedFeatures({ layers: ['site-clusters', 'site-points'] }).length;
    return n > 0 && performance.now();
  }, null, { timeout: 60000, polling: 'raf' });
  const drawn = await d.jsonValue();
  const marks = await page.evaluate(() => performance.getEntriesByType('mark').map((m) => [m.name, m.startTime]));
  console.log(`run ${run}: drawn ${drawn.toFixed(0)} ms`);
  if (run === 1) {
    rows.sort((a, b) => a[0] - b[0]);
    for (const [st, end, u, sz] of rows) console.log(`${(st - nav).toFixed(0).padStart(6)} ${(st - nav + end).toFixed(0).padStart(6)} ${String(sz).padStart(9)} ${u}`);
    for (const m of marks) console.log('mark', m);
  }
  await ctx.close();
}
await b.close(); if (host) await host.stop(); await s.stop();
