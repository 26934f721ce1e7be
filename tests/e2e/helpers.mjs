// Helpers of the end-to-end tests: a real `atlas serve` on a loopback port (port 0: the system
// picks it, the server prints the address it bound) with a fresh
// database, a real headless Chromium (Debian's /usr/bin/chromium through playwright-core), and
// a page that records every request and console message.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, '..', '..');
export const ARTIFACTS = join(HERE, 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

/** The `atlas` binary: $ATLAS_BIN, else the newest of target/{release,debug}/atlas. */
export function atlasBinary() {
  if (process.env.ATLAS_BIN) return process.env.ATLAS_BIN;
  const targets = [process.env.CARGO_TARGET_DIR, join(REPO, 'target')].filter(Boolean);
  const found = targets
    .flatMap((t) => ['release', 'debug'].map((p) => join(t, p, 'atlas')))
    .filter((p) => existsSync(p))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!found.length) throw new Error('no atlas binary: run `cargo build` or set ATLAS_BIN');
  return found[0];
}

/**
 * The example that makes a database of synthetic sites (crates/store/examples/synth_db.rs):
 * $SYNTH_BIN, else `examples/synth_db` beside the atlas binary (`cargo build -p atlas-store
 * --example synth_db`).
 */
export function synthBinary() {
  if (process.env.SYNTH_BIN) return process.env.SYNTH_BIN;
  const bin = join(dirname(atlasBinary()), 'examples', 'synth_db');
  if (!existsSync(bin)) throw new Error(`no ${bin}: run \`cargo build -p atlas-store --example synth_db\` or set SYNTH_BIN`);
  return bin;
}

