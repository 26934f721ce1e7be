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
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  await page.goto(url, { waitUntil: 'commit' });
  const d = await page.waitForFunction(() => {
    const map = window.atlas && window.atlas.map;
    if (!map || !map.getLayer('site-clusters')) return false;
    const n = map.queryRenderedFeatures({ layers: ['site-clusters', 'site-points'] }).length;
    return n > 0 && performance.now();
  }, null, { timeout: 60000, polling: 'raf' });
  const drawn = await d.jsonValue();
  const { profile } = await cdp.send('Profiler.stop');
  console.log(`run ${run}: drawn ${drawn.toFixed(0)} ms`);
  if (run === 1) {
    // self time per function (url:line name), and total per url
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map();
    const dt = profile.timeDeltas; let i = 0;
    for (const id of profile.samples) {
      const n = byId.get(id); const cf = n.callFrame;
      const key = `${cf.functionName || '(anon)'} ${cf.url.replace(/^.*\//, '')}:${cf.lineNumber}`;
      self.set(key, (self.get(key) || 0) + (dt[i++] || 0) / 1000);
    }
    const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30);
    for (const [k, v] of top) console.log(v.toFixed(0).padStart(6), k);
  }
  await ctx.close();
}
await b.close(); if (host) await host.stop(); await s.stop();
