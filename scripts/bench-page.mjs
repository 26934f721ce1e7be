#!/usr/bin/env node
// Page benchmark (BENCHMARKS.md, "Page"): how long the map page takes, in headless Chromium
// (SwiftShader WebGL, the flags of tests/e2e/helpers.mjs), from navigation to the first sites
// drawn — the first features of the site layers (clusters or symbols) rendered on the map — and to
// the list's first rows, at N sites (the default dataset + N synthetic ones, synth_db). Each run
// is a fresh browser context (an empty HTTP cache) on the same server; prints a Markdown table.
//
//   node scripts/bench-page.mjs                          # N=100000, 3 runs, release binaries
//   N=20000 RUNS=2 BIN=target/debug/atlas SYNTH=target/debug/examples/synth_db node scripts/bench-page.mjs
//   PUBLISHED=1 node scripts/bench-page.mjs              # the same catalogue published (atlas
//                                                        # publish), from a plain static server
//
// Needs tests/e2e's packages (cd tests/e2e && npm ci) and /usr/bin/chromium (or $CHROMIUM).
// Builds nothing: build the binaries first (cargo build --release -p atlas --bin atlas;
// cargo build --release -p atlas-store --example synth_db). All traffic stays on 127.0.0.1.

import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env.N || 100_000);
const RUNS = Number(process.env.RUNS || 3);
const BIN = resolve(REPO, process.env.BIN || 'target/release/atlas');
const SYNTH = resolve(REPO, process.env.SYNTH || 'target/release/examples/synth_db');
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS || 120_000);
const PUBLISHED = process.env.PUBLISHED === '1';
const BASE = '/kjcx/atlas/';

for (const [name, path] of [['BIN', BIN], ['SYNTH', SYNTH]]) {
  if (!existsSync(path)) {
    console.error(`error: ${name}=${path} does not exist (build it, or point ${name} at it)`);
    process.exit(1);
  }
}
process.env.ATLAS_BIN = BIN;
process.env.SYNTH_BIN = SYNTH;
const { startServer, launchBrowser, publishAndHost } = await import('../tests/e2e/helpers.mjs');

/** One cold load of the page at `url`: ms from navigation start to the first sites drawn and to the first list row. */
async function measure(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 820 }, locale: 'zh-CN' });
  const page = await context.newPage();
  try {
    await page.goto(url, { waitUntil: 'commit' });
    const firstRow = page.waitForFunction(() => document.querySelector('#list button.row') && performance.now(), null, { timeout: TIMEOUT_MS, polling: 'raf' });
    const drawn = await page.waitForFunction(() => {
      const map = window.atlas && window.atlas.map;
      if (!map || !map.getLayer('site-clusters')) return false;
      const n = map.queryRenderedFeatures({ layers: ['site-clusters', 'site-points'] }).length;
      return n > 0 && { ms: performance.now(), features: n, mode: document.documentElement.dataset.mapMode };
    }, null, { timeout: TIMEOUT_MS, polling: 'raf' });
    const d = await drawn.jsonValue();
    const listMs = await (await firstRow).jsonValue();
    return { drawnMs: d.ms, listMs, features: d.features, mode: d.mode };
  } finally {
    await context.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

console.error(`== database: default dataset + ${N} synthetic sites; server ${BIN}`);
const server = await startServer([], { synth: N });
const browser = await launchBrowser();
let host = null;
try {
  if (PUBLISHED) {
    const t0 = Date.now();
    host = await publishAndHost(server.db, BASE);
    console.error(`   published in ${((Date.now() - t0) / 1000).toFixed(1)} s, hosted by python3 -m http.server`);
  }
  const url = host ? host.origin + BASE : server.origin + '/';
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await measure(browser, url);
    console.error(`   run ${i + 1}: first sites drawn ${r.drawnMs.toFixed(0)} ms (${r.features} features, ${r.mode}), first list row ${r.listMs.toFixed(0)} ms`);
    runs.push(r);
  }
  const total = (await (await fetch(`${server.origin}/api/v1/sites?limit=1`)).json()).numberMatched;
  console.log(PUBLISHED ? 'Published (atlas publish, python3 -m http.server):' : 'Live (atlas serve):');
  console.log(`| sites | map mode | first sites drawn (median of ${RUNS}) | first list row | runs (drawn, ms) |`);
  console.log('|---:|---|---:|---:|---|');
  console.log(`| ${total} | ${runs[0].mode} | ${median(runs.map((r) => r.drawnMs)).toFixed(0)} ms | ${median(runs.map((r) => r.listMs)).toFixed(0)} ms | ${runs.map((r) => r.drawnMs.toFixed(0)).join(', ')} |`);
} finally {
  if (host) await host.stop();
  await browser.close();
  await server.stop();
}