/** The token `atlas user add` printed (the one long token-like word of its output). */
export function tokenOf(output) {
  const words = String(output).split(/\s+/).map((w) => w.replace(/^["'`]|["'`.,;:]$/g, '')).filter((w) => !w.startsWith('/') && /^[A-Za-z0-9_\-.~+/=]{20,}$/.test(w));
  if (!words.length) throw new Error(`no token in the output of atlas user add:\n${output}`);
  return words.sort((a, b) => b.length - a.length)[0];
}

/**
 * The address `atlas serve --addr 127.0.0.1:0` bound: the first `http://127.0.0.1:PORT` of its
 * output (what scripts/bench-server.sh reads too). Rejects when the server exits or stays silent.
 */
function boundOrigin(child, log) {
  return new Promise((resolveOrigin, reject) => {
    const find = () => /http:\/\/127\.0\.0\.1:\d+/.exec(log());
    const done = (fn, x) => {
      clearTimeout(timer);
      child.stdout.off('data', check);
      child.stderr.off('data', check);
      child.off('exit', exited);
      fn(x);
    };
    const check = () => {
      const m = find();
      if (m) done(resolveOrigin, m[0]);
    };
    const exited = () => done(reject, new Error(`atlas serve exited early:\n${log()}`));
    const timer = setTimeout(() => done(reject, new Error(`atlas serve printed no address within 30 s:\n${log()}`)), 30_000);
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', exited);
    check();
  });
}

/**
 * Starts `atlas serve` on a temporary database (the default dataset, plus `synth` synthetic
 * sites made by synth_db, plus `imports`, files that `atlas import` loads first, and `users`
 * ({name, role}) made with `atlas user add`, whose tokens come back in `tokens[name]`; `db` is the
 * database's path); resolves when the server printed the address it listens on.
 */
export async function startServer(extraArgs = [], { imports = [], users = [], synth = 0 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'atlas-e2e-'));
  const db = join(dir, 'atlas.db');
  const run = (args) => {
    const r = spawnSync(atlasBinary(), ['--db', db, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`atlas ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  if (synth > 0) {
    const r = spawnSync(synthBinary(), [db, String(synth), '42'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`synth_db ${synth} failed:\n${r.stdout}\n${r.stderr}`);
  } else if (imports.length || users.length) run(['init']);
  for (const f of imports) run(['import', f]);
  const tokens = {};
  for (const u of users) tokens[u.name] = tokenOf(run(['user', 'add', u.name, '--role', u.role]).stdout);
  const child = spawn(atlasBinary(), ['--db', db, 'serve', '--addr', '127.0.0.1:0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  let origin;
  try {
    origin = await boundOrigin(child, () => log);
  } catch (e) {
    child.kill('SIGTERM');
    throw e;
  }
  return {
    origin,
    tokens,
    db,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => {
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
            r();
          }, 5000);
          child.once('exit', () => {
            clearTimeout(timer);
            r();
          });
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}


/** A free loopback port. @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {any} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

/**
 * `atlas publish` of the database at `db` into a fresh folder, hosted under `base` by a plain
 * static file server (`python3 -m http.server`, which answers no range request): its `origin`
 * (the page is at origin + base), and `stop()`, which ends the server and removes the folder.
 * @param {string} db @param {string} base a sub-path such as /kjcx/atlas/
 */
export async function publishAndHost(db, base) {
  const root = mkdtempSync(join(tmpdir(), 'atlas-publish-'));
  const r = spawnSync(atlasBinary(), ['--db', db, 'publish', join(root, ...base.split('/').filter(Boolean)), '--base-path', base], {
    encoding: 'utf8',
    env: { ...process.env, ATLAS_NOW: '2026-12-02T08:00:00+08:00' },
  });
  /** @type {any} the static server */
  let child = null;
  const stop = async () => {
    if (child) child.kill('SIGTERM');
    rmSync(root, { recursive: true, force: true });
  };
  if (r.status !== 0) {
    await stop();
    throw new Error(`atlas publish failed:\n${r.stdout}\n${r.stderr}`);
  }
  const port = await freePort();
  child = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', root], { stdio: 'ignore' });
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await fetch(origin + base).then((x) => x.ok, () => false)) return { origin, stop };
    await new Promise((res) => setTimeout(res, 100));
  }
  await stop();
  throw new Error('the static server did not answer');
}

/** Headless Chromium with the flags WebGL needs without a GPU (SwiftShader) and no phoning home. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * A new page in a fresh context, recording requests and console errors.
 * @returns {{page, context, requests: string[], problems: string[]}}
 */
export async function openPage(browser, origin, path = '/', { viewport = { width: 1366, height: 820 }, locale = 'zh-CN', token = null } = {}) {
  const context = await browser.newContext({ viewport, locale, acceptDownloads: true });
  // A signed-in tab: the token where the page keeps it (this tab's session storage).
  if (token) await context.addInitScript((t) => sessionStorage.setItem('atlas.token', t), token);
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A request the page itself aborted (a newer filter replaced it, the map moved past a tile)
    // is not a failure.
    if (r.failure() && /ERR_ABORTED/.test(r.failure().errorText) && /\/(api\/v1|tiles)\//.test(r.url())) return;
    problems.push(`requestfailed: ${r.url()} ${r.failure() && r.failure().errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(origin + path);
  await settled(page);
  return { page, context, requests, problems };
}

/**
 * Waits until the page has shown its last filter's data, the camera stopped (fly-to, fit) and the
 * map has drawn it: `window.atlas.settled()`, which waits on the page's own work and the map's
 * `moveend` and `idle` events, then `<html data-state="idle">`, which the page sets (and
 * dispatches `atlas:idle`) once nothing it tracks is running any more.
 */
export async function settled(page) {
  await page.waitForFunction(() => window.atlas && window.atlas.ready, null, { timeout: 30_000 });
  await page.evaluate(() => window.atlas.settled());
  await page.waitForFunction(() => document.documentElement.dataset.state === 'idle', null, { timeout: 30_000 });
}

/** GET a JSON document of the API from the test (not through the page). */
export async function api(origin, route) {
  const res = await fetch(`${origin}/api/v1/${route}`);
  if (!res.ok) throw new Error(`${route}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * A request to the API from the test with a token (`{method, token, body, ifMatch}`): resolves
 * `{status, etag, body}` whatever the status.
 */
export async function apiSend(origin, route, { method = 'GET', token, body, ifMatch } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (ifMatch !== undefined) headers['If-Match'] = `"${ifMatch}"`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${origin}/api/v1/${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch { /* not JSON */ }
  const etag = res.headers.get('etag');
  return { status: res.status, etag: etag ? etag.replace(/^W\//, '').replace(/"/g, '') : null, body: json };
}

/**
 * Site features drawn on the map: zooms to the results, then sums the clusters' counts and the
 * unclustered points among the rendered features (each cluster or site counted once): the
 * browser's clusters (`cluster_id`, `point_count`) or the tiles' (`count`, `bbox`).
 */
export async function renderedSiteCount(page) {
  await page.click('#btn-fit');
  await settled(page); // waits for the fit animation's end too
  return (await renderedSites(page)).total;
}

/**
 * The sites drawn in the current view: `total` (clusters' counts + single sites), `clusters`
 * (how many bubbles) and `sites` (how many single symbols), each feature counted once.
 */
export function renderedSites(page) {
  return page.evaluate(() => {
    const map = window.atlas.map;
    const seen = new Set();
    const out = { total: 0, clusters: 0, sites: 0 };
    for (const f of map.queryRenderedFeatures({ layers: ['site-clusters', 'site-points'] })) {
      const p = f.properties;
      const cluster = p.cluster === true;
      const key = !cluster ? `s${p.id}` : p.cluster_id !== undefined ? `c${p.cluster_id}` : `t${p.bbox}|${f.geometry.coordinates}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.total += cluster ? p.point_count ?? p.count : 1;
      if (cluster) out.clusters++;
      else out.sites++;
    }
    return out;
  });
}

/**
 * The features the map draws in `layers`: each with its properties and where it stands on the
 * page (`x`, `y`, for `page.mouse`).
 */
export function renderedOnPage(page, layers) {
  return page.evaluate((ls) => {
    const map = window.atlas.map;
    const r = map.getCanvas().getBoundingClientRect();
    return map.queryRenderedFeatures({ layers: ls }).map((f) => {
      const p = map.project(f.geometry.coordinates);
      return { x: r.left + p.x, y: r.top + p.y, properties: f.properties };
    });
  }, layers);
}

/** Opens the progress board and waits for the rows of its indicator table. */
export async function openIndicators(page) {
  await page.click('#btn-indicators');
  await page.waitForSelector('#indicators .indicator-table tbody tr');
}

/** Ids of the list rows, in order. */
export function listIds(page) {
  return page.$$eval('#list button.row', (rows) => rows.map((r) => r.dataset.id));
}

/** A minimal RFC 4180 CSV parser (quotes, doubled quotes, CRLF/LF, newlines in fields). */
export function parseCsv(text) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Every request went to `origin` (or stayed inside the page: data:, blob:). */
export function foreignRequests(requests, origin) {
  return requests.filter((u) => !u.startsWith(origin + '/') && !u.startsWith('data:') && !u.startsWith('blob:'));
}

/**
 * One `atlas serve` (started as `startServer(extraArgs, opts)`) and one headless Chromium for
 * a test file: registers the file's `before` and `after` hooks. `server` and `browser` are set
 * once `before` ran; `token` is the token of `signedInAs` (one of `opts.users`), `open` opens a
 * page on the server (`signedIn: true` puts that token where the page keeps it: session
 * storage) and `finish` is {@link finishPage} on the server.
 */
export function e2eSuite(extraArgs = [], opts = {}, { signedInAs = null } = {}) {
  const suite = {
    server: null,
    browser: null,
    get token() {
      return suite.server && signedInAs ? suite.server.tokens[signedInAs] : null;
    },
    open: (path = '/', { signedIn = false, ...o } = {}) => openPage(suite.browser, suite.server.origin, path,
      { ...o, token: signedIn ? suite.token : null }),
    finish: (o, expected = []) => finishPage(o, suite.server.origin, expected),
  };
  before(async () => {
    suite.server = await startServer(extraArgs, opts);
    suite.browser = await launchBrowser();
  });
  after(async () => {
    if (suite.browser) await suite.browser.close();
    if (suite.server) await suite.server.stop();
  });
  return suite;
}

/**
 * What every page of the e2e tests ends with: nothing left `origin`, nothing went wrong in the
 * console or the network but the failed requests `expected` names (`{status, route}` of
 * `/api/v1/ROUTE`, provoked by the test); then closes the page.
 */
export async function finishPage(o, origin, expected = []) {
  assert.deepEqual(foreignRequests(o.requests, origin), [], 'every request stays on the server');
  const allowed = (p) => expected.some(({ status, route }) =>
    (p.startsWith(`HTTP ${status}: `) && p.includes(`/api/v1/${route}`))
    || (p.startsWith('console.error: Failed to load resource') && p.includes(`status of ${status}`)));
  assert.deepEqual(o.problems.filter((p) => !allowed(p)), [], 'no console error or warning, no failed request');
  await o.context.close();
}
